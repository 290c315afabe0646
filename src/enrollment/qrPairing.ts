/**
 * Pairing by QR code. The new device shows an offer (its card, a one-time secret, a commitment
 * to a nonce, the server URL, an expiry: pairingOffer.ts). An enrolled device scans it, its user
 * confirms, and then, through mailbox slots named and sealed by the secret (pairingChannel.ts):
 *
 *   approver → invite  {account, head, approver's card, approver's nonce}
 *   joiner   → reveal  {joiner's nonce}                       (the approver checks the commitment)
 *   both show the short authentication string (sas.ts); the joiner's user compares
 *   joiner   → consent {signature over account ‖ joiner's card, joiner's epoch-0 key statement}
 *   approver appends `add` (compare-and-swap), then → welcome {head, length after the add}
 *
 * The joiner then verifies the whole chain itself (joinChain.ts). The joiner's card came
 * through the camera, so the approver cannot be fooled about whom it adds. The joiner cannot
 * know from the messages alone who invited it (whoever photographed the QR code knows the
 * secret), so it consents to nothing until its user has seen the approving device show the
 * same code: see docs/decisions.md, "QR pairing".
 */
import { UsageError, ValidationError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { encodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';
import type { Device } from '../core/device.js';
import { addAndWelcome, putInvite, withWarnings, type ApproverContext } from './approverContext.js';
import { deviceKeys } from './chainOps.js';
import type { DeviceChain } from './deviceChain.js';
import { deviceTime } from './deviceTime.js';
import { revealAndConsent } from './joinerConsent.js';
import { joinChain } from './joinChain.js';
import { deadline, PAIRING_MESSAGE_TTL_MS, takeWhenReady, type WaitOptions } from './mailboxWait.js';
import { PAIRING_STEPS, pairingMailboxId } from './pairingChannel.js';
import { openInvite, openReveal, openWelcome } from './pairingMessages.js';
import { decodePairingOffer, type PairingOffer } from './pairingOffer.js';
import { checkSasCommitment, sasCode } from './sas.js';
import type { EnrollmentTransport, TransportFactory } from './transport.js';

/** Options of the approving side. */
export interface ApproveOfferOptions extends WaitOptions {
  /** Shows the offered device to the user; resolves true to approve it. */
  confirm: (offer: PairingOffer) => Promise<boolean>;
  /**
   * Shows the 6-digit code (e.g. "042 917") that the user must find on the new device before
   * confirming there. Called once the new device has revealed its nonce; the approval then
   * waits for the new device's consent.
   */
  showSas: (sas: string) => void | Promise<void>;
  /** Randomness for the approver's nonce (tests only). */
  random?: RandomSource;
}

/** Options of the joining side. */
export interface JoinWithOfferOptions<T extends EnrollmentTransport> extends WaitOptions {
  /** The new device, whose card the offer carries. */
  device: Device;
  /** The offer this device made and shows (with its secret and nonce). */
  offer: PairingOffer;
  /** Any transport to the server: the mailbox needs no account. */
  transport: EnrollmentTransport;
  /** Makes this device's transport once it knows its account. */
  connect: TransportFactory<T>;
  /**
   * Shows the 6-digit code; resolves true when the user says the approving device shows the
   * same. Nothing is signed for the inviting account before it resolves true.
   */
  confirmSas: (sas: string) => Promise<boolean>;
  /** The device clock, ms since the epoch; `Date.now` by default. Corrected by the transport's learned offset. */
  clock?: () => number;
}

function expired(): ValidationError {
  return new ValidationError('PAIRING_OFFER_EXPIRED', 'this pairing code has expired: make a new one');
}

function ttlUntil(expiresAt: number, now: number): number {
  return Math.max(1000, Math.min(PAIRING_MESSAGE_TTL_MS, expiresAt - now));
}

/**
 * The approving side: returns the card of the device it added. `PAIRING_OFFER_USED` and
 * `SAS_COMMITMENT_MISMATCH` are also raised as security warnings (`ctx.warn`).
 * @throws {CodecError} `PAIRING_OFFER_INVALID`. @throws {ValidationError} `PAIRING_OFFER_EXPIRED`.
 * @throws {UsageError} `PAIRING_DECLINED`, `PAIRING_OFFER_USED`, `PAIRING_TIMEOUT`.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`, `SAS_COMMITMENT_MISMATCH`, `CHAIN_*`.
 * @throws {ForkAlarm} `FORK_ALARM`. @throws {RemoteError} from the transport.
 */
export async function approveOffer(ctx: ApproverContext, uri: string, options: ApproveOfferOptions): Promise<DevicePublic> {
  const { device, chain, transport, clock } = ctx;
  const { suite } = device;
  const offer = decodePairingOffer(suite, uri, clock());
  return withWarnings(ctx, 'qr', offer.device, async () => {
    const until = deadline(options, () => {
      if (clock() >= offer.expiresAt) throw expired();
    });
    if (!(await options.confirm(offer))) throw new UsageError('PAIRING_DECLINED', 'the user did not approve this device');
    until.check!();
    const myCard = encodeDevicePublic(device.public);
    const nonce = (options.random ?? systemRandom)(32);
    await putInvite(ctx, offer.secret, { a: chain.accountId, h: chain.head, dev: myCard, n: nonce }, ttlUntil(offer.expiresAt, clock()));
    const reveal = openReveal(suite, offer.secret, await takeWhenReady(transport, pairingMailboxId(suite, offer.secret, PAIRING_STEPS.reveal), until), false);
    const card = encodeDevicePublic(offer.device);
    checkSasCommitment(suite, offer.commitment, card, reveal.nonce);
    await options.showSas(sasCode(suite, chain.accountId, card, myCard, reveal.nonce, nonce));
    // The joiner consents once its user compared the codes: the offer may expire meanwhile.
    await addAndWelcome(ctx, offer.secret, offer.device, deadline(options));
    return offer.device;
  });
}

/**
 * The joining side: waits for the invite, reveals, asks its user to compare the codes, consents
 * only if they match, waits for the welcome, verifies.
 * @throws {ValidationError} `PAIRING_OFFER_EXPIRED` (no invite before the offer expired).
 * @throws {UsageError} `PAIRING_DECLINED` (the user saw different codes), `PAIRING_OFFER_USED`,
 *   `PAIRING_TIMEOUT`, `ARGUMENT_INVALID` (the offer is another device's, or lacks its nonce),
 *   `KEY_STATEMENT_MISSING`.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`, `PAIRING_NOT_ADDED`. @throws {ForkAlarm} `FORK_ALARM`.
 * @throws {RemoteError} from the transport.
 */
export async function joinWithOffer<T extends EnrollmentTransport>(
  options: JoinWithOfferOptions<T>,
): Promise<{ transport: T; chain: DeviceChain }> {
  const { device, offer, transport } = options;
  const { suite } = device;
  const clock = deviceTime(options.clock, transport);
  if (!(offer?.device?.id instanceof Uint8Array) || !equalBytes(offer.device.id, device.id) || !(offer.nonce instanceof Uint8Array)) {
    throw new UsageError('ARGUMENT_INVALID', 'the offer was made for another device, or lacks its nonce');
  }
  const keys = deviceKeys(device);
  const untilInvite = deadline(options, () => {
    if (clock() >= offer.expiresAt) throw expired();
  });
  const invite = openInvite(suite, offer.secret, await takeWhenReady(transport, pairingMailboxId(suite, offer.secret, PAIRING_STEPS.invite), untilInvite));
  if (invite === 'used') throw new UsageError('PAIRING_OFFER_USED', 'this pairing offer was already used: make a new one');
  await revealAndConsent(
    {
      device,
      transport,
      secret: offer.secret,
      nonce: offer.nonce,
      usedTtlMs: ttlUntil(offer.expiresAt, clock()),
      confirmSas: options.confirmSas,
      revealCard: false,
    },
    invite,
  );
  // Once consent is out, the approver may add us right at the offer's expiry: wait on time alone.
  const welcome = openWelcome(suite, offer.secret, await takeWhenReady(transport, pairingMailboxId(suite, offer.secret, PAIRING_STEPS.welcome), deadline(options)));
  // The chain corrects the device clock by the new transport's offset itself.
  return joinChain(device, keys, invite, welcome, options.connect, options.clock ?? Date.now);
}
