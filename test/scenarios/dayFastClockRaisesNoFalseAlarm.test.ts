/**
 * The laptop's clock runs a day fast; the server is honest. The laptop learns the server's
 * clock from its answers and checks every chain time against that, so it joins, follows the
 * phone adding a tablet, and revokes the tablet itself, all without a fork alarm, and the
 * entry it writes is dated by the server's clock, not its own.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { ServerClock } from '../../src/core/serverClock.js';
import { Account } from '../../src/enrollment/account.js';
import { decodeEntry } from '../../src/enrollment/chainEntry.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import { createPairingOffer, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
import { accountWith, FAST, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { approving, sasScreens } from '../support/sasScreens.js';

const DAY = 24 * 60 * 60_000;
let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('a device whose clock is a day fast', () => {
  it('joins, follows and changes the device list without a false fork alarm', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = devices[0] as Account<HttpClient>;

    // The laptop: its own clock a day ahead, one ServerClock shared by all its clients.
    const laptopDevice = await Device.generate();
    const fastClock = (): number => env.clock.now() + DAY;
    const laptopTime = new ServerClock(fastClock);
    const client = (accountId?: Uint8Array) =>
      new HttpClient({ baseUrl: env.url, device: laptopDevice, serverClock: laptopTime, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, ...(accountId === undefined ? {} : { accountId }) });
    const anonymous = client();
    await anonymous.health(); // any answer teaches it the server's clock
    expect(laptopTime.offsetMs).toBe(-DAY);
    const offer = createPairingOffer(laptopDevice, env.url, { now: laptopTime.now() });
    const screens = sasScreens();
    const [laptop] = await Promise.all([
      Account.joinWithOffer({ device: laptopDevice, offer, transport: anonymous, connect: (_d, id) => client(id), clock: fastClock, confirmSas: screens.confirmSas, ...FAST }),
      approving(screens, phone.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: screens.showSas, ...FAST })),
    ]);

    // An hour later the phone adds a tablet; the laptop refreshes: no "backdated" alarm.
    env.clock.advance(60 * 60_000);
    const tablet = await pairByQr(env, phone);
    const events = await laptop.refresh();
    expect(events.map((e) => e.type)).toEqual(['device-added']);
    expect(laptop.chain.forkAlarm).toBeUndefined();

    // The laptop revokes the tablet: its entry is dated by the server's clock, so it is accepted.
    await laptop.remove(tablet.device.id);
    const removal = decodeEntry(laptopDevice.suite, laptop.chain.entryAt(laptop.chain.length - 1)!).entry;
    expect(removal.ts).toBe(env.clock.now());
    await phone.refresh();
    expect(phone.chain.activeDevices().map((d) => d.id)).not.toContainEqual(tablet.device.id);
    expect(phone.chain.forkAlarm).toBeUndefined();

    // The laptop restarts (its learned offset is gone until the server answers again) while the
    // phone rotates its key: the restored chain follows without an alarm.
    const saved = laptop.chain.toBytes();
    env.clock.advance(60 * 60_000);
    await phone.rotateKey();
    const restarted = new HttpClient({ baseUrl: env.url, device: laptopDevice, accountId: laptop.accountId, clock: fastClock });
    const restored = Account.restore({ device: laptopDevice, chain: DeviceChain.fromBytes(laptopDevice.suite, saved, { clock: fastClock }), transport: restarted, clock: fastClock });
    await expect(restored.refresh()).resolves.toMatchObject([{ type: 'key-rotated' }]);
    expect(restored.chain.verifiedAt).toBeLessThanOrEqual(env.clock.now());
  });
});
