import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import type { CallRecord } from '../../src/core/callRecord.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { hostileFront, type HostileFront } from '../support/hostileFront.js';
import { call, syncedDevice } from '../support/syncHarness.js';
import { writeAsThief } from '../support/thief.js';

let env: EnrollmentEnv;
let front: HostileFront;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
});
afterEach(async () => {
  await env.stop();
});

describe('write authority', () => {
  it('revisionCannotBeExhausted: a rogue device writes a call at revision 2^32 − 1; neither the server nor the devices let it lock the record', async () => {
    const { devices } = await accountWith(env, 3);
    const rogueStore = new MemoryLocalStore();
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const rogue = await syncedDevice(devices[1]!, env.clock.now, rogueStore);
    const tablet = await syncedDevice(devices[2]!, env.clock.now);
    const id = await phone.calls.put(call({ durationSec: 1 }));
    for (const d of [phone, rogue, tablet]) await d.replica.sync();

    // The rogue device writes the next revision after 2^32 − 2: 2^32 − 1, the last one there is.
    const value = (await rogue.calls.get(id))!;
    const record = (await rogueStore.getRecord('calls', id))!;
    await rogueStore.applyLocal({ ...record, revision: 0xffff_fffe, contentKey: null, envelopeHash: null }, null);
    const made = await writeAsThief(rogue.account, rogueStore, env.clock.now, async (r) => {
      await r.collection<CallRecord>('calls').put({ ...value, durationSec: 666 }, id);
      await r.sync();
    });
    const [log, ...envelopes] = made;
    // Through the honest server: refused outright.
    await expect(rogue.account.transport.push(envelopes, log!)).rejects.toMatchObject({ code: 'REVISION_JUMP' });

    // Through an operator in league with it: the devices refuse the claim, and so the envelope.
    front.rewrite = (page) => ({ ...page, items: [...page.items, ...made] });
    await phone.replica.sync();
    await tablet.replica.sync();
    front.rewrite = (page) => page;
    for (const d of [phone, tablet]) {
      expect(d.events.rejected.map((r) => r.code)).toEqual(expect.arrayContaining(['REVISION_JUMP', 'ENVELOPE_NOT_LOGGED']));
      expect((await d.calls.get(id))!.durationSec).toBe(1);
    }
    // The record is not locked: the phone edits it and everyone converges.
    await phone.calls.put({ ...(await phone.calls.get(id))!, durationSec: 2 }, id);
    await phone.replica.sync();
    await tablet.replica.sync();
    expect((await tablet.calls.get(id))!.durationSec).toBe(2);
  });
});
