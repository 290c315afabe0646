/**
 * Log checkpoints: each device's signed, hash-linked record of what it wrote, one per push (one
 * Ed25519 signature per batch, never per record). A checkpoint lists the envelopes of its push
 * by header fields and hash H (claims), the purges it asks for, its next key statement and the
 * KEM ciphertexts that establish its pair keys, the log heads it has seen of every other device,
 * and optionally which device it asks to hand it the history. Readers apply an envelope only if
 * its sender's log claims it at a position the device chain authorises, and notice any claim
 * the server does not deliver.
 *
 * Layout (big-endian; docs/protocol.md gives the same table):
 *
 * | offset | bytes  | field                                                           |
 * |--------|--------|-----------------------------------------------------------------|
 * | 0      | 1      | magic 0x4c ("L")                                                |
 * | 1      | 1      | version 0x01                                                    |
 * | 2      | 16     | sender device id                                                |
 * | 18     | 4      | position p (u32, the first is 1)                                |
 * | 22     | 32     | prev: hash of checkpoint p−1 (zero when p = 1)                  |
 * | 54     | 32     | chain head the sender had verified                              |
 * | 86     | 8      | time (u64 ms since 1970, sender's clock)                        |
 * | 94     | 2      | claim count c (0..1000)                                         |
 * | 96     | 2      | purge count u (0..1000)                                         |
 * | 98     | 2      | pair-key count k (0..256)                                       |
 * | 100    | 2      | seen count s (0..1024)                                          |
 * | 102    | 1      | flags: bit 0 key statement, bit 1 history request               |
 * | 103    | 16     | history request: the device asked to hand history over (bit 1)  |
 * | …      | 1301   | key statement of the next epoch (bit 0)                         |
 * | …      | 55·c   | claims: record id (16) ‖ revision (u32) ‖ kind (u8) ‖ expiry day (u16) ‖ H (32) |
 * | …      | 20·u   | purges: record id (16) ‖ up to revision (u32)                   |
 * | …      | 1140·k | pair keys: recipient id (16) ‖ recipient epoch (u32) ‖ X-Wing ciphertext (1120) |
 * | …      | 52·s   | seen heads: device id (16) ‖ position (u32) ‖ checkpoint hash (32) |
 * | end−64 | 64     | Ed25519 signature                                               |
 *
 *   signature = Ed25519(identity seed, labelled("multikey-sync/v2/log-checkpoint", account ‖ bytes[0..len−64]))
 *   hash      = BLAKE2b-256(labelled("multikey-sync/v2/log-checkpoint-hash", account ‖ bytes))
 */
import { CodecError, CryptoError, ValidationError } from '../errors.js';
import { concatBytes, equalBytes } from '../crypto/bytes.js';
import { labelled, labelledHash } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { XWING_CIPHERTEXT_BYTES } from '../crypto/xwingSizes.js';
import { signAsProtocol, type Device } from './device.js';
import { DEVICE_ID_BYTES, idKey } from './devicePublic.js';
import { ACCOUNT_ID_BYTES, RECORD_ID_BYTES, writeU32, type EnvelopeKind } from './envelopeFormat.js';
import { ENVELOPE_HASH_BYTES } from './envelopeHash.js';
import { KEY_STATEMENT_BYTES } from './keyStatement.js';

/** First byte of every checkpoint; envelopes start with their format version (0x02). */
export const CHECKPOINT_MAGIC = 0x4c;
const VERSION = 0x01;
const FIXED_BYTES = 103;
const SIGNATURE_BYTES = 64;
const CLAIM_BYTES = 55;
const PURGE_BYTES = 20;
const PAIR_KEY_ENTRY_BYTES = DEVICE_ID_BYTES + 4 + XWING_CIPHERTEXT_BYTES;
const SEEN_BYTES = 52;
const FLAG_STATEMENT = 0x01;
const FLAG_HISTORY = 0x02;

