/**
 * One device deletes a note while another edits it, both offline, both over the same version.
 * The later clock wins on every device; on an exact clock tie (both written in the same
 * millisecond, first write of that millisecond on each) the delete wins. Device ids are chosen
 * so that the old tie-break (higher device id) would pick the other outcome each time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeClock } from '../../src/sync/hlc.js';
import { startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { noteDevice, noteDevices, syncAll, type NoteDevice } from '../support/noteDevices.js';

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

/** Every device, and a device that starts now from the server's copy, show `expected` for `id`. */
async function everywhere(devices: NoteDevice[], id: Uint8Array, expected: unknown): Promise<void> {
  for (const d of devices) expect(await d.notes.get(id)).toEqual(expected);
  const fresh = await noteDevice(env, devices[0]!.account);
  await fresh.replica.sync();
  expect(await fresh.notes.get(id)).toEqual(expected);
}

describe('delete versus edit follows the clock', () => {
  it('an edit made after a concurrent delete brings the note back everywhere', async () => {
    const [low, high] = await noteDevices(env, 2);
    const id = await low!.notes.put({ text: 'call the plumber' });
    await syncAll([low!, high!]);

    expect(await high!.notes.delete(id)).toBe(true);
    env.clock.advance(20);
    await low!.notes.put({ text: 'call the plumber at 5' }, id);
    await syncAll([high!, low!, high!]);

    await everywhere([low!, high!], id, { text: 'call the plumber at 5' });
  });

  it('a delete made after a concurrent edit removes the note everywhere', async () => {
    const [low, high] = await noteDevices(env, 2);
    const id = await low!.notes.put({ text: 'old draft' });
    await syncAll([low!, high!]);

    await high!.notes.put({ text: 'old draft, edited' }, id);
    env.clock.advance(20);
    expect(await low!.notes.delete(id)).toBe(true);
    await syncAll([high!, low!, high!]);

    await everywhere([low!, high!], id, undefined);
    for (const d of [low!, high!]) expect(await d.notes.count()).toBe(0);
  });

  it('on an exact clock tie the delete wins, though the editing device has the higher id', async () => {
    const [low, high] = await noteDevices(env, 2);
    const id = await low!.notes.put({ text: 'tie' });
    await syncAll([low!, high!]);

    // A second later both devices' clocks read the wall clock: both writes get (now, counter 0).
    env.clock.advance(1000);
    await high!.notes.put({ text: 'tie, edited' }, id);
    expect(await low!.notes.delete(id)).toBe(true);
    const edit = (await high!.store.getRecord('notes', id))!;
    const tombstone = (await low!.store.getRecord('notes', id))!;
    expect(decodeClock(edit.clock)).toEqual({ ms: env.clock.now(), counter: 0 });
    expect(tombstone.clock).toEqual(edit.clock);
    await syncAll([high!, low!, high!]);

    await everywhere([low!, high!], id, undefined);
  });
});
