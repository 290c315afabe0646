/**
 * Two devices edit one note while apart, 20 ms after each other. Both edits sit at the same
 * revision, so the server's order (revision, then device id) would keep the edit of the device
 * with the higher id, the earlier one here. The clock inside the body decides instead: the later
 * edit is what every device shows, the server's copy included (a third device that only pulls
 * sees it), whichever edit reaches the server first.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { noteDevice, noteDevices, syncAll } from '../support/noteDevices.js';

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('the later edit wins everywhere', () => {
  it('the earlier edit, by the device with the higher id, reaches the server first and still loses', async () => {
    const [low, high, other] = await noteDevices(env, 3);
    const id = await low!.notes.put({ text: 'shopping' });
    await syncAll([low!, high!, other!]);

    await high!.notes.put({ text: 'milk' }, id);
    env.clock.advance(20);
    await low!.notes.put({ text: 'milk, eggs' }, id);
    await high!.replica.sync();
    await low!.replica.sync();
    await syncAll([high!, other!]);

    for (const d of [low!, high!, other!]) expect(await d.notes.get(id)).toEqual({ text: 'milk, eggs' });
    // A device that starts now reads the server's copy: the later edit too.
    const fresh = await noteDevice(env, other!.account);
    await fresh.replica.sync();
    expect(await fresh.notes.get(id)).toEqual({ text: 'milk, eggs' });
  });

  it('the later edit reaches the server first and is not overwritten by the earlier one', async () => {
    const [low, high, other] = await noteDevices(env, 3);
    const id = await high!.notes.put({ text: 'shopping' });
    await syncAll([high!, low!, other!]);

    await high!.notes.put({ text: 'bread' }, id);
    env.clock.advance(20);
    await low!.notes.put({ text: 'bread, butter' }, id);
    await low!.replica.sync();
    await high!.replica.sync();
    await syncAll([low!, other!]);

    for (const d of [low!, high!, other!]) expect(await d.notes.get(id)).toEqual({ text: 'bread, butter' });
    const fresh = await noteDevice(env, other!.account);
    await fresh.replica.sync();
    expect(await fresh.notes.get(id)).toEqual({ text: 'bread, butter' });
  });
});