/** Most claims in one checkpoint (the server's push batch limit). */
export const MAX_CLAIMS = 1000;
/** Most purges in one checkpoint. */
export const MAX_PURGES = 1000;
/** Most pair-key ciphertexts in one checkpoint. */
export const MAX_PAIR_KEYS = 256;
/** Most seen heads in one checkpoint. */
export const MAX_SEEN = 1024;
/** Highest log position (u32). */
export const MAX_POSITION = 0xffff_ffff;
/** Largest possible checkpoint. */
export const MAX_CHECKPOINT_BYTES =
  FIXED_BYTES + DEVICE_ID_BYTES + KEY_STATEMENT_BYTES + MAX_CLAIMS * CLAIM_BYTES + MAX_PURGES * PURGE_BYTES +
  MAX_PAIR_KEYS * PAIR_KEY_ENTRY_BYTES + MAX_SEEN * SEEN_BYTES + SIGNATURE_BYTES;

/** One envelope of the push, as its sender describes it. */
export interface Claim {
  readonly recordId: Uint8Array;
  readonly revision: number;
  readonly kind: EnvelopeKind;
  readonly expiryDay: number;
  /** H of the envelope. */
  readonly hash: Uint8Array;
}

/** "Delete the server's copy of this record, up to this revision." */
export interface Purge {
  readonly recordId: Uint8Array;
  readonly upToRevision: number;
}

/** A pair key the sender establishes: the ciphertext it encapsulated to `recipient`'s epoch key. */
export interface PairKeyOffer {
  readonly recipient: Uint8Array;
  readonly epoch: number;
  readonly ciphertext: Uint8Array;
}

/** Another device's log head as the sender had verified it. */
export interface SeenHead {
  readonly device: Uint8Array;
  readonly position: number;
  readonly hash: Uint8Array;
}

/** Everything a checkpoint says. */
export interface CheckpointFields {
  readonly sender: Uint8Array;
  readonly position: number;
  /** Hash of the previous checkpoint; 32 zero bytes at position 1. */
  readonly prev: Uint8Array;
  readonly chainHead: Uint8Array;
  readonly time: number;
  readonly claims: readonly Claim[];
  readonly purges: readonly Purge[];
  readonly pairKeys: readonly PairKeyOffer[];
  readonly seen: readonly SeenHead[];
  /** The sender's key statement for its next epoch (1301 bytes), if it begins one here. */
  readonly statement?: Uint8Array;
  /** The device the sender asks to hand it the history, if any. */
  readonly historyRequest?: Uint8Array;
}

/** A decoded checkpoint with its bytes, hash and signature. */
export interface Checkpoint extends CheckpointFields {
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  readonly signature: Uint8Array;
}

/** The all-zero `prev` of a log's first checkpoint. */
export const NO_PREVIOUS = new Uint8Array(32);

/** True when `bytes` starts like a checkpoint (not an envelope). */
export function isCheckpoint(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === CHECKPOINT_MAGIC;
}

/** The hash of a checkpoint's exact bytes in `account`. */
export function checkpointHash(suite: CryptoProvider, account: Uint8Array, bytes: Uint8Array): Uint8Array {
  return labelledHash(suite, LABELS.logCheckpointHash, 32, account, bytes);
}

function signingMessage(account: Uint8Array, bytes: Uint8Array): Uint8Array {
  return labelled(LABELS.logCheckpoint, account, bytes.subarray(0, bytes.length - SIGNATURE_BYTES));
}

/**
 * Encodes and signs a checkpoint with `device` (whose id must be `fields.sender`).
 * @throws {ValidationError} `LOG_CHECKPOINT_INPUT_INVALID` for a field out of range.
 */
export function signCheckpoint(device: Device, account: Uint8Array, fields: CheckpointFields): Checkpoint {
  if (!equalBytes(device.id, fields.sender)) throw invalidInput('the checkpoint must name its signer as sender');
  const bytes = encodeUnsigned(account, fields);
  // The protocol signer prefixes the label itself.
  const signature = signAsProtocol(device, LABELS.logCheckpoint, concatBytes(account, bytes.subarray(0, bytes.length - SIGNATURE_BYTES)));
  bytes.set(signature, bytes.length - SIGNATURE_BYTES);
  return { ...fields, bytes, hash: checkpointHash(device.suite, account, bytes), signature };
}

