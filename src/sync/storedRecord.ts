/**
 * The form every adapter stores a record in: the version fields as given and the value as
 * CBOR bytes (`encodeValue`), so adapters share one data model and hand out fresh copies.
 * Reading checks every field again: a stored row that does not decode is reported as
 * `LOCAL_ROW_CORRUPT` naming its collection and record id, never skipped.
 *
 * A version's content key and envelope hash (format v2) are stored with it: both 32 bytes, or
 * both null. Error messages never carry their bytes. Its clock (8 bytes) and base (8 bytes or
 * null) are stored with it too: the clock is what the reader order compares first.
 */
import type { StorageError } from '../errors.js';
import { decodeValue, encodeValue, type CborLimits } from '../core/cbor.js';
import { CONTENT_KEY_BYTES, RECORD_ID_BYTES } from '../core/envelopeFormat.js';
import { ENVELOPE_HASH_BYTES } from '../core/envelopeHash.js';
import { toHex } from '../crypto/bytes.js';
import { DEVICE_ID_BYTES } from '../core/devicePublic.js';
import { CLOCK_BYTES, isClock } from './hlc.js';
import type { OrderedVersion } from './readerOrder.js';
import { MAX_REVISION } from './version.js';
import { VALUE_CEILING_LIMITS } from './collectionLimits.js';
import { MAX_KEY_BYTES } from './recordBody.js';
import { checkString, utf8Length } from '../core/cborValue.js';
import type { KeyedRecord, LocalRecord } from './localStore.js';
import { localStoreError } from './localStoreErrors.js';
import {
  checkBytes,
  checkCollection,
  checkInt,
  checkRecordId,
  checkTime,
  invalid,
  MAX_OUTBOX_BYTES,
} from './localStoreValidate.js';

/** Largest encoded value, in bytes. */
export const MAX_VALUE_BYTES = MAX_OUTBOX_BYTES;

// Stored values were written by this library, so reading needs only the size and depth bounds
// that `encodeValue` itself keeps; the default item and string limits (made for hostile
// envelopes) would turn a large but valid value into a false LOCAL_ROW_CORRUPT.
const READ_LIMITS: Partial<CborLimits> = {
  maxBytes: MAX_VALUE_BYTES,
  maxItems: MAX_VALUE_BYTES,
  maxStringBytes: MAX_VALUE_BYTES,
};

/** A validated record ready to store. Byte fields are private copies. */
export interface StoredRecord {
  readonly collection: string;
  readonly recordId: Uint8Array;
  readonly revision: number;
  readonly sender: Uint8Array;
  readonly deleted: boolean;
  /** CBOR of the value; null for a tombstone. */
  readonly valueBytes: Uint8Array | null;
  /** The record's string key; null for none (and for every tombstone). */
  readonly key: string | null;
  readonly sortTime: number;
  readonly expiresAt: number | null;
  /** 8 bytes. */
  readonly clock: Uint8Array;
  /** 8 bytes, or null for a new record. */
  readonly base: Uint8Array | null;
  /** 32 bytes, or null exactly when `envelopeHash` is. */
  readonly contentKey: Uint8Array | null;
  readonly envelopeHash: Uint8Array | null;
}

/** A content key and envelope hash, both checked and copied, or both null. */
interface KeyPair {
  readonly contentKey: Uint8Array | null;
  readonly envelopeHash: Uint8Array | null;
}

/**
 * Checks a content key and an envelope hash: both 32-byte Uint8Arrays, or both null or
 * undefined (read as null). Returns private copies.
 * @throws StorageError `INVALID_ARGUMENT`.
 */
function prepareKeyPair(label: string, contentKey: unknown, envelopeHash: unknown): KeyPair {
  const noKey = contentKey === null || contentKey === undefined;
  const noHash = envelopeHash === null || envelopeHash === undefined;
  if (noKey && noHash) return { contentKey: null, envelopeHash: null };
  if (noKey || noHash) invalid(`${label}contentKey and ${label}envelopeHash must both be given or both be null`);
  checkBytes(`${label}contentKey`, contentKey, CONTENT_KEY_BYTES);
  checkBytes(`${label}envelopeHash`, envelopeHash, ENVELOPE_HASH_BYTES);
  return { contentKey: contentKey.slice(), envelopeHash: envelopeHash.slice() };
}

/**
 * Validates `record` and encodes its value.
 * @throws StorageError `INVALID_ARGUMENT`.
 */
