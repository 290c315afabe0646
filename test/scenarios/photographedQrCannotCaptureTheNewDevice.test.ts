/**
 * The owner's new laptop shows its pairing QR code, and someone across the room photographs it.
 * The photographer, who has an account on the same server, answers the offer first with their
 * own phone, hoping the laptop joins *their* account and seals everything it writes to them.
 *
 * The laptop trusts no account until its user has compared the 6-digit code it shows with the
 * one on the phone in the owner's hand. The owner's phone, finding the offer already answered,
 * shows no code and raises a security warning; the owner says no on the laptop, which has
 * signed nothing for the photographer's account, makes a new offer and joins the right account.
 * Even an operator who learned the secret from the photographer, and hands the laptop the
 * photographer's invite while the owner's phone carries on, only makes the two codes differ.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/client/httpClient.js';
import { equalBytes } from '../../src/crypto/bytes.js';
import { Device } from '../../src/core/device.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { Account } from '../../src/enrollment/account.js';
import { PAIRING_STEPS, pairingMailboxId, sealPairingMessage } from '../../src/enrollment/pairingChannel.js';
import { createPairingOffer, decodePairingOffer, encodePairingOffer, type PairingOffer } from '../../src/enrollment/pairingOffer.js';
import type { SecurityWarning } from '../../src/enrollment/securityWarning.js';
import { accountWith, FAST, newAccount, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { rewritingMailbox } from '../support/hostileOperator.js';
import { approving, sasScreens } from '../support/sasScreens.js';

let env: EnrollmentEnv;
/** What the colluding operator hands the laptop instead of the invite it finds (when set). */
let substitute: { inviteSlot: Uint8Array; invite: Uint8Array } | undefined;
beforeEach(async () => {
  substitute = undefined;
  env = await startEnrollmentServer({
    wrapStore: (store) =>
      rewritingMailbox(store, (id, bytes) => {
        const s = substitute;
        return s !== undefined && equalBytes(id, s.inviteSlot) ? s.invite : bytes;
      }),
  });
});
afterEach(async () => env.stop());

async function setUp() {
  const { devices } = await accountWith(env, 1);
  const phone = devices[0] as Account<HttpClient>;
  const warnings: SecurityWarning[] = [];
  phone.onSecurityWarning((w) => warnings.push(w));
  const { account: photographer } = await newAccount(env);
  const laptop = await Device.generate();
  const offer = createPairingOffer(laptop, env.url, { now: env.clock.now() });
  const join = (o: PairingOffer, confirmSas: (sas: string) => Promise<boolean>) =>
    Account.joinWithOffer({ device: laptop, offer: o, transport: env.anonymous(laptop), connect: env.connect, clock: env.clock.now, confirmSas, ...FAST });
  return { phone, warnings, photographer, laptop, offer, uri: encodePairingOffer(offer), join };
}

describe('photographedQrCannotCaptureTheNewDevice', () => {
  it('the photographer answers first: the owner sees no matching code, says no, and the laptop joins the right account next time', async () => {
    const { phone, warnings, photographer, laptop, offer, uri, join } = await setUp();
    // The photo decodes like the real scan: secret, card and commitment, but not the laptop's nonce.
    expect(decodePairingOffer(laptop.suite, uri, env.clock.now()).nonce).toBeUndefined();

    // The laptop waits; the photographer answers first, and shows their code on their own phone.
    const ownerScreens = sasScreens();
    const joining = join(offer, ownerScreens.confirmSas);
    let showPhotographer!: (sas: string) => void;
    const photographerShows = new Promise<string>((resolve) => (showPhotographer = resolve));
    const hijack = photographer.approveOffer(uri, { confirm: async () => true, showSas: showPhotographer, pollMs: 10, timeoutMs: 1500 });
    hijack.catch(() => undefined); // looked at below
    const photographerCode = await photographerShows;

    // The owner scans the same QR code with the phone: already answered.
    await expect(approving(ownerScreens, phone.approveOffer(uri, { confirm: async () => true, showSas: ownerScreens.showSas, ...FAST }))).rejects.toMatchObject({
      code: 'PAIRING_OFFER_USED',
    });
    expect(warnings).toMatchObject([{ code: 'PAIRING_OFFER_USED', flow: 'qr' }]);
    expect(warnings[0]!.device?.id).toEqual(laptop.id);
    expect(await ownerScreens.shown).toBeNull();

    // The laptop showed a code, the phone none: the owner says no, and the laptop stops.
    await expect(joining).rejects.toMatchObject({ code: 'PAIRING_DECLINED' });
    // The photographer never got a consent: nothing to add, and the laptop is not in their account.
    await expect(hijack).rejects.toMatchObject({ code: 'PAIRING_TIMEOUT' });
    await photographer.refresh();
    expect(photographer.chain.length).toBe(1);
    expect(photographer.chain.activeDevices().map((d) => d.id)).not.toContainEqual(laptop.id);

    // A new offer, scanned by the owner alone, works.
    const joined = await pairByQr(env, phone, laptop);
    expect(joined.accountId).toEqual(phone.accountId);
    expect(photographerCode).toMatch(/^\d{3} \d{3}$/);
  });

  it('an operator in league with the photographer hands the laptop their invite: the codes differ and nobody gets the laptop', async () => {
    const { phone, photographer, laptop, offer, uri, join } = await setUp();
    const suite = laptop.suite;
    substitute = {
      inviteSlot: pairingMailboxId(suite, offer.secret, PAIRING_STEPS.invite),
      invite: sealPairingMessage(suite, offer.secret, PAIRING_STEPS.invite, {
        a: photographer.accountId,
        h: photographer.chain.head,
        dev: encodeDevicePublic(photographer.device.public),
        n: new Uint8Array(32).fill(0x66),
      }),
    };
    const screens = sasScreens();
    let laptopCode: string | undefined;
    const [joining, approval] = await Promise.allSettled([
      join(offer, async (sas) => ((laptopCode = sas), screens.confirmSas(sas))),
      approving(screens, phone.approveOffer(uri, { confirm: async () => true, showSas: screens.showSas, pollMs: 10, timeoutMs: 1500 })),
    ]);
    // The owner's phone got the laptop's real reveal and shows a code; the laptop shows another.
    expect(await screens.shown).toMatch(/^\d{3} \d{3}$/);
    expect(laptopCode).toMatch(/^\d{3} \d{3}$/);
    expect(laptopCode).not.toBe(await screens.shown);
    expect(joining).toMatchObject({ status: 'rejected', reason: { code: 'PAIRING_DECLINED' } });
    expect(approval).toMatchObject({ status: 'rejected', reason: { code: 'PAIRING_TIMEOUT' } });
    await phone.refresh();
    await photographer.refresh();
    expect(phone.chain.length).toBe(1);
    expect(photographer.chain.length).toBe(1);
  });
});