/**
 * Checks the checkpoint's signature under the sender's identity key.
 * @throws {CryptoError} `LOG_CHECKPOINT_SIGNATURE_INVALID`.
 */
export function verifyCheckpointSignature(suite: CryptoProvider, account: Uint8Array, checkpoint: Checkpoint, identityKey: Uint8Array): void {
  if (!suite.ed25519Verify(checkpoint.signature, signingMessage(account, checkpoint.bytes), identityKey)) {
    throw new CryptoError('LOG_CHECKPOINT_SIGNATURE_INVALID', 'the log checkpoint is not signed by the device it names');
  }
}

function invalidInput(message: string): ValidationError {
  return new ValidationError('LOG_CHECKPOINT_INPUT_INVALID', message);
}

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

function bytesOf(v: unknown, length: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === length;
}

function encodeUnsigned(account: Uint8Array, f: CheckpointFields): Uint8Array {
  if (!bytesOf(account, ACCOUNT_ID_BYTES)) throw invalidInput('the account id is 32 bytes');
  if (!bytesOf(f.sender, DEVICE_ID_BYTES) || !bytesOf(f.prev, 32) || !bytesOf(f.chainHead, 32)) throw invalidInput('sender, prev or chain head has the wrong length');
  if (!isU32(f.position) || f.position < 1) throw invalidInput('a position is an integer in 1..2^32-1');
  if (f.position === 1 && !equalBytes(f.prev, NO_PREVIOUS)) throw invalidInput('the first checkpoint has an all-zero prev');
  if (typeof f.time !== 'number' || !Number.isSafeInteger(f.time) || f.time < 0) throw invalidInput('time is a non-negative safe integer');
  if (f.claims.length > MAX_CLAIMS || f.purges.length > MAX_PURGES || f.pairKeys.length > MAX_PAIR_KEYS || f.seen.length > MAX_SEEN) {
    throw invalidInput('a checkpoint section is over its limit');
  }
  if (f.statement !== undefined && !bytesOf(f.statement, KEY_STATEMENT_BYTES)) throw invalidInput(`a key statement is ${KEY_STATEMENT_BYTES} bytes`);
  if (f.historyRequest !== undefined && !bytesOf(f.historyRequest, DEVICE_ID_BYTES)) throw invalidInput('a history request names a 16-byte device id');
  const length =
    FIXED_BYTES +
    (f.historyRequest === undefined ? 0 : DEVICE_ID_BYTES) +
    (f.statement === undefined ? 0 : KEY_STATEMENT_BYTES) +
    f.claims.length * CLAIM_BYTES +
    f.purges.length * PURGE_BYTES +
    f.pairKeys.length * PAIR_KEY_ENTRY_BYTES +
    f.seen.length * SEEN_BYTES +
    SIGNATURE_BYTES;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = CHECKPOINT_MAGIC;
  out[1] = VERSION;
  out.set(f.sender, 2);
  view.setUint32(18, f.position);
  out.set(f.prev, 22);
  out.set(f.chainHead, 54);
  view.setBigUint64(86, BigInt(f.time));
  view.setUint16(94, f.claims.length);
  view.setUint16(96, f.purges.length);
  view.setUint16(98, f.pairKeys.length);
  view.setUint16(100, f.seen.length);
  out[102] = (f.statement === undefined ? 0 : FLAG_STATEMENT) | (f.historyRequest === undefined ? 0 : FLAG_HISTORY);
  let at = FIXED_BYTES;
  if (f.historyRequest !== undefined) {
    out.set(f.historyRequest, at);
    at += DEVICE_ID_BYTES;
  }
  if (f.statement !== undefined) {
    out.set(f.statement, at);
    at += KEY_STATEMENT_BYTES;
  }
  for (const c of f.claims) {
    if (!bytesOf(c.recordId, RECORD_ID_BYTES) || !isU32(c.revision) || (c.kind !== 'record' && c.kind !== 'tombstone') || !isU32(c.expiryDay) || c.expiryDay > 0xffff || !bytesOf(c.hash, ENVELOPE_HASH_BYTES)) {
      throw invalidInput('a claim has a field out of range');
    }
    out.set(c.recordId, at);
    writeU32(out, at + 16, c.revision);
    out[at + 20] = c.kind === 'record' ? 0 : 1;
    view.setUint16(at + 21, c.expiryDay);
    out.set(c.hash, at + 23);
    at += CLAIM_BYTES;
  }
  const purged = new Set<string>();
  for (const p of f.purges) {
    if (!bytesOf(p.recordId, RECORD_ID_BYTES) || !isU32(p.upToRevision)) throw invalidInput('a purge has a field out of range');
    purged.add(idKey(p.recordId));
    out.set(p.recordId, at);
    writeU32(out, at + 16, p.upToRevision);
    at += PURGE_BYTES;
  }
  if (purged.size !== f.purges.length) throw invalidInput('a record is purged twice');
  const offered = new Set<string>();
  for (const k of f.pairKeys) {
    if (!bytesOf(k.recipient, DEVICE_ID_BYTES) || !isU32(k.epoch) || !bytesOf(k.ciphertext, XWING_CIPHERTEXT_BYTES)) throw invalidInput('a pair key has a field out of range');
    offered.add(idKey(k.recipient));
    out.set(k.recipient, at);
    writeU32(out, at + 16, k.epoch);
    out.set(k.ciphertext, at + 20);
    at += PAIR_KEY_ENTRY_BYTES;
  }
  if (offered.size !== f.pairKeys.length) throw invalidInput('two pair keys for one recipient');
  const seen = new Set<string>();
  for (const s of f.seen) {
    if (!bytesOf(s.device, DEVICE_ID_BYTES) || !isU32(s.position) || s.position < 1 || !bytesOf(s.hash, 32)) throw invalidInput('a seen head has a field out of range');
    if (equalBytes(s.device, f.sender)) throw invalidInput('a checkpoint does not list its own sender as seen');
    seen.add(idKey(s.device));
    out.set(s.device, at);
    writeU32(out, at + 16, s.position);
    out.set(s.hash, at + 20);
    at += SEEN_BYTES;
  }
  if (seen.size !== f.seen.length) throw invalidInput('a device is listed twice as seen');
  return out;
}

