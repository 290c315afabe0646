/**
 * seal: encrypt a record once, and wrap its content key once per recipient device.
 * Cost per record: one CBOR encode, one body AEAD, one BLAKE2b, and one 32-byte AEAD per
 * recipient under a cached pairwise key — no public-key operation.
 */
import { ValidationError } from '../errors.js';
import { expectBytes } from '../crypto/bytes.js';
import { sealRandom, type RandomSource } from '../crypto/random.js';
import { encodeValue } from './cbor.js';
import type { Device } from './device.js';
import type { DevicePublic } from './devicePublic.js';
import { DeviceDirectory } from './deviceDirectory.js';
import { cardKey, DEVICE_ID_BYTES } from './devicePublic.js';
import {
  ACCOUNT_ID_BYTES,
  CHAIN_HEAD_BYTES,
  CONTENT_KEY_BYTES,
  HEADER_BYTES,
  MAX_RECIPIENTS,
  RECORD_ID_BYTES,
  STANZA_BYTES,
  TAG_BYTES,
  writeHeader,
  type EnvelopeKind,
} from './envelopeFormat.js';
import { envelopeHash, WRAP_NONCE_BYTES } from './envelopeHash.js';
import { pad } from './padding.js';

/** The body nonce is fixed: every content key is fresh and encrypts exactly one body. */
export const BODY_NONCE = new Uint8Array(24);

// Public bytes only, used synchronously: one buffer serves every seal and open.
const aadScratch = new Uint8Array(ACCOUNT_ID_BYTES + HEADER_BYTES);

/** The body's AAD, account id ‖ header, in a shared scratch buffer (valid until the next call). */
export function bodyAad(account: Uint8Array, header: Uint8Array): Uint8Array {
  aadScratch.set(account, 0);
  aadScratch.set(header, ACCOUNT_ID_BYTES);
  return aadScratch;
}

/** What to seal. */
export interface SealInput {
  /** Any CBOR-encodable value: the record, with its collection name and timestamps inside. */
  body: unknown;
  /** 'record' (default) or 'tombstone' (a deletion; the server drops the body it replaces). */
  kind?: EnvelopeKind;
  /** 16 bytes, the same for every revision of a record; random when omitted. */
  recordId?: Uint8Array;
  /** u32; higher revisions supersede lower ones. */
  revision: number;
  /** u32; the sender's per-device counter, so readers can spot gaps and replays. */
  sequence: number;
  /** The hash of the device-chain entry the sender had verified when sealing (32 bytes). */
  chainHead: Uint8Array;
  /** Days since 1970-01-01 after which the record may be collected; 0 or omitted = never. */
  expiryDay?: number;
}

/** Options of {@link seal}. */
export interface SealOptions {
  /** Randomness for the content key and record id (defaults to the seal pool, `sealRandom`). */
  random?: RandomSource;
}

function expectUint(value: unknown, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ValidationError('SEAL_INPUT_INVALID', `${what} must be an integer in 0..${max}`);
  }
  return value;
}

/**
 * Seals `input` from `sender` to every device in `recipients` (include the sender itself if it
 * should read the record back from the server).
 * @throws {ValidationError} `SEAL_INPUT_INVALID`, `ACCOUNT_ID_INVALID`, `RECIPIENT_DUPLICATE`,
 *   `RECIPIENTS_INVALID`, `CBOR_UNSUPPORTED_VALUE`, `CBOR_LIMIT_EXCEEDED`.
 * @throws {CryptoError} `PEER_KEY_INVALID` for a low-order recipient key.
 */
export function seal(
  sender: Device,
  account: Uint8Array,
  recipients: Iterable<DevicePublic>,
  input: SealInput,
  options: SealOptions = {},
): Uint8Array {
  const suite = sender.suite;
  const random = options.random ?? sealRandom;
  expectBytes(account, ACCOUNT_ID_BYTES, 'account id', 'ACCOUNT_ID_INVALID');
  expectBytes(input.chainHead, CHAIN_HEAD_BYTES, 'chain head', 'SEAL_INPUT_INVALID');
  const kind = input.kind ?? 'record';
  if (kind !== 'record' && kind !== 'tombstone') throw new ValidationError('SEAL_INPUT_INVALID', 'kind must be record or tombstone');
  const revision = expectUint(input.revision, 0xffffffff, 'revision');
  const sequence = expectUint(input.sequence, 0xffffffff, 'sequence');
  const expiryDay = expectUint(input.expiryDay ?? 0, 0xffff, 'expiry day');
  const to = Array.isArray(recipients) ? (recipients as DevicePublic[]) : [...recipients];
  if (to.length === 0 || to.length > MAX_RECIPIENTS) {
    throw new ValidationError('RECIPIENTS_INVALID', `an envelope needs 1..${MAX_RECIPIENTS} recipients`);
  }
  // A DeviceDirectory holds one card per id by construction; anything else is checked here.
  if (!(recipients instanceof DeviceDirectory)) {
    const seen = new Set<string>();
    for (const d of to) {
      if (!(d.id instanceof Uint8Array) || d.id.length !== DEVICE_ID_BYTES) {
        throw new ValidationError('RECIPIENTS_INVALID', 'a recipient id must be 16 bytes');
      }
      seen.add(cardKey(d));
    }
    if (seen.size !== to.length) throw new ValidationError('RECIPIENT_DUPLICATE', 'a device appears twice in the recipients');
  }

  const fresh = random(input.recordId === undefined ? CONTENT_KEY_BYTES + RECORD_ID_BYTES : CONTENT_KEY_BYTES);
  const contentKey = fresh.subarray(0, CONTENT_KEY_BYTES);
  const recordId =
    input.recordId === undefined
      ? fresh.subarray(CONTENT_KEY_BYTES)
      : expectBytes(input.recordId, RECORD_ID_BYTES, 'record id', 'SEAL_INPUT_INVALID');

  const padded = pad(encodeValue(input.body));
  const bodyLength = padded.length + TAG_BYTES;
  const out = new Uint8Array(HEADER_BYTES + bodyLength + to.length * STANZA_BYTES);
  const header = out.subarray(0, HEADER_BYTES);
  writeHeader(out, {
    kind,
    recordId,
    revision,
    sender: sender.id,
    sequence,
    chainHead: input.chainHead,
    expiryDay,
    recipientCount: to.length,
  });

  out.set(suite.aeadEncrypt(contentKey, BODY_NONCE, padded, bodyAad(account, header)), HEADER_BYTES);
  const h = envelopeHash(suite, account, out.subarray(0, HEADER_BYTES + bodyLength));
  const wrapNonce = h.subarray(0, WRAP_NONCE_BYTES);
  let offset = HEADER_BYTES + bodyLength;
  for (const recipient of to) {
    const kek = sender.pairwiseKey(recipient, 'to');
    out.set(recipient.id, offset);
    out.set(suite.aeadEncrypt(kek, wrapNonce, contentKey, h), offset + DEVICE_ID_BYTES);
    offset += STANZA_BYTES;
  }
  contentKey.fill(0);
  padded.fill(0);
  return out;
}
