/**
 * Keyset paging for `listKeyed`: keyed versions of every collection in (record id, collection)
 * order, record ids compared as bytes and ties (one id in two collections) broken by the
 * collection name's UTF-8 bytes, which is SQLite's BINARY collation and, for the well-formed
 * names a store accepts, code point order. A page ends at a position and the next starts
 * strictly after it. The token is that position as text, `k.<record id hex>.<collection UTF-8
 * hex>`; it holds no secret.
 *
 * The position's sort key (the token without `k.`) compares as plain strings in exactly the
 * listing order: a fixed-length id, then the name's bytes in hex, a shorter name first.
 */
import { fromHex, toHex, utf8 } from '../crypto/bytes.js';
import type { KeyedRecord } from './localStore.js';
import { checkCollection, checkLimit, invalid, MAX_COLLECTION_LENGTH } from './localStoreValidate.js';

/** A place in (record id, collection) order. */
export interface KeyedPosition {
  readonly recordId: Uint8Array;
  readonly collection: string;
}

/** A `listKeyed` request, checked. */
export interface KeyedQuery {
  /** List positions above this; null from the start. */
  readonly after: KeyedPosition | null;
  readonly limit: number;
}

/** A collection name is at most 128 UTF-16 units, so at most 3 UTF-8 bytes each. */
const MAX_NAME_HEX = MAX_COLLECTION_LENGTH * 3 * 2;
const TOKEN = new RegExp(`^k\\.([0-9a-f]{32})\\.((?:[0-9a-f]{2}){1,${MAX_NAME_HEX / 2}})$`);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The string that sorts `position` among the others in listing order. */
export function keyedSortKey(position: KeyedPosition): string {
  return `${toHex(position.recordId)}.${toHex(utf8(position.collection))}`;
}

function decodeToken(token: unknown): KeyedPosition {
  const match = typeof token === 'string' ? TOKEN.exec(token) : null;
  if (match === null) invalid('after is not a listKeyed page token');
  let collection: string;
  try {
    collection = strictUtf8.decode(fromHex(match[2]!));
  } catch {
    invalid('after is not a listKeyed page token');
  }
  checkCollection(collection);
  return { recordId: fromHex(match[1]!), collection };
}

/**
 * Checks `listKeyed` options.
 * @throws StorageError `INVALID_ARGUMENT` (not an object, limit outside 1..1000, a bad token).
 */
export function resolveKeyedOptions(options: unknown): KeyedQuery {
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  const { after, limit } = options as { after?: unknown; limit?: unknown };
  checkLimit(limit);
  return { after: after === undefined ? null : decodeToken(after), limit };
}

/** The page an adapter returns from the first `limit` matches and whether another follows. */
export function toKeyedPage(records: KeyedRecord[], more: boolean): { records: KeyedRecord[]; next: string | null } {
  const last = records[records.length - 1];
  return { records, next: more && last !== undefined ? `k.${keyedSortKey(last)}` : null };
}