export function prepareRecord(record: unknown): StoredRecord {
  if (typeof record !== 'object' || record === null) invalid('a record must be an object');
  const r = record as Record<keyof LocalRecord, unknown>;
  checkCollection(r.collection);
  checkRecordId(r.recordId);
  checkInt('revision', r.revision, 0, MAX_REVISION);
  checkBytes('sender', r.sender, DEVICE_ID_BYTES);
  if (typeof r.deleted !== 'boolean') invalid('deleted must be a boolean');
  checkTime('sortTime', r.sortTime);
  if (r.expiresAt !== null) checkTime('expiresAt', r.expiresAt);
  checkBytes('clock', r.clock, CLOCK_BYTES);
  const base = r.base === undefined || r.base === null ? null : r.base;
  if (base !== null) checkBytes('base', base, CLOCK_BYTES);
  let valueBytes: Uint8Array | null = null;
  if (r.deleted) {
    if (r.value !== null) invalid('a tombstone must have the value null');
  } else {
    try {
      valueBytes = encodeValue(r.value, VALUE_CEILING_LIMITS);
    } catch (cause) {
      // The ceiling every device decodes record bodies with (whatever its own collection
      // limits): a value no other device could read is refused here rather than stored.
      throw localStoreError('INVALID_ARGUMENT', 'value is not CBOR-encodable within the record limits', cause);
    }
    if (valueBytes.length > MAX_VALUE_BYTES) invalid(`value encodes to more than ${MAX_VALUE_BYTES} bytes`);
  }
  const key = r.key ?? null;
  if (key !== null && (r.deleted || !isRecordKey(key))) invalid(`key must be null, or a string of 1 to ${MAX_KEY_BYTES} UTF-8 bytes on a live record`);
  const keys = prepareKeyPair('', r.contentKey, r.envelopeHash);
  return {
    collection: r.collection,
    recordId: r.recordId.slice(),
    revision: r.revision,
    sender: r.sender.slice(),
    deleted: r.deleted,
    valueBytes,
    key,
    sortTime: r.sortTime,
    expiresAt: r.expiresAt,
    clock: r.clock.slice(),
    base: base === null ? null : base.slice(),
    ...keys,
  };
}

/** A row as an adapter read it, every field still unchecked. */
export interface RawRecordRow {
  record_id: unknown;
  revision: unknown;
  sender: unknown;
  deleted: unknown;
  value: unknown;
  sort_time: unknown;
  expires_at: unknown;
  content_key: unknown;
  envelope_hash: unknown;
  clock: unknown;
  base: unknown;
  /** The string key; absent (or null) when none, as in a row written before keys existed. */
  record_key?: unknown;
}

/** The columns of a row that `listKeyed` reads (no value, no expiry). */
export type RawKeyedRow = Pick<
  RawRecordRow,
  'record_id' | 'revision' | 'sender' | 'deleted' | 'sort_time' | 'content_key' | 'envelope_hash'
>;

function idHex(recordId: unknown): string {
  return recordId instanceof Uint8Array ? toHex(recordId) : '(unreadable)';
}

/** The LOCAL_ROW_CORRUPT error for a record row. */
export function corruptRecord(collection: string, recordId: unknown, what: string, cause?: unknown): StorageError {
  return localStoreError(
    'LOCAL_ROW_CORRUPT',
    `stored record ${idHex(recordId)} of collection ${JSON.stringify(collection)} is corrupt: ${what}`,
    cause,
  );
}

function isRecordKey(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || utf8Length(value) > MAX_KEY_BYTES) return false;
  try {
    checkString(value);
    return true;
  } catch {
    return false;
  }
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

function isUint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max;
}

/**
 * The version fields of a stored row, checked.
 * @throws StorageError `LOCAL_ROW_CORRUPT`.
 */
export function readVersion(collection: string, row: Pick<RawRecordRow, 'record_id' | 'revision' | 'sender'>): {
  revision: number;
  sender: Uint8Array;
} {
  if (!isBytes(row.record_id, RECORD_ID_BYTES)) throw corruptRecord(collection, row.record_id, 'bad record id');
  if (!isUint(row.revision, MAX_REVISION)) throw corruptRecord(collection, row.record_id, 'bad revision');
  if (!isBytes(row.sender, DEVICE_ID_BYTES)) throw corruptRecord(collection, row.record_id, 'bad sender');
  return { revision: row.revision, sender: row.sender };
}

/**
 * The fields of a stored row the reader order compares, checked (not copied: the caller only
 * compares them).
 * @throws StorageError `LOCAL_ROW_CORRUPT`.
 */
export function readOrder(
  collection: string,
  row: Pick<RawRecordRow, 'record_id' | 'revision' | 'sender' | 'deleted' | 'clock'>,
): OrderedVersion {
  const { revision, sender } = readVersion(collection, row);
  if (row.deleted !== 0 && row.deleted !== 1) throw corruptRecord(collection, row.record_id, 'bad deleted flag');
  if (!isClock(row.clock)) throw corruptRecord(collection, row.record_id, 'bad clock');
  return { revision, sender, deleted: row.deleted === 1, clock: row.clock };
}

