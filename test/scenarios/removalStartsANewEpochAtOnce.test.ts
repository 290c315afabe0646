import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCheckpoint, isCheckpoint } from '../../src/core/logCheckpoint.js';
import { equalBytes } from '../../src/crypto/bytes.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('epochs', () => {
  it('removalStartsANewEpochAtOnce: when the tablet is removed, every remaining device begins a new epoch at its next sync', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    for (const d of [phone, laptop, tablet]) await d!.replica.sync();
    expect(phone!.account.device.epochs.current!.epoch).toBe(0);
    expect(laptop!.account.device.epochs.current!.epoch).toBe(0);

    await phone!.account.remove(tablet!.account.device.id);
    env.clock.advance(60_000); // a minute, not a week
    await phone!.replica.sync();
    await laptop!.replica.sync();
    expect(phone!.account.device.epochs.current!.epoch).toBe(1);
    expect(laptop!.account.device.epochs.current!.epoch).toBe(1);

    // The new statements are on the server, and the next record uses keys made for them.
    const id = await laptop!.calls.put(call());
    await laptop!.replica.sync();
    await phone!.replica.sync();
    expect(await phone!.calls.get(id)).toBeDefined();
    const page = await env.store.pullEnvelopes(phone!.account.accountId, 0, 1000);
    const statements = page.items
      .filter((i) => i.kind === 'log' && isCheckpoint(i.bytes))
      .map((i) => decodeCheckpoint(phone!.account.device.suite, phone!.account.accountId, i.bytes))
      .filter((c) => c.statement !== undefined);
    expect(statements.some((c) => equalBytes(c.sender, phone!.account.device.id))).toBe(true);
    expect(statements.some((c) => equalBytes(c.sender, laptop!.account.device.id))).toBe(true);
  });
});