/**
 * Decodes and bounds-checks a checkpoint (its signature is checked separately, against the
 * sender's identity key from the device chain).
 * @throws {CodecError} `LOG_CHECKPOINT_MALFORMED`.
 */
export function decodeCheckpoint(suite: CryptoProvider, account: Uint8Array, bytes: Uint8Array): Checkpoint {
  const bad = (why: string) => new CodecError('LOG_CHECKPOINT_MALFORMED', `log checkpoint: ${why}`);
  if (!(bytes instanceof Uint8Array) || bytes.length < FIXED_BYTES + SIGNATURE_BYTES || bytes.length > MAX_CHECKPOINT_BYTES) throw bad('wrong length');
  if (bytes[0] !== CHECKPOINT_MAGIC || bytes[1] !== VERSION) throw bad('not a version-1 checkpoint');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const position = view.getUint32(18);
  const time = view.getBigUint64(86);
  const counts = [view.getUint16(94), view.getUint16(96), view.getUint16(98), view.getUint16(100)] as const;
  const flags = bytes[102]!;
  if (position === 0) throw bad('position 0');
  if (time > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('time beyond 2^53');
  if (counts[0] > MAX_CLAIMS || counts[1] > MAX_PURGES || counts[2] > MAX_PAIR_KEYS || counts[3] > MAX_SEEN) throw bad('a section is over its limit');
  if ((flags & ~(FLAG_STATEMENT | FLAG_HISTORY)) !== 0) throw bad('unknown flags');
  const length =
    FIXED_BYTES +
    (flags & FLAG_HISTORY ? DEVICE_ID_BYTES : 0) +
    (flags & FLAG_STATEMENT ? KEY_STATEMENT_BYTES : 0) +
    counts[0] * CLAIM_BYTES +
    counts[1] * PURGE_BYTES +
    counts[2] * PAIR_KEY_ENTRY_BYTES +
    counts[3] * SEEN_BYTES +
    SIGNATURE_BYTES;
  if (bytes.length !== length) throw bad('its length does not match its counts');
  const copy = bytes.slice();
  const prev = copy.subarray(22, 54);
  if (position === 1 && !equalBytes(prev, NO_PREVIOUS)) throw bad('the first checkpoint has a prev');
  const sender = copy.subarray(2, 18);
  let at = FIXED_BYTES;
  let historyRequest: Uint8Array | undefined;
  if (flags & FLAG_HISTORY) {
    historyRequest = copy.subarray(at, at + DEVICE_ID_BYTES);
    at += DEVICE_ID_BYTES;
  }
  let statement: Uint8Array | undefined;
  if (flags & FLAG_STATEMENT) {
    statement = copy.subarray(at, at + KEY_STATEMENT_BYTES);
    at += KEY_STATEMENT_BYTES;
  }
  const claims: Claim[] = [];
  for (let i = 0; i < counts[0]; i++, at += CLAIM_BYTES) {
    const kindByte = copy[at + 20];
    if (kindByte !== 0 && kindByte !== 1) throw bad(`claim ${i} has an unknown kind`);
    claims.push({
      recordId: copy.subarray(at, at + 16),
      revision: view.getUint32(at + 16),
      kind: kindByte === 0 ? 'record' : 'tombstone',
      expiryDay: view.getUint16(at + 21),
      hash: copy.subarray(at + 23, at + CLAIM_BYTES),
    });
  }
  const purges: Purge[] = [];
  const purged = new Set<string>();
  for (let i = 0; i < counts[1]; i++, at += PURGE_BYTES) {
    const recordId = copy.subarray(at, at + 16);
    purged.add(idKey(recordId));
    purges.push({ recordId, upToRevision: view.getUint32(at + 16) });
  }
  if (purged.size !== purges.length) throw bad('a record is purged twice');
  const pairKeys: PairKeyOffer[] = [];
  const offered = new Set<string>();
  for (let i = 0; i < counts[2]; i++, at += PAIR_KEY_ENTRY_BYTES) {
    const recipient = copy.subarray(at, at + 16);
    offered.add(idKey(recipient));
    pairKeys.push({ recipient, epoch: view.getUint32(at + 16), ciphertext: copy.subarray(at + 20, at + PAIR_KEY_ENTRY_BYTES) });
  }
  if (offered.size !== pairKeys.length) throw bad('two pair keys for one recipient');
  const seen: SeenHead[] = [];
  const seenIds = new Set<string>();
  for (let i = 0; i < counts[3]; i++, at += SEEN_BYTES) {
    const device = copy.subarray(at, at + 16);
    const seenPosition = view.getUint32(at + 16);
    if (seenPosition === 0) throw bad('a seen head at position 0');
    if (equalBytes(device, sender)) throw bad('the sender lists itself as seen');
    seenIds.add(idKey(device));
    seen.push({ device, position: seenPosition, hash: copy.subarray(at + 20, at + SEEN_BYTES) });
  }
  if (seenIds.size !== seen.length) throw bad('a device is listed twice as seen');
  return {
    sender,
    position,
    prev,
    chainHead: copy.subarray(54, 86),
    time: Number(time),
    claims,
    purges,
    pairKeys,
    seen,
    ...(statement === undefined ? {} : { statement }),
    ...(historyRequest === undefined ? {} : { historyRequest }),
    bytes: copy,
    hash: checkpointHash(suite, account, copy),
    signature: copy.subarray(copy.length - SIGNATURE_BYTES),
  };
}
