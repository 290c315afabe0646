import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('write authority', () => {
  it('recordsWrittenBeforeRemovalStillApply: what the laptop wrote before it was removed reaches a tablet that syncs only afterwards', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    await tablet!.replica.sync();
    const before = [await laptop!.calls.put(call()), await laptop!.calls.put(call())];
    await laptop!.replica.sync();

    // The phone removes the laptop; its removal cuts the laptop's log exactly at its last push.
    await phone!.account.remove(laptop!.account.device.id);
    // After the cut the server refuses the laptop outright.
    await laptop!.calls.put(call());
    await expect(laptop!.replica.sync()).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });

    const report = await tablet!.replica.sync();
    for (const id of before) expect(await tablet!.calls.get(id)).toEqual(await laptop!.calls.get(id));
    expect(report.withheld).toBe(0);
    expect(tablet!.events.rejected).toEqual([]);
  });
});