/** The fields every read checks, copied; the value is left to `readRecord`. */
function readHeader(collection: string, row: RawKeyedRow): Omit<LocalRecord, 'value' | 'expiresAt' | 'clock' | 'base'> & KeyPair {
  const { revision, sender } = readVersion(collection, row);
  const recordId = row.record_id as Uint8Array;
  if (row.deleted !== 0 && row.deleted !== 1) throw corruptRecord(collection, recordId, 'bad deleted flag');
  if (!isUint(row.sort_time, Number.MAX_SAFE_INTEGER)) throw corruptRecord(collection, recordId, 'bad sort time');
  const noKey = row.content_key === null;
  if (noKey !== (row.envelope_hash === null)) {
    throw corruptRecord(collection, recordId, 'a content key without an envelope hash, or the reverse');
  }
  if (!noKey && !isBytes(row.content_key, CONTENT_KEY_BYTES)) throw corruptRecord(collection, recordId, 'bad content key');
  if (!noKey && !isBytes(row.envelope_hash, ENVELOPE_HASH_BYTES)) {
    throw corruptRecord(collection, recordId, 'bad envelope hash');
  }
  return {
    collection,
    recordId: new Uint8Array(recordId),
    revision,
    sender: new Uint8Array(sender),
    deleted: row.deleted === 1,
    sortTime: row.sort_time,
    contentKey: noKey ? null : new Uint8Array(row.content_key as Uint8Array),
    envelopeHash: noKey ? null : new Uint8Array(row.envelope_hash as Uint8Array),
  };
}

/**
 * Decodes a stored row into a fresh `LocalRecord`; `contentKey` and `envelopeHash` are always
 * present, null when the version has none.
 * @throws StorageError `LOCAL_ROW_CORRUPT`.
 */
export function readRecord(collection: string, row: RawRecordRow): LocalRecord {
  const header = readHeader(collection, row);
  const recordId = header.recordId;
  if (row.expires_at !== null && !isUint(row.expires_at, Number.MAX_SAFE_INTEGER)) {
    throw corruptRecord(collection, recordId, 'bad expiry time');
  }
  if (!isClock(row.clock)) throw corruptRecord(collection, recordId, 'bad clock');
  if (row.base !== null && !isClock(row.base)) throw corruptRecord(collection, recordId, 'bad base clock');
  let value: unknown = null;
  if (header.deleted) {
    if (row.value !== null) throw corruptRecord(collection, recordId, 'a tombstone holds a value');
  } else {
    if (!(row.value instanceof Uint8Array)) throw corruptRecord(collection, recordId, 'the value is missing');
    try {
      value = decodeValue(row.value, READ_LIMITS);
    } catch (cause) {
      throw corruptRecord(collection, recordId, 'the value does not decode', cause);
    }
  }
  const key = row.record_key ?? null;
  if (key !== null && (header.deleted || !isRecordKey(key))) throw corruptRecord(collection, recordId, 'bad key');
  const { contentKey, envelopeHash, ...rest } = header;
  const clock = new Uint8Array(row.clock);
  const base = row.base === null ? null : new Uint8Array(row.base);
  return { ...rest, value, ...(key === null ? {} : { key }), expiresAt: row.expires_at, clock, base, contentKey, envelopeHash };
}

/**
 * Decodes a stored row that has a content key into a fresh `KeyedRecord`.
 * @throws StorageError `LOCAL_ROW_CORRUPT` (a row without a key included: the caller asked for
 *   keyed rows only).
 */
export function readKeyed(collection: string, row: RawKeyedRow): KeyedRecord {
  const { contentKey, envelopeHash, ...rest } = readHeader(collection, row);
  if (contentKey === null || envelopeHash === null) throw corruptRecord(collection, row.record_id, 'the content key is missing');
  return { ...rest, contentKey, envelopeHash };
}

/**
 * The row form of a stored record (SQLite's columns), so every store reads it back through the
 * same checks.
 */
export function toRow(record: StoredRecord): RawRecordRow {
  return {
    record_id: record.recordId,
    revision: record.revision,
    sender: record.sender,
    deleted: record.deleted ? 1 : 0,
    value: record.valueBytes,
    sort_time: record.sortTime,
    expires_at: record.expiresAt,
    content_key: record.contentKey,
    envelope_hash: record.envelopeHash,
    clock: record.clock,
    base: record.base,
    record_key: record.key,
  };
}
