/**
 * A phone whose clock runs a day fast makes an account. Against an honest server the fast date
 * never reaches the chain: the server refuses a genesis dated off its clock, and the phone
 * dates it again by the server's. An account made before that rule, while the server's clock
 * ran a day fast too, has its entries dated tomorrow; once the clocks are set right its devices
 * can still revoke a stolen laptop and pair a new device at once (each new entry is dated as
 * the last one, never earlier), and nobody raises a fork alarm.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { createGenesis } from '../../src/enrollment/chainOps.js';
import { decodeEntry } from '../../src/enrollment/chainEntry.js';
import { accountWith, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

const DAY = 24 * 60 * 60_000;
let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

const tsOf = (account: Account<HttpClient>, index: number) => decodeEntry(account.device.suite, account.chain.entryAt(index)!).entry.ts;

describe('an account made with a fast clock', () => {
  it('an honest server refuses a genesis dated a day ahead, and the phone dates it again by the server clock', async () => {
    const device = await Device.generate();
    const fastClock = (): number => env.clock.now() + DAY;
    const raw = new HttpClient({ baseUrl: env.url, device, clock: fastClock });
    await expect(raw.createAccount(createGenesis(device, { now: fastClock() }).bytes)).rejects.toMatchObject({
      code: 'CHAIN_ENTRY_REJECTED',
      message: expect.stringMatching(/^CHAIN_TIME_SKEW/),
    });
    const { account } = await Account.create({ device, transport: new HttpClient({ baseUrl: env.url, device, clock: fastClock }), clock: fastClock });
    expect(tsOf(account, 0)).toBe(env.clock.now());
    const laptop = await pairByQr(env, account);
    await account.remove(laptop.device.id);
    expect(account.chain.activeDevices().map((d) => d.id)).not.toContainEqual(laptop.device.id);
  });

  it('an account whose entries are dated tomorrow can revoke a stolen laptop and pair a new device today', async () => {
    env.clock.advance(DAY); // the server's clock and every device's run a day fast
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = devices as [Account<HttpClient>, Account<HttpClient>, Account<HttpClient>];
    const tomorrow = phone.chain.state.lastTs;
    env.clock.advance(-DAY); // NTP sets every clock right

    await phone.remove(laptop.device.id);
    expect(tsOf(phone, phone.chain.length - 1)).toBe(tomorrow);
    await expect(tablet.refresh()).resolves.toMatchObject([{ type: 'device-removed' }]);
    expect(tablet.chain.forkAlarm).toBeUndefined();

    const watch = await pairByQr(env, tablet);
    expect(watch.chain.activeDevices().map((d) => d.id)).toContainEqual(watch.device.id);
    await phone.refresh();
    const real = [...phone.chain.state.devices.values()].filter((d) => d.role === 'device').map((d) => d.card.id);
    expect(real).toEqual([phone.device.id, tablet.device.id, watch.device.id]);
    expect(phone.chain.forkAlarm).toBeUndefined();
  });
});
