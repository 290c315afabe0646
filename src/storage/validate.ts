/**
 * Boundary checks for store arguments. Every check throws `StorageError` `INVALID_ARGUMENT`
 * (never a `ValidationError`: one class for all storage failures, switched on by code).
 */
import {
  ACCOUNT_ID_BYTES,
  DEVICE_ID_BYTES,
  HASH_BYTES,
  MAILBOX_ID_MAX_BYTES,
  MAILBOX_ID_MIN_BYTES,
  MAX_CHAIN_INDEX,
  MAX_CHECKPOINT_BYTES,
  MAX_DAY,
  MAX_LOG_POSITION,
  MAX_MAILBOX_BYTES,
  MAX_PAGE,
  MAX_PURGE_IDS,
  MAX_REVISION,
  NONCE_KEY_MAX_BYTES,
  NONCE_KEY_MIN_BYTES,
  RECORD_ID_BYTES,
} from './limits.js';
import type { ChainEntryRow, EnvelopeInput, EnvelopePurge, LogAppend, LogCut } from './store.js';
import { storageError } from './storageErrors.js';

function invalid(message: string): never {
  throw storageError('INVALID_ARGUMENT', message);
}

/** Checks that `value` is a Uint8Array of `min`..`max` bytes. */
export function checkBytes(label: string, value: unknown, min: number, max = min): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(`${label} must be a Uint8Array`);
  if (value.length < min || value.length > max) {
    invalid(min === max ? `${label} must be ${min} bytes` : `${label} must be ${min} to ${max} bytes`);
  }
}

/** Checks that `value` is an integer in [min, max]. */
export function checkInt(label: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    invalid(`${label} must be an integer from ${min} to ${max}`);
  }
}

/** A 32-byte account id. */
export function checkAccountId(accountId: unknown): asserts accountId is Uint8Array {
  checkBytes('accountId', accountId, ACCOUNT_ID_BYTES);
}

/** A 16-byte device id. */
export function checkDeviceId(label: string, device: unknown): asserts device is Uint8Array {
  checkBytes(label, device, DEVICE_ID_BYTES);
}

/** A 32-byte hash. */
export function checkHash(label: string, hash: unknown): asserts hash is Uint8Array {
  checkBytes(label, hash, HASH_BYTES);
}

/** A page size for pulls and chain reads. */
export function checkPageLimit(limit: unknown): asserts limit is number {
  checkInt('limit', limit, 1, MAX_PAGE);
}

/** A cursor or millisecond time: a non-negative safe integer. */
export function checkCounter(label: string, value: unknown): asserts value is number {
  checkInt(label, value, 0, Number.MAX_SAFE_INTEGER);
}

/** A day count: 0 (none) up to `MAX_DAY`. */
export function checkDay(label: string, value: unknown): asserts value is number {
  checkInt(label, value, 0, MAX_DAY);
}

/** A chain entry: index, 32-byte hash, non-empty bytes. */
export function checkChainEntry(entry: ChainEntryRow): void {
  if (typeof entry !== 'object' || entry === null) invalid('chain entry must be an object');
  checkInt('entry.index', entry.index, 0, MAX_CHAIN_INDEX);
  checkHash('entry.hash', entry.hash);
  checkBytes('entry.bytes', entry.bytes, 1, Number.MAX_SAFE_INTEGER);
}

/** Checks every field of a pushed envelope; `position` names it in the message. */
export function checkEnvelope(item: EnvelopeInput, position: number): void {
  const at = `envelope ${position}`;
  if (typeof item !== 'object' || item === null) invalid(`${at} must be an object`);
  checkBytes(`${at} recordId`, item.recordId, RECORD_ID_BYTES);
  checkInt(`${at} revision`, item.revision, 0, MAX_REVISION);
  checkBytes(`${at} sender`, item.sender, DEVICE_ID_BYTES);
  if (item.kind !== 'record' && item.kind !== 'tombstone') invalid(`${at} kind must be 'record' or 'tombstone'`);
  checkDay(`${at} expiryDay`, item.expiryDay);
  checkBytes(`${at} bytes`, item.bytes, 1, Number.MAX_SAFE_INTEGER);
}

