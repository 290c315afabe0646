/**
 * The pairing channel: small messages between a new device and an approving device, left in
 * the server's mailbox under ids derived from the pairing secret and sealed under a key derived
 * from it. Each step has its own mailbox id, and the step and id are bound as AAD, so the
 * server can neither read a message nor move it to another step.
 *
 * mailbox id(step) = labelled BLAKE2b-256("pairing-mailbox", secret ‖ step)
 * key              = labelled keyed BLAKE2b-256("pairing-key"; key = secret)
 * message          = nonce (24) ‖ XChaCha20-Poly1305(key, nonce, canonical CBOR, aad = step ‖ id)
 */
import { CryptoError } from '../errors.js';
import { deriveKey, labelledHash } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { decodeValue, encodeCanonical } from '../core/cbor.js';

/** The steps of a pairing, each with its own mailbox slot. */
export const PAIRING_STEPS = {
  /** approver → new device: account id, head, the approver's card and nonce (also the slot of the "used" marker). */
  invite: 1,
  /** new device → approver, once its user confirmed the codes: consent signature and epoch-0 key statement. */
  consent: 2,
  /** approver → new device: the add is on the chain; here is its head. */
  welcome: 3,
  /** new device → approver, code pairing: commitment to its card and nonce (a QR offer carries it instead). */
  commit: 4,
  /** new device → approver: the nonce it committed to (and, for codes, its card). */
  reveal: 5,
} as const;

/** Largest plaintext of a pairing message: the CBOR input as a whole (docs/protocol.md §20.2). */
export const MAX_PAIRING_PLAINTEXT_BYTES = 32 * 1024;

export type PairingStep = (typeof PAIRING_STEPS)[keyof typeof PAIRING_STEPS];

/** Mailbox id for `step` of the pairing keyed by `secret`. */
export function pairingMailboxId(suite: CryptoProvider, secret: Uint8Array, step: PairingStep): Uint8Array {
  return labelledHash(suite, LABELS.pairingMailbox, 32, secret, new Uint8Array([step]));
}

/** Seals a pairing message for `step`. */
export function sealPairingMessage(
  suite: CryptoProvider,
  secret: Uint8Array,
  step: PairingStep,
  message: Record<string, unknown>,
  random: RandomSource = systemRandom,
): Uint8Array {
  const id = pairingMailboxId(suite, secret, step);
  const nonce = random(24);
  const key = deriveKey(suite, LABELS.pairingKey, secret, 32);
  const sealed = suite.aeadEncrypt(key, nonce, encodeCanonical(message), aadFor(step, id));
  key.fill(0);
  const out = new Uint8Array(24 + sealed.length);
  out.set(nonce, 0);
  out.set(sealed, 24);
  return out;
}

/**
 * Opens a pairing message for `step`.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID` when it does not authenticate or decode.
 */
export function openPairingMessage(
  suite: CryptoProvider,
  secret: Uint8Array,
  step: PairingStep,
  bytes: Uint8Array,
): Record<string, unknown> {
  const invalid = () => new CryptoError('PAIRING_MESSAGE_INVALID', 'the pairing message was altered or is not for this pairing');
  if (!(bytes instanceof Uint8Array) || bytes.length < 24 + 16) throw invalid();
  const key = deriveKey(suite, LABELS.pairingKey, secret, 32);
  const plain = suite.aeadDecrypt(key, bytes.subarray(0, 24), bytes.subarray(24), aadFor(step, pairingMailboxId(suite, secret, step)));
  key.fill(0);
  if (plain === null) throw invalid();
  let value: unknown;
  try {
    value = decodeValue(plain, { maxDepth: 3, maxItems: 256, maxBytes: MAX_PAIRING_PLAINTEXT_BYTES });
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  return value as Record<string, unknown>;
}

function aadFor(step: PairingStep, id: Uint8Array): Uint8Array {
  const aad = new Uint8Array(1 + id.length);
  aad[0] = step;
  aad.set(id, 1);
  return aad;
}
