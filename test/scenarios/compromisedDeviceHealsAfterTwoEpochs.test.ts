import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { hostileFront, type HostileFront } from '../support/hostileFront.js';
import { call, syncedDevice } from '../support/syncHarness.js';
import { steal, thiefOpens } from '../support/thief.js';

const DAY = 86_400_000;
let env: EnrollmentEnv;
let front: HostileFront;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
});
afterEach(async () => {
  await env.stop();
});

describe('healing', () => {
  it('compromisedDeviceHealsAfterTwoEpochs: someone copied the laptop\'s keys once and only listens; two epochs later they read nothing new', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    for (const d of [phone, laptop, tablet]) await d!.replica.sync();
    const copied = await steal(laptop!.account.device, laptop!.store);
    const before = await phone!.calls.put(call());
    await phone!.replica.sync();
    await laptop!.replica.sync();

    for (let epoch = 0; epoch < 2; epoch++) {
      env.clock.advance(7 * DAY + 1);
      for (const d of [laptop, phone, tablet, laptop, phone]) await d!.replica.sync();
    }
    const after = [await phone!.calls.put(call()), await tablet!.calls.put(call()), await laptop!.calls.put(call())];
    for (const d of [phone, tablet, laptop]) await d!.replica.sync();
    expect(await laptop!.calls.get(after[0]!)).toBeDefined(); // the real laptop reads them

    const harvest = [...front.seen.values()].flat();
    const opened = await thiefOpens(copied, phone!.account.accountId, phone!.account.chain.state, harvest);
    expect(opened).toContain(toHex(before)); // the compromise was real
    for (const id of after) expect(opened).not.toContain(toHex(id));
  });
});
