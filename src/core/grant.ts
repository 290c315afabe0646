/**
 * History grants: how a newly enrolled device reads records sealed before it existed. A device
 * that can open an envelope re-wraps its content key for the new device under their pairwise
 * key, bound to the envelope hash H. The envelope itself is not touched or re-uploaded.
 *
 * Grant layout (113 bytes): version 0x01 ‖ record id (16) ‖ H (32) ‖ grantor id (16) ‖
 * wrapped content key (48) = XChaCha20-Poly1305(kek(grantor→recipient),
 * nonce = labelled BLAKE2b-192("grant-nonce", H), key, aad = H).
 * The nonce differs from the envelope's own wrap nonce (H[0..24]) under the same pairwise key,
 * so a grant never reuses a nonce of a stanza the grantor wrote to the same device.
 */
import { CodecError, CryptoError } from '../errors.js';
import { equalBytes, expectBytes } from '../crypto/bytes.js';
import { labelledHash } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { Device } from './device.js';
import type { DeviceLookup } from './deviceDirectory.js';
import type { DevicePublic } from './devicePublic.js';
import { ACCOUNT_ID_BYTES, DEFAULT_MAX_ENVELOPE_BYTES, parseEnvelope, type ParsedEnvelope } from './envelopeFormat.js';
import { envelopeHash } from './envelopeHash.js';
import { decryptBody, unwrapContentKey, type OpenedEnvelope, type OpenOptions } from './open.js';

export const GRANT_BYTES = 113;
const GRANT_VERSION = 0x01;

/**
 * Makes a grant of `envelope`'s content key to `recipient`, or returns null when `grantor`
 * cannot open the envelope itself. Costs one unwrap and one wrap; the body is not decrypted.
 * @throws {CodecError} `ENVELOPE_*`; {CryptoError} `ENVELOPE_UNKNOWN_SENDER`, `ENVELOPE_TAMPERED`.
 */
export function grantEnvelope(
  grantor: Device,
  account: Uint8Array,
  senders: DeviceLookup,
  envelope: Uint8Array,
  recipient: DevicePublic,
): Uint8Array | null {
  return grantParsed(grantor, account, senders, parseEnvelope(envelope), recipient);
}

/** {@link grantEnvelope} for an envelope already parsed by `parseEnvelope` (package-internal). */
export function grantParsed(
  grantor: Device,
  account: Uint8Array,
  senders: DeviceLookup,
  parsed: ParsedEnvelope,
  recipient: DevicePublic,
): Uint8Array | null {
  const unwrapped = unwrapContentKey(grantor, account, senders, parsed);
  if (unwrapped === null) return null;
  const suite = grantor.suite;
  const out = new Uint8Array(GRANT_BYTES);
  out[0] = GRANT_VERSION;
  out.set(parsed.recordId, 1);
  out.set(unwrapped.hash, 17);
  out.set(grantor.id, 49);
  const nonce = labelledHash(suite, LABELS.grantNonce, 24, unwrapped.hash);
  out.set(suite.aeadEncrypt(grantor.pairwiseKey(recipient, 'to'), nonce, unwrapped.contentKey, unwrapped.hash), 65);
  unwrapped.contentKey.fill(0);
  return out;
}

/** The record id a grant is for (bytes 1..17), to match it with its envelope. */
export function grantRecordId(grant: Uint8Array): Uint8Array {
  if (!(grant instanceof Uint8Array) || grant.length !== GRANT_BYTES || grant[0] !== GRANT_VERSION) {
    throw new CodecError('GRANT_MALFORMED', `a grant is ${GRANT_BYTES} bytes starting with version 1`);
  }
  return grant.subarray(1, 17);
}

/**
 * Opens `envelope` with a grant addressed to `recipient`. The grantor must be in `devices`.
 * @throws {CodecError} `GRANT_MALFORMED`, `ENVELOPE_*`, `PADDING_INVALID`, `CBOR_*`.
 * @throws {CryptoError} `GRANT_MISMATCH` (grant is for another envelope), `GRANT_UNKNOWN_GRANTOR`,
 *   `GRANT_TAMPERED`, `ENVELOPE_TAMPERED`.
 */
export function openWithGrant<T = unknown>(
  recipient: Device,
  account: Uint8Array,
  devices: DeviceLookup,
  envelope: Uint8Array,
  grant: Uint8Array,
  options: OpenOptions = {},
): OpenedEnvelope<T> {
  grantRecordId(grant);
  expectBytes(account, ACCOUNT_ID_BYTES, 'account id', 'ACCOUNT_ID_INVALID');
  const suite = recipient.suite;
  const parsed = parseEnvelope(envelope, options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES);
  const hash = envelopeHash(suite, account, parsed.headerAndBody);
  if (!equalBytes(hash, grant.subarray(17, 49)) || !equalBytes(parsed.recordId, grant.subarray(1, 17))) {
    throw new CryptoError('GRANT_MISMATCH', 'the grant is for another envelope');
  }
  const grantor = devices.get(grant.subarray(49, 65));
  if (grantor === undefined) throw new CryptoError('GRANT_UNKNOWN_GRANTOR', 'the grant names a device that is not in this device list');
  const nonce = labelledHash(suite, LABELS.grantNonce, 24, hash);
  const contentKey = suite.aeadDecrypt(recipient.pairwiseKey(grantor, 'from'), nonce, grant.subarray(65), hash);
  if (contentKey === null) throw new CryptoError('GRANT_TAMPERED', 'the grant was altered or not made by its named grantor');
  try {
    return decryptBody<T>(suite, account, parsed, hash, contentKey, options);
  } finally {
    contentKey.fill(0);
  }
}
