import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { callLogOptions } from '../../src/sync/callLog.js';
import { Replica, type SyncAccount } from '../../src/sync/replica.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { deviceHex, hostileFront, type HostileFront } from '../support/hostileFront.js';
import { carries } from '../support/items.js';
import { call, syncedDevice, type SyncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
let front: HostileFront;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
});
afterEach(async () => {
  await env.stop();
});

/** The phone and the laptop, synced; the laptop rotates its key while the phone is pushing a call, so the phone seals it to the laptop's old card. */
async function callSealedToRotatedCard(options: { laptopSyncsAfterRotating?: boolean } = {}) {
  const { devices } = await accountWith(env, 2);
  const [phone, laptop] = (await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)))) as [SyncedDevice, SyncedDevice];
  await laptop.replica.sync();
  const transport = phone.account.transport;
  const push = transport.push.bind(transport);
  let rotated = false;
  transport.push = async (envelopes, log) => {
    if (!rotated) {
      rotated = true;
      // After the phone refreshed its chain for this round: its checkpoint names the head before the rotation.
      await laptop.account.rotateKey();
      if (options.laptopSyncsAfterRotating) await laptop.replica.sync();
    }
    return push(envelopes, log);
  };
  const id = await phone.calls.put(call());
  await phone.replica.sync();
  transport.push = push;
  return { phone, laptop, id };
}

describe('writerUnawareOfRotationRaisesNoFalseAlarm', () => {
  it('a call the phone sealed to the laptop\'s pre-rotation card opens on the laptop, with no tamper alarm', async () => {
    const { phone, laptop, id } = await callSealedToRotatedCard();
    const report = await laptop.replica.sync();
    expect(laptop.events.rejected).toEqual([]);
    expect(await laptop.calls.get(id)).toEqual(await phone.calls.get(id));
    expect(report.held).toBe(0);
    // The phone, having seen the rotation, keys its next call to the new card.
    const next = await phone.calls.put(call());
    await phone.replica.sync();
    await laptop.replica.sync();
    expect(await laptop.calls.get(next)).toBeDefined();
    expect(laptop.events.rejected).toEqual([]);
  });

  it('the old card survives a restart of the laptop\'s replica within the grace period', async () => {
    const { laptop, id } = await callSealedToRotatedCard({ laptopSyncsAfterRotating: true });
    // The laptop's app restarts: its device comes back from its secrets alone (the rotated card's), and its replica from the store.
    const device = await Device.fromSecrets(laptop.account.device.exportSecrets());
    const account = laptop.account;
    const restarted: SyncAccount = { device, accountId: account.accountId, chain: account.chain, transport: account.transport };
    const replica = await Replica.open({ account: restarted, store: laptop.store, clock: env.clock.now });
    const rejected: unknown[] = [];
    replica.on('rejected', (e) => rejected.push(e));
    await replica.sync();
    expect(rejected).toEqual([]);
    expect(await replica.collection('calls', callLogOptions()).get(id)).toBeDefined();
  });

  it('past the grace period the old card is forgotten: the call is held without an alarm and comes by a history hand-off', async () => {
    const { phone, laptop, id } = await callSealedToRotatedCard();
    // What the replica does once the old card's grace is over (checked below), done before the laptop reads the call.
    const old = laptop.account.device.retiredCards()[0]!.card;
    expect(laptop.account.device.forgetRetiredCard(old)).toBe(true);
    await laptop.replica.sync();
    expect(laptop.events.rejected).toEqual([]);
    expect(await laptop.calls.get(id)).toBeUndefined();
    expect(await laptop.store.heldCount()).toBe(1);
    // The laptop asked for the history; the phone answers at its next sync.
    await phone.replica.sync();
    const after = await laptop.replica.sync();
    expect(await laptop.calls.get(id)).toEqual(await phone.calls.get(id));
    expect(after.held).toBe(0);
    expect(laptop.events.rejected).toEqual([]);
  });

  it('the replica forgets the old card once the grace period (14 days by default) is over', async () => {
    const { laptop } = await callSealedToRotatedCard();
    await laptop.replica.sync();
    expect(laptop.account.device.retiredCards()).toHaveLength(1);
    env.clock.advance(14 * 86_400_000 + 1);
    await laptop.replica.sync();
    expect(laptop.account.device.retiredCards()).toEqual([]);
  });

  it('an envelope altered on the way is still refused, not opened under the old card', async () => {
    const { laptop, id } = await callSealedToRotatedCard();
    front.rewrite = (page) =>
      page.device === deviceHex(laptop.account.device)
        ? {
            ...page,
            items: page.items.map((i) => {
              if (!carries(i, id)) return i;
              const out = i.slice();
              out[out.length - 1]! ^= 1;
              return out;
            }),
          }
        : page;
    const report = await laptop.replica.sync();
    expect(await laptop.calls.get(id)).toBeUndefined();
    expect(laptop.events.rejected).toContainEqual(expect.objectContaining({ code: 'ENVELOPE_TAMPERED', recordId: id }));
    expect(report.applied).toBe(0);
  });
});
