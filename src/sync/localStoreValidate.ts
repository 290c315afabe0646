/**
 * Boundary checks of `LocalStore` arguments. Every check throws `StorageError`
 * `INVALID_ARGUMENT`, so none of them repeats that in its own comment.
 */
import { DEFAULT_MAX_ENVELOPE_BYTES, RECORD_ID_BYTES } from '../core/envelopeFormat.js';
import { equalBytes } from '../crypto/bytes.js';
import { localStoreError } from './localStoreErrors.js';
import type { HeldEnvelopeInput, OutboxItemInput } from './localStore.js';

/** Longest collection name, in UTF-16 code units. */
export const MAX_COLLECTION_LENGTH = 128;
/** Longest meta key, in UTF-16 code units. */
export const MAX_META_KEY_LENGTH = 256;
/** Most records a page or an outbox peek returns. */
export const MAX_PAGE = 1000;
/** Page size when `listRecords` gets none. */
export const DEFAULT_PAGE = 100;
/** Largest outbox envelope: the largest envelope `open` accepts by default. */
export const MAX_OUTBOX_BYTES = DEFAULT_MAX_ENVELOPE_BYTES;

/** Largest held envelope: the same bound as an outbox envelope. */
export const MAX_HELD_BYTES = DEFAULT_MAX_ENVELOPE_BYTES;

/** Largest meta value. */
export const MAX_META_BYTES = 16 * 1024 * 1024;

/** Throws `INVALID_ARGUMENT` with `message`. */
export function invalid(message: string): never {
  throw localStoreError('INVALID_ARGUMENT', message);
}

// SQLite stores text as UTF-8, which turns every lone surrogate into U+FFFD: two names would
// share one row in SQLite and not in memory.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkName(label: string, value: unknown, max: number): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || LONE_SURROGATE.test(value)) {
    invalid(`${label} must be a well-formed string of 1 to ${max} characters`);
  }
}

/** A collection name of 1 to 128 characters. */
export function checkCollection(collection: unknown): asserts collection is string {
  checkName('collection', collection, MAX_COLLECTION_LENGTH);
}

/** A meta key of 1 to 256 characters. */
export function checkMetaKey(key: unknown): asserts key is string {
  checkName('meta key', key, MAX_META_KEY_LENGTH);
}

/** Checks that `value` is a Uint8Array of `min`..`max` bytes. */
export function checkBytes(label: string, value: unknown, min: number, max = min): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length < min || value.length > max) {
    const size = min === max ? `${min}` : `${min} to ${max}`;
    invalid(`${label} must be a Uint8Array of ${size} bytes`);
  }
}

/** A 16-byte record id. */
export function checkRecordId(recordId: unknown): asserts recordId is Uint8Array {
  checkBytes('recordId', recordId, RECORD_ID_BYTES);
}

/** Checks that `value` is an integer in [min, max]. */
export function checkInt(label: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    invalid(`${label} must be an integer from ${min} to ${max}`);
  }
}

/** A time in milliseconds: a non-negative safe integer. */
export function checkTime(label: string, value: unknown): asserts value is number {
  checkInt(label, value, 0, Number.MAX_SAFE_INTEGER);
}

/** A page or peek size of 1 to 1000. */
export function checkLimit(limit: unknown): asserts limit is number {
  checkInt('limit', limit, 1, MAX_PAGE);
}

/** A meta value of 0 to 16 MiB. */
export function checkMetaValue(value: unknown): asserts value is Uint8Array {
  checkBytes('meta value', value, 0, MAX_META_BYTES);
}

/** Checks an outbox item queued with a write of the record `recordId`. */
export function checkOutboxItem(item: unknown, recordId: Uint8Array): asserts item is OutboxItemInput {
  if (typeof item !== 'object' || item === null) invalid('outboxItem must be an object');
  const { recordId: itemId, bytes } = item as Record<string, unknown>;
  checkRecordId(itemId);
  if (!equalBytes(itemId, recordId)) invalid('outboxItem.recordId must be the record id');
  checkBytes('outboxItem.bytes', bytes, 1, MAX_OUTBOX_BYTES);
}

/** An array of positive integer outbox ids. */
export function checkOutboxIds(ids: unknown): asserts ids is readonly number[] {
  if (!Array.isArray(ids)) invalid('ids must be an array');
  for (const id of ids) checkInt('an outbox id', id, 1, Number.MAX_SAFE_INTEGER);
}

/**
 * An array of envelopes to hold: each a 16-byte record id and 1 byte to 4 MiB of bytes.
 * `label` names the array in messages.
 */
export function checkHeldItems(items: unknown, label = 'items'): asserts items is readonly HeldEnvelopeInput[] {
  if (!Array.isArray(items)) invalid(`${label} must be an array`);
  for (const [i, item] of items.entries()) {
    if (typeof item !== 'object' || item === null) invalid(`${label}[${i}] must be an object`);
    const { recordId, bytes } = item as Record<string, unknown>;
    checkBytes(`${label}[${i}].recordId`, recordId, RECORD_ID_BYTES);
    checkBytes(`${label}[${i}].bytes`, bytes, 1, MAX_HELD_BYTES);
  }
}

/** An array of 16-byte record ids. */
export function checkRecordIds(recordIds: unknown): asserts recordIds is readonly Uint8Array[] {
  if (!Array.isArray(recordIds)) invalid('recordIds must be an array');
  for (const [i, recordId] of recordIds.entries()) checkBytes(`recordIds[${i}]`, recordId, RECORD_ID_BYTES);
}
