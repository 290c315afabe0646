import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWith, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('deviceEnrolledAfterKeyRotationReadsHistory', () => {
  it('records the laptop sealed before and after rotating its key all open on a tablet enrolled later', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const before = await laptop!.calls.put(call());
    await laptop!.replica.sync();

    await laptop!.account.rotateKey();
    const after = await laptop!.calls.put(call());
    await laptop!.replica.sync();
    await phone!.replica.sync();
    expect(await phone!.calls.get(before)).toBeDefined();
    expect(await phone!.calls.get(after)).toBeDefined();

    // The tablet's first sync holds both (neither was sealed for it) and asks the phone, which
    // added it; the phone's grants come from its own copies, whatever key the laptop had then.
    const tablet = await syncedDevice(await pairByQr(env, phone!.account), env.clock.now);
    expect((await tablet.replica.sync()).held).toBe(2);
    expect(await tablet.calls.count()).toBe(0);
    await phone!.replica.sync();
    await tablet.replica.sync();
    expect(tablet.events.rejected).toEqual([]);
    expect(await tablet.calls.get(before)).toEqual(await phone!.calls.get(before));
    expect(await tablet.calls.get(after)).toEqual(await phone!.calls.get(after));

    // And what the laptop writes now reaches the tablet directly, under the laptop's new key.
    await laptop!.replica.sync();
    const latest = await laptop!.calls.put(call());
    await laptop!.replica.sync();
    await tablet.replica.sync();
    expect(await tablet.calls.get(latest)).toBeDefined();
  });
});
