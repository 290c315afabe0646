/**
 * open: find this device's stanza, unwrap the content key with the pair key the named sender
 * established toward this device, check the key commitment, decrypt and decode. A stanza that
 * unwraps proves the holder of kek(sender→me, ref) — the sender, since only it and this device
 * can derive that key — wrapped this content key for exactly this envelope hash; the key
 * commitment proves every other recipient gets the same key. "Not addressed to me" is `null`;
 * everything else is a typed error.
 */
import { CryptoError } from '../errors.js';
import { equalBytes, expectBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decodeValue, type CborLimits } from './cbor.js';
import type { Device } from './device.js';
import { DEVICE_ID_BYTES } from './devicePublic.js';
import {
  ACCOUNT_ID_BYTES,
  DEFAULT_MAX_ENVELOPE_BYTES,
  parseEnvelope,
  STANZA_BYTES,
  stanzaRef,
  type EnvelopeHeader,
  type ParsedEnvelope,
} from './envelopeFormat.js';
import { envelopeHash, keyCommitment, WRAP_NONCE_BYTES } from './envelopeHash.js';
import { unpad } from './padding.js';
import { BODY_NONCE, bodyAad } from './seal.js';

/** Finds the pair key kek(sender→me, ref) a recipient derived earlier. */
export interface PairKeyLookup {
  /** The key `sender` established toward this device at log position `ref`, if known. */
  get(sender: Uint8Array, ref: number): Uint8Array | undefined;
}

/** An opened envelope: its public header fields and the decoded body. */
export interface OpenedEnvelope<T = unknown> extends EnvelopeHeader {
  body: T;
  /** H, the envelope hash every wrap and grant is bound to and the sender's log names. */
  hash: Uint8Array;
}

/** Options of {@link open}. */
export interface OpenOptions {
  /** Largest envelope accepted (default 4 MiB). */
  maxEnvelopeBytes?: number;
  /** Limits for decoding the body's CBOR. */
  cborLimits?: Partial<CborLimits>;
}

/**
 * Opens an envelope addressed to `recipient` in `account`; returns null when it has no stanza
 * for this device.
 * @throws {CodecError} `ENVELOPE_*` for malformed bytes, `PADDING_INVALID`, `CBOR_*`.
 * @throws {CryptoError} `ENVELOPE_KEY_UNKNOWN` when `keys` has no pair key for the stanza's
 *   sender and reference; `ENVELOPE_TAMPERED` when the wrap or body fails authentication;
 *   `ENVELOPE_KEY_COMMITMENT` when the unwrapped key is not the one the header commits to.
 */
export function open<T = unknown>(
  recipient: Device,
  account: Uint8Array,
  keys: PairKeyLookup,
  envelope: Uint8Array,
  options: OpenOptions = {},
): OpenedEnvelope<T> | null {
  // §8 step 0: the account is the caller's, checked before the envelope is.
  expectBytes(account, ACCOUNT_ID_BYTES, 'account id', 'ACCOUNT_ID_INVALID');
  const parsed = parseEnvelope(envelope, options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES);
  const unwrapped = unwrapContentKey(recipient, account, keys, parsed);
  if (unwrapped === null) return null;
  try {
    return decryptBody<T>(recipient.suite, account, parsed, unwrapped.hash, unwrapped.contentKey, options);
  } finally {
    unwrapped.contentKey.fill(0);
  }
}

/**
 * {@link open} for an envelope the caller has already parsed with `parseEnvelope`, also
 * returning the content key, which the caller keeps with its copy (for grants) or wipes. Not
 * exported from the package: a hand-built `ParsedEnvelope` would skip the bounds checks.
 */
