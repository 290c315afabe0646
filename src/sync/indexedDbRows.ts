/**
 * How `IndexedDbLocalStore` lays a record out in its `records` store, and the key ranges its
 * keyset pages read. A row carries the SQLite replica's columns (so `storedRecord.ts` checks it
 * on the way out) plus the fields its indexes read (`indexedDbSchema.ts`).
 *
 * Every byte array in a row is a private copy whose buffer holds exactly those bytes: the
 * structured clone IndexedDB stores keeps a view's whole buffer, which could hold more than
 * the view shows.
 */
import { utf8 } from '../crypto/bytes.js';
import type { KeyedPosition } from './listQueryKeyed.js';
import type { ListQuery } from './listQuery.js';
import type { Position } from './pageToken.js';
import { toRow, type RawRecordRow, type StoredRecord } from './storedRecord.js';

/** A `records` row as stored; every field is checked again when read. */
export interface RecordRow extends RawRecordRow {
  collection: unknown;
  /** The sort time, on live rows only (index `liveByTime`). */
  live_time?: unknown;
  /** [record id, UTF-8 of collection], on rows with a content key only (index `keyed`). */
  keyed?: unknown;
}

/**
 * Bytes as a key. IndexedDB copies a key's bytes when it takes it; the DOM types ask for an
 * ArrayBuffer-backed view, which every byte array of this library is.
 */
export function binaryKey(bytes: Uint8Array): IDBValidKey {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** The key of a record in the `records` store. */
export function recordKey(collection: string, recordId: Uint8Array): IDBValidKey {
  return [collection, binaryKey(recordId)];
}

/** The `keyed` index key of a position. */
export function keyedKey(position: KeyedPosition): IDBValidKey {
  return [binaryKey(position.recordId), binaryKey(utf8(position.collection))];
}

/** The row that stores `record` (its byte fields are already private copies). */
export function recordRow(record: StoredRecord): RecordRow {
  const row: RecordRow = { collection: record.collection, ...toRow(record) };
  if (!record.deleted) row.live_time = record.sortTime;
  if (record.contentKey !== null) row.keyed = keyedKey(record);
  return row;
}

/**
 * `row` (whose record id was checked) with a content key and envelope hash attached, and in
 * the `keyed` index.
 */
export function withKeys(row: RecordRow, collection: string, contentKey: Uint8Array, envelopeHash: Uint8Array): RecordRow {
  const recordId = row.record_id as Uint8Array;
  return { ...row, content_key: contentKey, envelope_hash: envelopeHash, keyed: keyedKey({ recordId, collection }) };
}

/** Every key of `collection` in an index or store keyed by arrays that start with it. */
export function collectionRange(collection: string): IDBKeyRange {
  // [c] sorts before [c, anything]; an array sorts after every number, string and byte array.
  return IDBKeyRange.bound([collection], [collection, []], false, true);
}

/**
 * A listing position as an index key. The empty record id ("from the start of that
 * millisecond") is left out rather than given as empty bytes, which not every IndexedDB takes
 * as a key: [c, t] sorts before every [c, t, id].
 */
function positionKey(collection: string, position: Position): IDBValidKey {
  return position.recordId.length === 0
    ? [collection, position.sortTime]
    : [collection, position.sortTime, binaryKey(position.recordId)];
}

/**
 * The range a page of `query` reads from index `byTime` or `liveByTime`, walked `next` (asc)
 * or `prev` (desc); null when it is empty.
 */
export function pageRange(collection: string, query: ListQuery): IDBKeyRange | null {
  const { start, stopTime } = query;
  const wholeMs = start.recordId.length === 0;
  if (query.order === 'asc') {
    if (start.sortTime >= stopTime) return null;
    // Positions above `start`, below [c, stopTime] (which sorts before every [c, stopTime, id]).
    return IDBKeyRange.bound(positionKey(collection, start), [collection, stopTime], wholeMs ? false : true, true);
  }
  if (wholeMs ? stopTime >= start.sortTime : stopTime > start.sortTime) return null;
  // Positions below `start`, from [c, stopTime] up (every [c, stopTime, id] sorts above it).
  return IDBKeyRange.bound([collection, stopTime], positionKey(collection, start), false, true);
}
