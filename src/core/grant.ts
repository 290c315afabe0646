/**
 * History grants: how a device reads a record sealed before it could (enrolled later, or skipped
 * while its key was stale). A device that holds a record's content key re-wraps it for the
 * other device under their pair key, bound to the envelope hash H. The envelope itself is not
 * touched or re-uploaded, and the grant vouches for nothing but the key: the envelope's
 * authenticity comes from its sender's log, and the key from the header's key commitment.
 *
 * Grant layout (117 bytes): version 0x02 ‖ record id (16) ‖ H (32) ‖ grantor id (16) ‖ key ref (u32)
 *   ‖ wrapped content key (48) = XChaCha20-Poly1305(kek(grantor→recipient, ref),
 *       nonce = BLAKE2b-192(labelled("multikey-sync/v2/grant-nonce", H)), content key, aad = H).
 * The nonce differs from the envelope's own wrap nonce (H[0..24]), so a grant never reuses a
 * nonce of a stanza the grantor wrote to the same device under the same pair key.
 */
import { CodecError, CryptoError, ValidationError } from '../errors.js';
import { equalBytes, expectBytes } from '../crypto/bytes.js';
import { labelledHash } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { Device } from './device.js';
import { DEVICE_ID_BYTES } from './devicePublic.js';
import { ACCOUNT_ID_BYTES, CONTENT_KEY_BYTES, DEFAULT_MAX_ENVELOPE_BYTES, parseEnvelope, RECORD_ID_BYTES, writeU32, type ParsedEnvelope } from './envelopeFormat.js';
import { ENVELOPE_HASH_BYTES, envelopeHash } from './envelopeHash.js';
import { decryptBody, unwrapContentKey, type OpenedEnvelope, type OpenOptions, type PairKeyLookup } from './open.js';
import { MAX_KEY_REF, PAIR_KEY_BYTES } from './pairKey.js';
import type { SealRecipient } from './seal.js';

export const GRANT_BYTES = 117;
const GRANT_VERSION = 0x02;
const HASH_AT = 1 + RECORD_ID_BYTES;
const GRANTOR_AT = HASH_AT + ENVELOPE_HASH_BYTES;
const REF_AT = GRANTOR_AT + DEVICE_ID_BYTES;
const WRAP_AT = REF_AT + 4;

/**
 * A grant of the content key `contentKey` of the envelope with hash `hash` to `to`, from
 * `grantor`. One AEAD of 32 bytes; no envelope is read.
 * @throws {ValidationError} `GRANT_INPUT_INVALID`.
 */
export function makeGrant(grantor: Device, to: SealRecipient, recordId: Uint8Array, hash: Uint8Array, contentKey: Uint8Array): Uint8Array {
  expectBytes(recordId, RECORD_ID_BYTES, 'record id', 'GRANT_INPUT_INVALID');
  expectBytes(hash, ENVELOPE_HASH_BYTES, 'envelope hash', 'GRANT_INPUT_INVALID');
  expectBytes(contentKey, CONTENT_KEY_BYTES, 'content key', 'GRANT_INPUT_INVALID');
  expectBytes(to.key, PAIR_KEY_BYTES, 'pair key', 'GRANT_INPUT_INVALID');
  if (!Number.isInteger(to.ref) || to.ref < 1 || to.ref > MAX_KEY_REF) throw new ValidationError('GRANT_INPUT_INVALID', 'a key reference is an integer in 1..2^32-1');
  const suite = grantor.suite;
  const out = new Uint8Array(GRANT_BYTES);
  out[0] = GRANT_VERSION;
  out.set(recordId, 1);
  out.set(hash, HASH_AT);
  out.set(grantor.id, GRANTOR_AT);
  writeU32(out, REF_AT, to.ref);
  out.set(suite.aeadEncrypt(to.key, grantNonce(grantor, hash), contentKey, hash), WRAP_AT);
  return out;
}

/**
 * Makes a grant of `envelope`'s content key to `to`, or returns null when `grantor` has no
 * stanza in it. Costs one unwrap and one wrap; the body is not decrypted.
 * @throws {CodecError} `ENVELOPE_*`; {CryptoError} `ENVELOPE_KEY_UNKNOWN`, `ENVELOPE_TAMPERED`.
 */
export function grantEnvelope(grantor: Device, account: Uint8Array, keys: PairKeyLookup, envelope: Uint8Array, to: SealRecipient): Uint8Array | null {
  return grantParsed(grantor, account, keys, parseEnvelope(envelope), to);
}