/** Checks a batch for putEnvelopes. */
export function checkEnvelopes(items: readonly EnvelopeInput[]): void {
  if (!Array.isArray(items)) invalid('items must be an array');
  items.forEach(checkEnvelope);
}

/** The purges of a purge call: at most `MAX_PURGE_IDS` of {16-byte record id, u32 revision}. */
export function checkPurges(purges: unknown): asserts purges is readonly EnvelopePurge[] {
  if (!Array.isArray(purges)) invalid('purges must be an array');
  if (purges.length > MAX_PURGE_IDS) invalid(`purges must hold at most ${MAX_PURGE_IDS} entries`);
  purges.forEach((purge: unknown, i) => {
    if (typeof purge !== 'object' || purge === null) invalid(`purges[${i}] must be an object`);
    const { recordId, upToRevision } = purge as EnvelopePurge;
    checkBytes(`purges[${i}].recordId`, recordId, RECORD_ID_BYTES);
    checkInt(`purges[${i}].upToRevision`, upToRevision, 0, MAX_REVISION);
  });
}

/** True when every byte is zero. */
function allZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/**
 * An optional checkpoint append: undefined (none), or a 16-byte device, a position in
 * 1..2^32-1, 32-byte hashes (the previous one all zero at position 1) and 1 byte to 4 MiB.
 */
export function checkLogAppend(log: unknown): asserts log is LogAppend | undefined {
  if (log === undefined) return;
  if (typeof log !== 'object' || log === null) invalid('log must be an object');
  const { device, position, prevHash, hash, bytes } = log as LogAppend;
  checkDeviceId('log.device', device);
  checkInt('log.position', position, 1, MAX_LOG_POSITION);
  checkHash('log.prevHash', prevHash);
  if (position === 1 && !allZero(prevHash)) invalid('log.prevHash must be all zero at position 1');
  checkHash('log.hash', hash);
  checkBytes('log.bytes', bytes, 1, MAX_CHECKPOINT_BYTES);
}

/**
 * An optional log cut: undefined (none), or a 16-byte device with position 0 and hash null,
 * or with a position in 1..2^32-1 and a 32-byte hash.
 */
export function checkLogCut(cut: unknown): asserts cut is LogCut | undefined {
  if (cut === undefined) return;
  if (typeof cut !== 'object' || cut === null) invalid('cut must be an object');
  const { device, position, hash } = cut as LogCut;
  checkDeviceId('cut.device', device);
  checkInt('cut.position', position, 0, MAX_LOG_POSITION);
  if (position === 0) {
    if (hash !== null) invalid('cut.hash must be null at position 0');
  } else {
    checkHash('cut.hash', hash);
  }
}

/** A mailbox id of 16 to 64 bytes. */
export function checkMailboxId(id: unknown): asserts id is Uint8Array {
  checkBytes('mailbox id', id, MAILBOX_ID_MIN_BYTES, MAILBOX_ID_MAX_BYTES);
}

/** A mailbox message of 1 byte to 64 KiB. */
export function checkMailboxBytes(bytes: unknown): asserts bytes is Uint8Array {
  checkBytes('mailbox message', bytes, 1, MAX_MAILBOX_BYTES);
}

/** A nonce key of 8 to 64 bytes. */
export function checkNonceKey(key: unknown): asserts key is Uint8Array {
  checkBytes('nonce key', key, NONCE_KEY_MIN_BYTES, NONCE_KEY_MAX_BYTES);
}

/** Checks `nowMs` and that `expiresAtMs` lies after it. */
export function checkExpiry(expiresAtMs: unknown, nowMs: unknown): asserts expiresAtMs is number {
  checkCounter('nowMs', nowMs);
  checkCounter('expiresAtMs', expiresAtMs);
  if (expiresAtMs <= nowMs) invalid('expiresAtMs must be later than nowMs');
}
