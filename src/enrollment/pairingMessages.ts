/**
 * The messages of a pairing, sealed with pairingChannel.ts, and their exact shapes. Every field
 * is checked for presence, type and length before use; anything else is
 * `PAIRING_MESSAGE_INVALID`. Maps use short keys:
 *
 * | step    | QR pairing                         | code pairing                               |
 * |---------|------------------------------------|--------------------------------------------|
 * | commit  | —                                  | `{c}` commitment to the joiner's card+nonce |
 * | invite  | `{a, h, dev}` account, head, card  | `{a, h, dev, n}` … and the approver's nonce |
 * | consent | `{ok}` consent signature           | `{dev, n, ok}` card, nonce, consent         |
 * | welcome | `{h, l}` head and length after the add                                          |
 *
 * A joiner that took its invite leaves `{used: 1}` in the invite slot, so the offer works once.
 */
import { CryptoError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { RandomSource } from '../crypto/random.js';
import { decodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';
import { openPairingMessage, PAIRING_STEPS, sealPairingMessage, type PairingStep } from './pairingChannel.js';

type Shape = Readonly<Record<string, number | 'uint'>>;

const SHAPES = {
  commit: { c: 32 },
  qrInvite: { a: 32, h: 32, dev: 129 },
  codeInvite: { a: 32, h: 32, dev: 129, n: 32 },
  qrConsent: { ok: 64 },
  codeConsent: { dev: 129, n: 32, ok: 64 },
  welcome: { h: 32, l: 'uint' },
  used: { used: 'uint' },
} as const satisfies Record<string, Shape>;

/** The approver's invitation: which account, its head, who invites (and, for codes, its nonce). */
export interface Invite {
  account: Uint8Array;
  head: Uint8Array;
  approver: DevicePublic;
  nonce?: Uint8Array;
}

/** The joiner's answer: its consent signature (and, for codes, its revealed card and nonce). */
export interface Consent {
  consent: Uint8Array;
  card?: Uint8Array;
  nonce?: Uint8Array;
}

/** The approver's last word: the chain head and length right after the add. */
export interface Welcome {
  head: Uint8Array;
  length: number;
}

function invalid(why: string): CryptoError {
  return new CryptoError('PAIRING_MESSAGE_INVALID', `the pairing message is not valid: ${why}`);
}

function openShaped(suite: CryptoProvider, secret: Uint8Array, step: PairingStep, bytes: Uint8Array, shape: Shape): Record<string, unknown> {
  const m = openPairingMessage(suite, secret, step, bytes);
  const keys = Object.keys(m);
  if (keys.length !== Object.keys(shape).length) throw invalid('unexpected fields');
  for (const [key, kind] of Object.entries(shape)) {
    const v = m[key];
    const ok = kind === 'uint' ? typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 : v instanceof Uint8Array && v.length === kind;
    if (!ok) throw invalid(`field "${key}"`);
  }
  return m;
}

function card(suite: CryptoProvider, bytes: Uint8Array): DevicePublic {
  try {
    return decodeDevicePublic(suite, bytes);
  } catch {
    throw invalid('the device card does not verify');
  }
}

/** Seals a message for `step`. */
export function sealMessage(suite: CryptoProvider, secret: Uint8Array, step: PairingStep, message: Record<string, unknown>, random?: RandomSource): Uint8Array {
  return sealPairingMessage(suite, secret, step, message, random);
}

/** The commitment of a code pairing. @throws {CryptoError} `PAIRING_MESSAGE_INVALID`. */
export function openCommit(suite: CryptoProvider, secret: Uint8Array, bytes: Uint8Array): Uint8Array {
  return openShaped(suite, secret, PAIRING_STEPS.commit, bytes, SHAPES.commit).c as Uint8Array;
}

/**
 * An invite, or `'used'` when the slot holds the marker of an offer already taken.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`.
 */
export function openInvite(suite: CryptoProvider, secret: Uint8Array, bytes: Uint8Array, withNonce: boolean): Invite | 'used' {
  const m = openPairingMessage(suite, secret, PAIRING_STEPS.invite, bytes);
  if (Object.keys(m).length === 1 && m.used !== undefined) return 'used';
  const s = openShaped(suite, secret, PAIRING_STEPS.invite, bytes, withNonce ? SHAPES.codeInvite : SHAPES.qrInvite);
  const invite: Invite = { account: s.a as Uint8Array, head: s.h as Uint8Array, approver: card(suite, s.dev as Uint8Array) };
  if (withNonce) invite.nonce = s.n as Uint8Array;
  return invite;
}

/** The marker a joiner leaves in the invite slot once it took its invite. */
export function usedMarker(suite: CryptoProvider, secret: Uint8Array): Uint8Array {
  return sealMessage(suite, secret, PAIRING_STEPS.invite, { used: 1 });
}

/** A consent. @throws {CryptoError} `PAIRING_MESSAGE_INVALID`. */
export function openConsent(suite: CryptoProvider, secret: Uint8Array, bytes: Uint8Array, withReveal: boolean): Consent {
  const s = openShaped(suite, secret, PAIRING_STEPS.consent, bytes, withReveal ? SHAPES.codeConsent : SHAPES.qrConsent);
  return withReveal ? { consent: s.ok as Uint8Array, card: s.dev as Uint8Array, nonce: s.n as Uint8Array } : { consent: s.ok as Uint8Array };
}

/** A welcome. @throws {CryptoError} `PAIRING_MESSAGE_INVALID`. */
export function openWelcome(suite: CryptoProvider, secret: Uint8Array, bytes: Uint8Array): Welcome {
  const s = openShaped(suite, secret, PAIRING_STEPS.welcome, bytes, SHAPES.welcome);
  return { head: s.h as Uint8Array, length: s.l as number };
}
