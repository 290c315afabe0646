/**
 * A pairing QR code is a one-time, short-lived thing: a photo of it taken today is useless
 * tomorrow, and a code already used cannot add a second device.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { createPairingOffer, DEFAULT_OFFER_TTL_MS, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
import { accountWith, FAST, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { approving, sasScreens } from '../support/sasScreens.js';

const noCode = { showSas: () => undefined };
const sameCode = { confirmSas: async () => true };

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('an expired offer is refused', () => {
  it('the approving device refuses an expired offer and adds nothing', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = devices[0] as Account<HttpClient>;
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, env.url, { now: env.clock.now() });
    env.clock.advance(DEFAULT_OFFER_TTL_MS);
    let asked = false;
    const approval = phone.approveOffer(encodePairingOffer(offer), { confirm: async () => (asked = true), ...noCode, ...FAST });
    await expect(approval).rejects.toMatchObject({ code: 'PAIRING_OFFER_EXPIRED' });
    expect(asked).toBe(false);
    // The new device stops waiting too.
    const joining = Account.joinWithOffer({ device: laptop, offer, transport: env.anonymous(laptop), connect: env.connect, clock: env.clock.now, ...sameCode, ...FAST });
    await expect(joining).rejects.toMatchObject({ code: 'PAIRING_OFFER_EXPIRED' });
    await phone.refresh();
    expect(phone.chain.length).toBe(1);
  });

  it('an offer that expires while the user hesitates is refused after the confirmation', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = devices[0] as Account<HttpClient>;
    const offer = createPairingOffer(await Device.generate(), env.url, { now: env.clock.now() });
    const slowUser = async () => {
      env.clock.advance(DEFAULT_OFFER_TTL_MS);
      return true;
    };
    await expect(phone.approveOffer(encodePairingOffer(offer), { confirm: slowUser, ...noCode, ...FAST })).rejects.toMatchObject({ code: 'PAIRING_OFFER_EXPIRED' });
  });

  it('an offer works once', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, tablet] = devices as [Account<HttpClient>, Account<HttpClient>];
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, env.url, { now: env.clock.now() });
    const uri = encodePairingOffer(offer);
    const screens = sasScreens();
    const [joined] = await Promise.all([
      Account.joinWithOffer({ device: laptop, offer, transport: env.anonymous(laptop), connect: env.connect, clock: env.clock.now, confirmSas: screens.confirmSas, ...FAST }),
      approving(screens, phone.approveOffer(uri, { confirm: async () => true, showSas: screens.showSas, ...FAST })),
    ]);
    expect(joined.chain.head).toEqual(phone.chain.head);
    // Someone photographed the QR code: a second approval finds it used.
    await tablet.refresh();
    await expect(tablet.approveOffer(uri, { confirm: async () => true, ...noCode, ...FAST })).rejects.toMatchObject({ code: 'PAIRING_OFFER_USED' });
    // Joining twice with the same offer does not work either.
    await expect(
      Account.joinWithOffer({ device: laptop, offer, transport: env.anonymous(laptop), connect: env.connect, clock: env.clock.now, ...sameCode, ...FAST }),
    ).rejects.toMatchObject({ code: 'PAIRING_OFFER_USED' });
    await tablet.refresh();
    expect(tablet.chain.length).toBe(phone.chain.length);
  });

  it('a declined offer adds nothing', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = devices[0] as Account<HttpClient>;
    const offer = createPairingOffer(await Device.generate(), env.url, { now: env.clock.now() });
    await expect(phone.approveOffer(encodePairingOffer(offer), { confirm: async () => false, ...noCode, ...FAST })).rejects.toMatchObject({ code: 'PAIRING_DECLINED' });
    await expect(phone.approveOffer('multikey-sync:pair?o=AAAA', { confirm: async () => true, ...noCode, ...FAST })).rejects.toMatchObject({ code: 'PAIRING_OFFER_INVALID' });
    expect(phone.chain.length).toBe(1);
  });
});
