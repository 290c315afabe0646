/**
 * The messages of a pairing, sealed with pairingChannel.ts, and their exact shapes. Every field
 * is checked for presence, type and length before use; anything else is
 * `PAIRING_MESSAGE_INVALID`. Maps use short keys:
 *
 * | step    | QR pairing                       | code pairing                          |
 * |---------|----------------------------------|---------------------------------------|
 * | commit  | — (the offer carries it)         | `{c}` commitment to the card and nonce |
 * | invite  | `{a, h, dev, n}` account, head, approver's card, approver's nonce        |
 * | reveal  | `{n}` the new device's nonce     | `{dev, n}` its card and nonce          |
 * | consent | `{ok, xk}` consent signature and epoch-0 key statement, sent only once the |
 * |         | new device's user confirmed the codes                                    |
 * | welcome | `{h, l}` head and length after the add                                   |
 *
 * A joiner that took its invite leaves `{used: 1}` in the invite slot, so the offer or code works once.
 */
import { CryptoError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { RandomSource } from '../crypto/random.js';
import { decodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';
import { decodeKeyStatement, KEY_STATEMENT_BYTES, type KeyStatement } from '../core/keyStatement.js';
import { openPairingMessage, PAIRING_STEPS, sealPairingMessage, type PairingStep } from './pairingChannel.js';

type Shape = Readonly<Record<string, number | 'uint'>>;

const SHAPES = {
  commit: { c: 32 },
  invite: { a: 32, h: 32, dev: 129, n: 32 },
  qrReveal: { n: 32 },
  codeReveal: { dev: 129, n: 32 },
  consent: { ok: 64, xk: KEY_STATEMENT_BYTES },
  welcome: { h: 32, l: 'uint' },
} as const satisfies Record<string, Shape>;

/** The approver's invitation: which account, its head, who invites, and the approver's nonce. */
export interface Invite {
  account: Uint8Array;
  head: Uint8Array;
  approver: DevicePublic;
  nonce: Uint8Array;
}

/** The new device's reveal: the nonce it committed to (and, for codes, its encoded card). */
export interface Reveal {
  nonce: Uint8Array;
  card?: Uint8Array;
}

/** The new device's consent: its signature over account ‖ card, and its epoch-0 key statement. */
export interface Consent {
  consent: Uint8Array;
  keyStatement: KeyStatement;
}

/** The approver's last word: the chain head and length right after the add. */
export interface Welcome {
  head: Uint8Array;
  length: number;
}

function invalid(why: string, cause?: unknown): CryptoError {
  return new CryptoError('PAIRING_MESSAGE_INVALID', `the pairing message is not valid: ${why}`, cause === undefined ? undefined : { cause });
}

function checkShape(m: Record<string, unknown>, shape: Shape): Record<string, unknown> {
  if (Object.keys(m).length !== Object.keys(shape).length) throw invalid('unexpected fields');
  for (const [key, kind] of Object.entries(shape)) {
    const v = m[key];
    const ok = kind === 'uint' ? typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 : v instanceof Uint8Array && v.length === kind;
    if (!ok) throw invalid(`field "${key}"`);
  }
  return m;
}

function openShaped(suite: CryptoProvider, secret: Uint8Array, step: PairingStep, bytes: Uint8Array, shape: Shape): Record<string, unknown> {
  return checkShape(openPairingMessage(suite, secret, step, bytes), shape);
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
 * An invite, or `'used'` for the marker of an offer or code already taken: a map whose only key
 * is `used`, recognised before the shape check, whose value must be exactly 1.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`.
 */
export function openInvite(suite: CryptoProvider, secret: Uint8Array, bytes: Uint8Array): Invite | 'used' {
  const m = openPairingMessage(suite, secret, PAIRING_STEPS.invite, bytes);
  if (Object.keys(m).length === 1 && 'used' in m) {
    if (m.used !== 1) throw invalid('the used marker is {used: 1}');
    return 'used';
  }
  const s = checkShape(m, SHAPES.invite);
  let approver: DevicePublic;
  try {
    approver = decodeDevicePublic(suite, s.dev as Uint8Array);
  } catch (cause) {
    throw invalid('the device card does not verify', cause);
  }
  return { account: s.a as Uint8Array, head: s.h as Uint8Array, approver, nonce: s.n as Uint8Array };
}

/** The marker a joiner leaves in the invite slot once it took its invite. */
export function usedMarker(suite: CryptoProvider, secret: Uint8Array, random?: RandomSource): Uint8Array {
  return sealMessage(suite, secret, PAIRING_STEPS.invite, { used: 1 }, random);
}

/**
 * A reveal: `withCard` for code pairing, whose card did not come through a camera. The card is
 * returned as bytes: the approver checks it against the commitment before decoding it.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`.
 */
export function openReveal(suite: CryptoProvider, secret: Uint8Array, bytes: Uint8Array, withCard: boolean): Reveal {
  const s = openShaped(suite, secret, PAIRING_STEPS.reveal, bytes, withCard ? SHAPES.codeReveal : SHAPES.qrReveal);
  return withCard ? { nonce: s.n as Uint8Array, card: s.dev as Uint8Array } : { nonce: s.n as Uint8Array };
}

/**
 * A consent. The key statement is only decoded here; the chain rules verify it against the card.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`.
 */
export function openConsent(suite: CryptoProvider, secret: Uint8Array, bytes: Uint8Array): Consent {
  const s = openShaped(suite, secret, PAIRING_STEPS.consent, bytes, SHAPES.consent);
  let keyStatement: KeyStatement;
  try {
    keyStatement = decodeKeyStatement(s.xk as Uint8Array);
  } catch (cause) {
    throw invalid('the key statement is malformed', cause);
  }
  return { consent: s.ok as Uint8Array, keyStatement };
}

/** A welcome. @throws {CryptoError} `PAIRING_MESSAGE_INVALID`. */
export function openWelcome(suite: CryptoProvider, secret: Uint8Array, bytes: Uint8Array): Welcome {
  const s = openShaped(suite, secret, PAIRING_STEPS.welcome, bytes, SHAPES.welcome);
  return { head: s.h as Uint8Array, length: s.l as number };
}
