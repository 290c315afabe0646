/**
 * Two devices edit one note without seeing each other's edit. The device whose edit loses always
 * hears of it: a `conflict` event with its own version, the pulled one and which one won. The
 * other device hears of it too when the losing version reaches it. An edit made after seeing the
 * other one, or two edits to the same value, are no conflict.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareClocks } from '../../src/sync/hlc.js';
import { startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { noteDevices, syncAll } from '../support/noteDevices.js';

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('a conflict event carries both versions', () => {
  it('reports the local and the pulled version, their clocks and writers, and the winner, on both devices', async () => {
    const [low, high] = await noteDevices(env, 2);
    const id = await low!.notes.put('groceries');
    await syncAll([low!, high!]);

    await high!.notes.put('groceries: apples', id);
    env.clock.advance(20);
    await low!.notes.put('groceries: pears', id);
    await high!.replica.sync();
    await low!.replica.sync();
    await high!.replica.sync();

    // The low device pulled the earlier edit: it keeps its own (the later one).
    expect(low!.conflicts).toHaveLength(1);
    const atLow = low!.conflicts[0]!;
    expect(atLow).toMatchObject({ collection: 'notes', id, winner: 'local' });
    expect(atLow.local).toMatchObject({ value: 'groceries: pears', deleted: false, sender: low!.account.device.id });
    expect(atLow.remote).toMatchObject({ value: 'groceries: apples', deleted: false, sender: high!.account.device.id });
    expect(compareClocks(atLow.local.clock, atLow.remote.clock)).toBe(1);

    // The high device, the losing writer, hears of it when the later edit arrives.
    expect(high!.conflicts).toHaveLength(1);
    const atHigh = high!.conflicts[0]!;
    expect(atHigh).toMatchObject({ collection: 'notes', id, winner: 'remote' });
    expect(atHigh.local).toMatchObject({ value: 'groceries: apples', clock: atLow.remote.clock });
    expect(atHigh.remote).toMatchObject({ value: 'groceries: pears', clock: atLow.local.clock });
    for (const d of [low!, high!]) expect(await d.notes.get(id)).toBe('groceries: pears');
  });

  it('the losing writer hears of it even when the winner never receives the losing version', async () => {
    const [low, high] = await noteDevices(env, 2);
    const id = await low!.notes.put('a');
    await syncAll([low!, high!]);

    await low!.notes.put('a, b', id);
    env.clock.advance(20);
    await high!.notes.put('a, c', id);
    // The later edit (higher id too) reaches the server first; the earlier one is superseded there.
    await high!.replica.sync();
    await low!.replica.sync();
    await high!.replica.sync();

    expect(low!.conflicts.map((c) => [c.winner, c.local.value, c.remote.value])).toEqual([['remote', 'a, b', 'a, c']]);
    expect(high!.conflicts).toEqual([]);
  });

  it('an edit made after seeing the other, or two edits to the same value, raise none', async () => {
    const [low, high] = await noteDevices(env, 2);
    const id = await low!.notes.put({ list: ['x'] });
    await syncAll([low!, high!]);
    await high!.notes.put({ list: ['x', 'y'] }, id);
    await syncAll([high!, low!]);
    await low!.notes.put({ list: ['x', 'y', 'z'] }, id);
    await syncAll([low!, high!]);

    // Concurrent, but both wrote the same value (key order aside: canonical CBOR compares equal).
    await low!.notes.put({ list: ['done'], by: 'either' }, id);
    env.clock.advance(20);
    await high!.notes.put({ by: 'either', list: ['done'] }, id);
    await syncAll([low!, high!, low!]);

    expect(low!.conflicts).toEqual([]);
    expect(high!.conflicts).toEqual([]);
    for (const d of [low!, high!]) expect(await d.notes.get(id)).toEqual({ by: 'either', list: ['done'] });
  });
});
