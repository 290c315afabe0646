import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { CALL_RETENTION_DAYS } from '../../src/sync/callLog.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { storedEnvelopes } from '../support/items.js';
import { call, syncedDevice } from '../support/syncHarness.js';

const DAY = 86_400_000;
let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('expiry', () => {
  it('calls older than 120 days vanish on every device, and the server collects its copy without learning their dates', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const now = env.clock.now();
    const old = await phone!.calls.put(call({ startedAt: now - 119 * DAY }));
    const recent = await phone!.calls.put(call({ startedAt: now - 1 * DAY }));
    await phone!.replica.sync();
    await laptop!.replica.sync();
    expect(await laptop!.calls.count()).toBe(2);

    // The public expiry day is counted from the upload, the same for both calls.
    const stored = await storedEnvelopes(env.store, phone!.account.accountId);
    expect(stored).toHaveLength(2);
    const days = stored.map((e) => parseEnvelope(e.bytes).expiryDay);
    expect(new Set(days).size).toBe(1);
    expect(days[0]).toBe(Math.floor(now / DAY) + CALL_RETENTION_DAYS + 1);

    env.clock.advance(2 * DAY);
    for (const d of [phone!, laptop!]) {
      const report = await d.replica.sync();
      expect(report.expired).toBe(1);
      expect(await d.calls.get(old)).toBeUndefined();
      expect(await d.calls.get(recent)).toBeDefined();
    }
    // The server collects both calls on their public expiry day, knowing nothing of their start times.
    expect(await storedEnvelopes(env.store, phone!.account.accountId, [old, recent])).toHaveLength(2);
    await env.store.collectExpired(days[0]!);
    expect(await storedEnvelopes(env.store, phone!.account.accountId, [old, recent])).toHaveLength(2);
    await env.store.collectExpired(days[0]! + 1);
    expect(await storedEnvelopes(env.store, phone!.account.accountId, [old, recent])).toEqual([]);
  });
});
