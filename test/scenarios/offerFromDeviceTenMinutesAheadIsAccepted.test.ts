/**
 * Pairing offers expire ten minutes after they are made, by the server's clock as each device
 * learned it, not by either device's own. A phone whose clock runs ten minutes ahead accepts a
 * fresh offer (by its own clock it would have expired on the spot); a laptop whose clock runs
 * ten minutes ahead makes an offer that still expires ten minutes after it was made, and joins.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { ServerClock } from '../../src/core/serverClock.js';
import { Account } from '../../src/enrollment/account.js';
import { createPairingOffer, DEFAULT_OFFER_TTL_MS, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
import { FAST, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { approving, sasScreens } from '../support/sasScreens.js';

const AHEAD = 10 * 60_000;
let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

/** A device whose own clock runs `skewMs` ahead of the server's, with one ServerClock for its clients. */
async function deviceAhead(skewMs: number) {
  const device = await Device.generate();
  const clock = (): number => env.clock.now() + skewMs;
  const time = new ServerClock(clock);
  const client = (accountId?: Uint8Array) =>
    new HttpClient({ baseUrl: env.url, device, serverClock: time, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, ...(accountId === undefined ? {} : { accountId }) });
  return { device, clock, time, client };
}

describe('a pairing offer and a clock ten minutes ahead', () => {
  it('a phone ten minutes ahead accepts a fresh offer from a laptop', async () => {
    const phoneSide = await deviceAhead(AHEAD);
    const { account: phone } = await Account.create({ device: phoneSide.device, transport: phoneSide.client(), clock: phoneSide.clock });
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, env.url, { now: env.clock.now() });
    const screens = sasScreens();
    const [joined] = await Promise.all([
      Account.joinWithOffer({ device: laptop, offer, transport: env.anonymous(laptop), connect: env.connect, clock: env.clock.now, confirmSas: screens.confirmSas, ...FAST }),
      approving(screens, phone.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: screens.showSas, ...FAST })),
    ]);
    expect(joined.chain.head).toEqual(phone.chain.head);
  });

  it('a laptop ten minutes ahead makes an offer that expires ten minutes later by the server clock, and joins with it', async () => {
    const phoneDevice = await Device.generate();
    const { account: phone } = await Account.create({ device: phoneDevice, transport: env.anonymous(phoneDevice), clock: env.clock.now });
    const laptop = await deviceAhead(AHEAD);
    const mailbox = laptop.client();
    await mailbox.health(); // the first answer teaches it the server's clock
    const offer = createPairingOffer(laptop.device, env.url, { now: laptop.time.now() });
    expect(offer.expiresAt).toBe(env.clock.now() + DEFAULT_OFFER_TTL_MS);
    env.clock.advance(DEFAULT_OFFER_TTL_MS - 60_000); // nine minutes of hesitation
    const screens = sasScreens();
    const [joined] = await Promise.all([
      Account.joinWithOffer({ device: laptop.device, offer, transport: mailbox, connect: (_d, id) => laptop.client(id), clock: laptop.clock, confirmSas: screens.confirmSas, ...FAST }),
      approving(screens, phone.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: screens.showSas, ...FAST })),
    ]);
    expect(joined.chain.activeDevices().map((d) => d.id)).toContainEqual(laptop.device.id);
    // A minute later the same offer is refused by the approver: it expired by the server clock.
    env.clock.advance(60_000);
    await expect(phone.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: async () => undefined, ...FAST })).rejects.toMatchObject({ code: 'PAIRING_OFFER_EXPIRED' });
  });
});
