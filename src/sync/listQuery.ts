/** `listRecords` options, checked and resolved once for every adapter. */
import type { ListOptions, LocalRecord, RecordPage } from './localStore.js';
import { checkLimit, checkTime, DEFAULT_PAGE, invalid } from './localStoreValidate.js';
import {
  decodePageToken,
  encodePageToken,
  pageBounds,
  TIME_END,
  type ListOrder,
  type PageBounds,
} from './pageToken.js';

/** A listing request with every default filled in. */
export interface ListQuery extends PageBounds {
  readonly order: ListOrder;
  readonly limit: number;
  readonly includeDeleted: boolean;
}

/**
 * Checks `options` and works out where the page starts.
 * @throws StorageError `INVALID_ARGUMENT`.
 */
export function resolveListOptions(options: ListOptions | undefined): ListQuery {
  if (options !== undefined && (typeof options !== 'object' || options === null)) invalid('options must be an object');
  const { from = 0, to = TIME_END, limit = DEFAULT_PAGE, order = 'asc', includeDeleted = false, after } = options ?? {};
  checkTime('from', from);
  if (to !== TIME_END) checkTime('to', to);
  checkLimit(limit);
  if (order !== 'asc' && order !== 'desc') invalid("order must be 'asc' or 'desc'");
  if (typeof includeDeleted !== 'boolean') invalid('includeDeleted must be a boolean');
  const position = after === undefined ? null : decodePageToken(order, after);
  return { ...pageBounds(order, from, to, position), order, limit, includeDeleted };
}

/**
 * The page an adapter returns: `records` are the first `limit` matches, and `more` tells
 * whether another match follows (adapters read `limit + 1` rows to know, decoding `limit`).
 */
export function toPage(query: ListQuery, records: LocalRecord[], more: boolean): RecordPage {
  const last = records[records.length - 1];
  return { records, next: more && last !== undefined ? encodePageToken(query.order, last) : null };
}
