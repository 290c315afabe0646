import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/client/httpClient.js';
import type { Account } from '../../src/enrollment/account.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { countPushedEnvelopes, pairByCodeThroughReplica, pairByQrThroughReplica } from '../support/replicaPairing.js';
import { call, syncedDevice, type SyncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

/** A phone and a tablet that have both written calls (one deleted), all synced. */
async function twoDevicesWithHistory() {
  const { devices } = await accountWith(env, 2);
  const [phone, tablet] = (await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)))) as [SyncedDevice, SyncedDevice];
  const ids: Uint8Array[] = [];
  for (let i = 0; i < 25; i++) ids.push(await phone.calls.put(call()));
  await phone.calls.delete(ids[0]!);
  await phone.replica.sync();
  for (let i = 0; i < 5; i++) ids.push(await tablet.calls.put(call()));
  await tablet.replica.sync();
  await phone.replica.sync();
  return { phone, tablet, ids };
}

async function firstSyncShowsWhatOthersShow(pair: (approver: SyncedDevice) => Promise<Account<HttpClient>>) {
  const { phone, tablet } = await twoDevicesWithHistory();
  const laptop = await syncedDevice(await pair(phone), env.clock.now);
  const first = await laptop.replica.sync();
  await tablet.replica.sync();
  const shown = async (d: SyncedDevice) => (await d.calls.list()).map((e) => e.value);
  expect(await laptop.calls.count()).toBe(29);
  expect(await shown(laptop)).toEqual(await shown(phone));
  expect(await shown(laptop)).toEqual(await shown(tablet));
  expect(first.held).toBe(0);
  expect(first.withheld).toBe(0);
  expect(laptop.events.rejected).toEqual([]);
  // The laptop had nothing left to ask for: the phone hands nothing over a second time.
  const pushedByPhone = countPushedEnvelopes(phone);
  await phone.replica.sync();
  await laptop.replica.sync();
  expect(pushedByPhone.count).toBe(0);
}

describe('newDeviceSeesHistoryOnFirstSync', () => {
  it('a laptop approved by QR through the phone\'s replica shows, at its first sync, every call the phone and the tablet show', async () => {
    await firstSyncShowsWhatOthersShow((phone) => pairByQrThroughReplica(env, phone));
  });

  it('a laptop approved by a typed code through the phone\'s replica does too', async () => {
    await firstSyncShowsWhatOthersShow((phone) => pairByCodeThroughReplica(env, phone));
  });
});
