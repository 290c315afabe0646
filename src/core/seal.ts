/**
 * seal: encrypt a record once, and wrap its content key once per recipient device.
 * Cost per record: one CBOR encode, one body AEAD, two BLAKE2b (key commitment and H), and one
 * 32-byte AEAD per recipient under an already-established pair key — no public-key operation.
 */
import { ValidationError } from '../errors.js';
import { expectBytes } from '../crypto/bytes.js';
import { sealRandom, type RandomSource } from '../crypto/random.js';
import { encodeValue, type CborLimits } from './cbor.js';
import type { Device } from './device.js';
import { cardKey, DEVICE_ID_BYTES, type DevicePublic } from './devicePublic.js';
import {
  ACCOUNT_ID_BYTES,
  CONTENT_KEY_BYTES,
  HEADER_BYTES,
  MAX_RECIPIENTS,
  RECORD_ID_BYTES,
  STANZA_BYTES,
  TAG_BYTES,
  writeHeader,
  writeU32,
  type EnvelopeKind,
} from './envelopeFormat.js';
import { envelopeHash, keyCommitment, WRAP_NONCE_BYTES } from './envelopeHash.js';
import { pad } from './padding.js';
import { MAX_KEY_REF, PAIR_KEY_BYTES } from './pairKey.js';

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

/** A device to seal for, with the pair key the sender established toward it. */
export interface SealRecipient {
  readonly card: DevicePublic;
  /** Position, in the sender's log, of the checkpoint that established `key` (1..2^32−1). */
  readonly ref: number;
  /** kek(sender→recipient, ref): 32 bytes. */
  readonly key: Uint8Array;
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
  /** Days since 1970-01-01 after which the record may be collected; 0 or omitted = never. */
  expiryDay?: number;
}

/** Options of {@link seal}. */
export interface SealOptions {
  /** Randomness for the content key and record id (defaults to the seal pool, `sealRandom`). */
  random?: RandomSource;
  /**
   * Limits the body is encoded under (default `DEFAULT_CBOR_LIMITS`); its readers must decode
   * with limits at least as high (`OpenOptions.cborLimits`).
   */
  cborLimits?: Partial<CborLimits>;
}

/** A sealed envelope with what the sender keeps of it. */
export interface SealedEnvelope {
  readonly bytes: Uint8Array;
  readonly recordId: Uint8Array;
  /** H, the hash the sender's log names the envelope by. */
  readonly hash: Uint8Array;
  /** The content key: the caller keeps it with its local copy (for history grants) or wipes it. */
  readonly contentKey: Uint8Array;
}

function expectUint(value: unknown, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ValidationError('SEAL_INPUT_INVALID', `${what} must be an integer in 0..${max}`);
  }
  return value;
}

/**
 * Seals `input` from `sender` to every device in `recipients` (include the sender itself if it
 * should read the record back from the server). The content key is wiped.
 * @throws {ValidationError} `SEAL_INPUT_INVALID`, `ACCOUNT_ID_INVALID`, `RECIPIENT_DUPLICATE`,
 *   `RECIPIENTS_INVALID`, `CBOR_UNSUPPORTED_VALUE`, `CBOR_LIMIT_EXCEEDED`.
 */
export function seal(
  sender: Device,
  account: Uint8Array,
  recipients: readonly SealRecipient[],
  input: SealInput,
  options: SealOptions = {},
): Uint8Array {
  const sealed = sealEnvelope(sender, account, recipients, input, options);
  sealed.contentKey.fill(0);
  return sealed.bytes;
}

/** {@link seal}, returning the content key and H as well (for the sync layer). */
export function sealEnvelope(
  sender: Device,
  account: Uint8Array,
  recipients: readonly SealRecipient[],
  input: SealInput,
  options: SealOptions = {},
): SealedEnvelope {
  const suite = sender.suite;
  const random = options.random ?? sealRandom;
  expectBytes(account, ACCOUNT_ID_BYTES, 'account id', 'ACCOUNT_ID_INVALID');
  const kind = input.kind ?? 'record';
  if (kind !== 'record' && kind !== 'tombstone') throw new ValidationError('SEAL_INPUT_INVALID', 'kind must be record or tombstone');
  const revision = expectUint(input.revision, 0xffffffff, 'revision');
  const expiryDay = expectUint(input.expiryDay ?? 0, 0xffff, 'expiry day');
  const givenId = input.recordId === undefined ? undefined : expectBytes(input.recordId, RECORD_ID_BYTES, 'record id', 'SEAL_INPUT_INVALID');
  if (!Array.isArray(recipients) || recipients.length === 0 || recipients.length > MAX_RECIPIENTS) {
    throw new ValidationError('RECIPIENTS_INVALID', `an envelope needs 1..${MAX_RECIPIENTS} recipients`);
  }
  const seen = new Set<string>();
  for (const r of recipients) {
    if (typeof r !== 'object' || r === null || !(r.card?.id instanceof Uint8Array) || r.card.id.length !== DEVICE_ID_BYTES) {
      throw new ValidationError('RECIPIENTS_INVALID', 'a recipient is {card, ref, key} with a 16-byte card id');
    }
    if (!Number.isInteger(r.ref) || r.ref < 1 || r.ref > MAX_KEY_REF) throw new ValidationError('RECIPIENTS_INVALID', 'a key reference is an integer in 1..2^32-1');
    if (!(r.key instanceof Uint8Array) || r.key.length !== PAIR_KEY_BYTES) throw new ValidationError('RECIPIENTS_INVALID', 'a pair key is 32 bytes');
    seen.add(cardKey(r.card));
  }
  if (seen.size !== recipients.length) throw new ValidationError('RECIPIENT_DUPLICATE', 'a device appears twice in the recipients');

  const padded = pad(encodeValue(input.body, options.cborLimits));
  const fresh = random(givenId === undefined ? CONTENT_KEY_BYTES + RECORD_ID_BYTES : CONTENT_KEY_BYTES);
  const contentKey = fresh.slice(0, CONTENT_KEY_BYTES);
  const recordId = givenId === undefined ? fresh.slice(CONTENT_KEY_BYTES) : givenId.slice();
  fresh.fill(0);

  const bodyLength = padded.length + TAG_BYTES;
  const stanzaStart = HEADER_BYTES + bodyLength;
  const out = new Uint8Array(stanzaStart + recipients.length * STANZA_BYTES);
  const header = out.subarray(0, HEADER_BYTES);
  writeHeader(out, {
    kind,
    recordId,
    revision,
    sender: sender.id,
    keyCommitment: keyCommitment(suite, contentKey),
    expiryDay,
    recipientCount: recipients.length,
  });
  let offset = stanzaStart;
  for (const r of recipients) {
    out.set(r.card.id, offset);
    writeU32(out, offset + DEVICE_ID_BYTES, r.ref);
    offset += STANZA_BYTES;
  }
  out.set(suite.aeadEncrypt(contentKey, BODY_NONCE, padded, bodyAad(account, header)), HEADER_BYTES);
  padded.fill(0);
  const hash = envelopeHash(suite, account, out.subarray(0, stanzaStart), out.subarray(stanzaStart));
  const wrapNonce = hash.subarray(0, WRAP_NONCE_BYTES);
  offset = stanzaStart + DEVICE_ID_BYTES + 4;
  for (const r of recipients) {
    out.set(suite.aeadEncrypt(r.key, wrapNonce, contentKey, hash), offset);
    offset += STANZA_BYTES;
  }
  return { bytes: out, recordId, hash, contentKey };
}