export function openParsed<T = unknown>(
  recipient: Device,
  account: Uint8Array,
  keys: PairKeyLookup,
  parsed: ParsedEnvelope,
  options: OpenOptions = {},
): (OpenedEnvelope<T> & { contentKey: Uint8Array }) | null {
  expectBytes(account, ACCOUNT_ID_BYTES, 'account id', 'ACCOUNT_ID_INVALID');
  const unwrapped = unwrapContentKey(recipient, account, keys, parsed);
  if (unwrapped === null) return null;
  try {
    // Not a spread: copying the opened object's fields costs as much as a small AEAD.
    const opened = decryptBody<T>(recipient.suite, account, parsed, unwrapped.hash, unwrapped.contentKey, options) as OpenedEnvelope<T> & { contentKey: Uint8Array };
    opened.contentKey = unwrapped.contentKey;
    return opened;
  } catch (error) {
    unwrapped.contentKey.fill(0);
    throw error;
  }
}

/**
 * Finds `recipient`'s stanza and unwraps the content key; null when there is none. The caller
 * must wipe `contentKey` when done.
 * @throws {CryptoError} `ENVELOPE_KEY_UNKNOWN`, `ENVELOPE_TAMPERED`.
 */
export function unwrapContentKey(
  recipient: Device,
  account: Uint8Array,
  keys: PairKeyLookup,
  parsed: ParsedEnvelope,
): { contentKey: Uint8Array; hash: Uint8Array } | null {
  const at = findStanza(parsed.stanzas, recipient.id);
  if (at < 0) return null;
  const ref = stanzaRef(parsed.stanzas, at);
  const kek = keys.get(parsed.sender, ref);
  if (kek === undefined) {
    throw new CryptoError('ENVELOPE_KEY_UNKNOWN', 'this device holds no pair key from the envelope\'s sender under its key reference');
  }
  const suite = recipient.suite;
  const hash = envelopeHash(suite, account, parsed.headerAndBody, parsed.stanzas);
  const wrapped = parsed.stanzas.subarray(at + DEVICE_ID_BYTES + 4, at + STANZA_BYTES);
  const contentKey = suite.aeadDecrypt(kek, hash.subarray(0, WRAP_NONCE_BYTES), wrapped, hash);
  if (contentKey === null) {
    throw new CryptoError('ENVELOPE_TAMPERED', 'the envelope was altered or was not sealed by its named sender');
  }
  return { contentKey, hash };
}

/**
 * Decrypts a parsed envelope's body with a content key that is authenticated for `hash` (from a
 * stanza or a history grant): checks the key commitment first.
 * @throws {CryptoError} `ENVELOPE_KEY_COMMITMENT`, `ENVELOPE_TAMPERED`; {CodecError} `PADDING_INVALID`, `CBOR_*`.
 */
export function decryptBody<T>(
  suite: CryptoProvider,
  account: Uint8Array,
  parsed: ParsedEnvelope,
  hash: Uint8Array,
  contentKey: Uint8Array,
  options: OpenOptions = {},
): OpenedEnvelope<T> {
  if (!equalBytes(keyCommitment(suite, contentKey), parsed.keyCommitment)) {
    throw new CryptoError('ENVELOPE_KEY_COMMITMENT', 'the content key is not the one the envelope commits to');
  }
  const padded = suite.aeadDecrypt(contentKey, BODY_NONCE, parsed.body, bodyAad(account, parsed.headerBytes));
  if (padded === null) throw new CryptoError('ENVELOPE_TAMPERED', 'the envelope body failed authentication');
  const body = decodeValue(unpad(padded), options.cborLimits) as T;
  return {
    kind: parsed.kind,
    recordId: parsed.recordId.slice(),
    revision: parsed.revision,
    sender: parsed.sender.slice(),
    keyCommitment: parsed.keyCommitment.slice(),
    expiryDay: parsed.expiryDay,
    recipientCount: parsed.recipientCount,
    body,
    hash,
  };
}

/** Offset of the first stanza addressed to `id`, or −1. Ids are public: no timing concern. */
export function findStanza(stanzas: Uint8Array, id: Uint8Array): number {
  outer: for (let offset = 0; offset < stanzas.length; offset += STANZA_BYTES) {
    for (let i = 0; i < DEVICE_ID_BYTES; i++) if (stanzas[offset + i] !== id[i]) continue outer;
    return offset;
  }
  return -1;
}
