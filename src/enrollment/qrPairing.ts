/**
 * Pairing by QR code. The new device shows an offer (its card, a one-time secret, the server URL,
 * an expiry: pairingOffer.ts). An enrolled device scans it, its user confirms, and then, through
 * mailbox slots named and sealed by the secret (pairingChannel.ts):
 *
 *   approver → invite  {account, head, approver's card}
 *   joiner   → consent {signature over account ‖ joiner's card}
 *   approver appends `add` (compare-and-swap), then → welcome {head, length after the add}
 *
 * The joiner then verifies the whole chain itself (joinChain.ts). The server relays sealed
 * bytes; the card it would need to substitute came through the camera, not through it.
 */
import { UsageError, ValidationError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import { encodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';
import type { Device } from '../core/device.js';
import { signConsent } from './chainOps.js';
import type { DeviceChain } from './deviceChain.js';
import { deviceTime } from './deviceTime.js';
import { joinChain } from './joinChain.js';
import { deadline, PAIRING_MESSAGE_TTL_MS, takeWhenReady, type WaitOptions } from './mailboxWait.js';
import { PAIRING_STEPS, pairingMailboxId } from './pairingChannel.js';
import { openConsent, openInvite, openWelcome, sealMessage, usedMarker } from './pairingMessages.js';
import { decodePairingOffer, type PairingOffer } from './pairingOffer.js';
import { addAndWelcome, putInvite, type ApproverContext } from './approverContext.js';
import type { EnrollmentTransport, TransportFactory } from './transport.js';

/** Options of the approving side. */
export interface ApproveOfferOptions extends WaitOptions {
  /** Shows the offered device to the user; resolves true to approve it. */
  confirm: (offer: PairingOffer) => Promise<boolean>;
}

/** Options of the joining side. */
export interface JoinWithOfferOptions<T extends EnrollmentTransport> extends WaitOptions {
  /** The new device, whose card the offer carries. */
  device: Device;
  /** The offer this device made and shows (with its secret). */
  offer: PairingOffer;
  /** Any transport to the server: the mailbox needs no account. */
  transport: EnrollmentTransport;
  /** Makes this device's transport once it knows its account. */
  connect: TransportFactory<T>;
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
 * The approving side: returns the card of the device it added.
 * @throws {CodecError} `PAIRING_OFFER_INVALID`. @throws {ValidationError} `PAIRING_OFFER_EXPIRED`.
 * @throws {UsageError} `PAIRING_DECLINED`, `PAIRING_OFFER_USED`, `PAIRING_TIMEOUT`.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`, `CHAIN_*`. @throws {ForkAlarm} `FORK_ALARM`.
 * @throws {RemoteError} from the transport.
 */
export async function approveOffer(ctx: ApproverContext, uri: string, options: ApproveOfferOptions): Promise<DevicePublic> {
  const { device, chain, transport, clock } = ctx;
  const { suite } = device;
  const offer = decodePairingOffer(suite, uri, clock());
  if (!(await options.confirm(offer))) throw new UsageError('PAIRING_DECLINED', 'the user did not approve the new device');
  const until = deadline(options, () => {
    if (clock() >= offer.expiresAt) throw expired();
  });
  until.check!();
  await putInvite(ctx, offer.secret, { a: chain.accountId, h: chain.head, dev: encodeDevicePublic(device.public) }, ttlUntil(offer.expiresAt, clock()));
  const reply = await takeWhenReady(transport, pairingMailboxId(suite, offer.secret, PAIRING_STEPS.consent), until);
  const { consent } = openConsent(suite, offer.secret, reply, false);
  await addAndWelcome(ctx, offer.secret, offer.device, consent);
  return offer.device;
}

/**
 * The joining side: waits for the invite, consents, waits for the welcome, verifies.
 * @throws {ValidationError} `PAIRING_OFFER_EXPIRED` (no invite before the offer expired).
 * @throws {UsageError} `PAIRING_OFFER_USED`, `PAIRING_TIMEOUT`, `ARGUMENT_INVALID` (the offer is another device's).
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`, `PAIRING_NOT_ADDED`. @throws {ForkAlarm} `FORK_ALARM`.
 * @throws {RemoteError} from the transport.
 */
export async function joinWithOffer<T extends EnrollmentTransport>(
  options: JoinWithOfferOptions<T>,
): Promise<{ transport: T; chain: DeviceChain }> {
  const { device, offer, transport } = options;
  const { suite } = device;
  const clock = deviceTime(options.clock, transport);
  if (!(offer?.device?.id instanceof Uint8Array) || !equalBytes(offer.device.id, device.id)) {
    throw new UsageError('ARGUMENT_INVALID', 'the offer was made for another device');
  }
  const slot = (step: (typeof PAIRING_STEPS)[keyof typeof PAIRING_STEPS]) => pairingMailboxId(suite, offer.secret, step);
  const untilInvite = deadline(options, () => {
    if (clock() >= offer.expiresAt) throw expired();
  });
  const invite = openInvite(suite, offer.secret, await takeWhenReady(transport, slot(PAIRING_STEPS.invite), untilInvite), false);
  if (invite === 'used') throw new UsageError('PAIRING_OFFER_USED', 'this pairing offer was already used: make a new one');
  // Best effort: a second device scanning the same offer now finds the slot taken.
  await transport.mailboxPut(slot(PAIRING_STEPS.invite), usedMarker(suite, offer.secret), ttlUntil(offer.expiresAt, clock())).catch(() => undefined);
  const consent = sealMessage(suite, offer.secret, PAIRING_STEPS.consent, { ok: signConsent(device, invite.account) });
  await transport.mailboxPut(slot(PAIRING_STEPS.consent), consent, PAIRING_MESSAGE_TTL_MS);
  // Once consent is out, the approver may add us right at the offer's expiry: wait on time alone.
  const welcome = openWelcome(suite, offer.secret, await takeWhenReady(transport, slot(PAIRING_STEPS.welcome), deadline(options)));
  return joinChain(device, invite, welcome, options.connect, options.clock ?? Date.now);
}
