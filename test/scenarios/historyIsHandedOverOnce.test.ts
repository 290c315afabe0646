import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWith, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { countPushedEnvelopes } from '../support/replicaPairing.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('historyIsHandedOverOnce', () => {
  it('a laptop that asked before it saw the phone\'s hand-off is not handed the history a second time, even after the phone restarts', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    for (let i = 0; i < 10; i++) await phone.calls.put(call());
    await phone.replica.sync();
    // Approved through the account alone: the laptop's first sync finds only envelopes it cannot open, and asks the phone.
    const laptopAccount = await pairByQr(env, phone.account);
    const laptop = await syncedDevice(laptopAccount, env.clock.now);
    expect((await laptop.replica.sync()).held).toBe(10);
    // Meanwhile the app hands the history over itself, before the phone has read the request.
    await phone.account.refresh();
    expect(await phone.replica.handoffTo(laptopAccount.device.public)).toBe(10);
    // The phone's app restarts: its replica remembers the hand-off.
    const phoneAgain = await syncedDevice(phone.account, env.clock.now, phone.store);
    const pushedByPhone = countPushedEnvelopes(phoneAgain);
    await phoneAgain.replica.sync(); // reads the request: already answered
    const report = await laptop.replica.sync();
    expect(pushedByPhone.count).toBe(0);
    expect(await laptop.calls.count()).toBe(10);
    expect(report.held).toBe(0);
    // And the laptop, with nothing left held, asks nothing more.
    await phoneAgain.replica.sync();
    expect(pushedByPhone.count).toBe(0);
    expect(laptop.events.rejected).toEqual([]);
  });

  it('a laptop that still lacks something after a hand-off asks again, and gets it', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const early = await tablet!.calls.put(call());
    await tablet!.replica.sync();
    // The phone has not read the tablet's call when it hands the laptop the history.
    const laptopAccount = await pairByQr(env, phone!.account);
    await phone!.account.refresh();
    await phone!.replica.handoffTo(laptopAccount.device.public);
    const laptop = await syncedDevice(laptopAccount, env.clock.now);
    await laptop.replica.sync();
    expect(await laptop.calls.get(early)).toBeUndefined(); // held: the phone's hand-off did not cover it
    await phone!.replica.sync();
    await laptop.replica.sync();
    expect(await laptop.calls.get(early)).toEqual(await tablet!.calls.get(early));
  });
});
