import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealEnvelope } from '../../src/core/seal.js';
import type { Device } from '../../src/core/device.js';
import { encodeClock } from '../../src/sync/hlc.js';
import { bodyToWire } from '../../src/sync/recordBody.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { accountWith, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { deviceHex, hostileFront, type HostileFront } from '../support/hostileFront.js';
import { call, syncedDevice } from '../support/syncHarness.js';

const FORGED_CLOCK = encodeClock({ ms: 1_800_000_000_000, counter: 0 });

let env: EnrollmentEnv;
let front: HostileFront;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
});
afterEach(async () => {
  await env.stop();
});

describe('history grants', () => {
  it('grantCannotForgeAnotherSender: a rogue device grants a new tablet a call it forged in the phone\'s name; the tablet refuses it', async () => {
    const { devices } = await accountWith(env, 2);
    const rogueStore = new MemoryLocalStore();
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const rogue = await syncedDevice(devices[1]!, env.clock.now, rogueStore);
    const real = await phone.calls.put(call());
    for (const d of [phone, rogue]) await d.replica.sync();

    // A forgery "by the phone", sealed with a content key the rogue chose, kept as if it were a record.
    const value = call({ peer: '+19005550123' });
    const asPhone = { id: phone.account.device.id, suite: rogue.account.device.suite } as Device;
    const forged = sealEnvelope(asPhone, phone.account.accountId, [{ card: rogue.account.device.public, ref: 1, key: new Uint8Array(32).fill(1) }], {
      body: bodyToWire({ collection: 'calls', sortTime: value.startedAt, value, clock: FORGED_CLOCK }),
      revision: 1,
    });
    await rogueStore.applyRemote(
      [{ collection: 'calls', recordId: forged.recordId, revision: 1, sender: asPhone.id, deleted: false, value, sortTime: value.startedAt, expiresAt: null, clock: FORGED_CLOCK, contentKey: forged.contentKey, envelopeHash: forged.hash }],
      'test/unused-cursor',
      new Uint8Array(8),
    );

    // A tablet joins; the operator slips the forgery into its stream; the rogue hands it history.
    const tabletAccount = await pairByQr(env, devices[0]!);
    const tablet = await syncedDevice(tabletAccount, env.clock.now);
    front.rewrite = (page) => (page.device === deviceHex(tablet.account.device) ? { ...page, items: [...page.items, forged.bytes] } : page);
    await tablet.replica.sync();
    await rogue.replica.sync();
    expect(await rogue.replica.handoffTo(tablet.account.device.public)).toBeGreaterThanOrEqual(2);
    await tablet.replica.sync();

    expect(await tablet.calls.get(forged.recordId)).toBeUndefined();
    expect(tablet.events.rejected).toContainEqual(expect.objectContaining({ code: 'ENVELOPE_NOT_LOGGED', recordId: forged.recordId }));
    expect(await tablet.calls.get(real)).toEqual(await phone.calls.get(real));
  });
});