/** {@link grantEnvelope} for an envelope already parsed by `parseEnvelope` (package-internal). */
export function grantParsed(grantor: Device, account: Uint8Array, keys: PairKeyLookup, parsed: ParsedEnvelope, to: SealRecipient): Uint8Array | null {
  expectBytes(account, ACCOUNT_ID_BYTES, 'account id', 'ACCOUNT_ID_INVALID');
  const unwrapped = unwrapContentKey(grantor, account, keys, parsed);
  if (unwrapped === null) return null;
  try {
    return makeGrant(grantor, to, parsed.recordId, unwrapped.hash, unwrapped.contentKey);
  } finally {
    unwrapped.contentKey.fill(0);
  }
}

/** The parts of a grant (views into it). */
export interface GrantParts {
  readonly recordId: Uint8Array;
  readonly hash: Uint8Array;
  readonly grantor: Uint8Array;
  readonly ref: number;
}

/**
 * Reads a grant's public parts.
 * @throws {CodecError} `GRANT_MALFORMED` for a wrong length or version.
 */
export function grantParts(grant: Uint8Array): GrantParts {
  if (!(grant instanceof Uint8Array) || grant.length !== GRANT_BYTES || grant[0] !== GRANT_VERSION) {
    throw new CodecError('GRANT_MALFORMED', `a grant is ${GRANT_BYTES} bytes starting with version 2`);
  }
  return {
    recordId: grant.subarray(1, HASH_AT),
    hash: grant.subarray(HASH_AT, GRANTOR_AT),
    grantor: grant.subarray(GRANTOR_AT, REF_AT),
    ref: new DataView(grant.buffer, grant.byteOffset + REF_AT, 4).getUint32(0),
  };
}

/** The record id a grant is for, to match it with its envelope. @throws {CodecError} `GRANT_MALFORMED`. */
export function grantRecordId(grant: Uint8Array): Uint8Array {
  return grantParts(grant).recordId;
}

/**
 * Opens `envelope` with a grant addressed to `recipient`; `keys` must hold the pair key the
 * grantor established toward `recipient` under the grant's reference.
 * @throws {CodecError} `GRANT_MALFORMED`, `ENVELOPE_*`, `PADDING_INVALID`, `CBOR_*`.
 * @throws {CryptoError} `GRANT_MISMATCH` (the grant is for another envelope), `GRANT_KEY_UNKNOWN`,
 *   `GRANT_TAMPERED`, `ENVELOPE_KEY_COMMITMENT`, `ENVELOPE_TAMPERED`.
 */
export function openWithGrant<T = unknown>(
  recipient: Device,
  account: Uint8Array,
  keys: PairKeyLookup,
  envelope: Uint8Array,
  grant: Uint8Array,
  options: OpenOptions = {},
): OpenedEnvelope<T> {
  // §9's order: the grant, then the account, then the envelope.
  grantParts(grant);
  expectBytes(account, ACCOUNT_ID_BYTES, 'account id', 'ACCOUNT_ID_INVALID');
  const opened = openWithGrantKeepingKey<T>(recipient, account, keys, parseEnvelope(envelope, options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES), grant, options);
  opened.contentKey.fill(0);
  const { contentKey: _key, ...rest } = opened;
  return rest;
}

/** {@link openWithGrant} on a parsed envelope, returning the content key too (package-internal). */
export function openWithGrantKeepingKey<T = unknown>(
  recipient: Device,
  account: Uint8Array,
  keys: PairKeyLookup,
  parsed: ParsedEnvelope,
  grant: Uint8Array,
  options: OpenOptions = {},
): OpenedEnvelope<T> & { contentKey: Uint8Array } {
  const parts = grantParts(grant);
  expectBytes(account, ACCOUNT_ID_BYTES, 'account id', 'ACCOUNT_ID_INVALID');
  const suite = recipient.suite;
  const hash = envelopeHash(suite, account, parsed.headerAndBody, parsed.stanzas);
  if (!equalBytes(hash, parts.hash) || !equalBytes(parsed.recordId, parts.recordId)) {
    throw new CryptoError('GRANT_MISMATCH', 'the grant is for another envelope');
  }
  const kek = keys.get(parts.grantor, parts.ref);
  if (kek === undefined) throw new CryptoError('GRANT_KEY_UNKNOWN', 'this device holds no pair key from the grantor under the grant\'s key reference');
  const contentKey = suite.aeadDecrypt(kek, grantNonce(recipient, hash), grant.subarray(WRAP_AT), hash);
  if (contentKey === null) throw new CryptoError('GRANT_TAMPERED', 'the grant was altered or not made by its named grantor');
  try {
    return { ...decryptBody<T>(suite, account, parsed, hash, contentKey, options), contentKey };
  } catch (error) {
    contentKey.fill(0);
    throw error;
  }
}

function grantNonce(device: Device, hash: Uint8Array): Uint8Array {
  return labelledHash(device.suite, LABELS.grantNonceV2, 24, hash);
}
