/**
 * Keyset paging for `listRecords`: a page ends at a position (sortTime, recordId) and the next
 * page starts strictly after it in the listing's order, so pages never overlap or skip a record
 * even while records are written between pages. The token is that position and the order, as
 * text: `a.<sortTime>.<record id hex>` or `d.…`. It holds no secret (ids are public anyway).
 */
import { fromHex, toHex } from '../crypto/bytes.js';
import { invalid } from './localStoreValidate.js';

/** Listing order. */
export type ListOrder = 'asc' | 'desc';

/** A place in (sortTime, recordId) order. The empty id sorts before every record id. */
export interface Position {
  readonly sortTime: number;
  readonly recordId: Uint8Array;
}

/** Exclusive upper bound of every sortTime (they are safe integers). */
export const TIME_END = 2 ** 53;

const EMPTY = new Uint8Array(0);
const TOKEN = /^([ad])\.(0|[1-9][0-9]{0,15})\.([0-9a-f]{32})$/;

/** The token that resumes a listing after `last`. */
export function encodePageToken(order: ListOrder, last: Position): string {
  return `${order === 'asc' ? 'a' : 'd'}.${last.sortTime}.${toHex(last.recordId)}`;
}

/**
 * The position in `token`.
 * @throws StorageError `INVALID_ARGUMENT` for a malformed token or one from the other order.
 */
export function decodePageToken(order: ListOrder, token: unknown): Position {
  const match = typeof token === 'string' ? TOKEN.exec(token) : null;
  if (match === null) invalid('after is not a page token');
  const sortTime = Number(match[2]);
  if (!Number.isSafeInteger(sortTime)) invalid('after is not a page token');
  if ((match[1] === 'a') !== (order === 'asc')) invalid('after is a token of a listing in the other order');
  return { sortTime, recordId: fromHex(match[3]!) };
}

/** Compares positions; record ids compare as bytes, so the empty id is the lowest. */
export function comparePositions(a: Position, b: Position): number {
  if (a.sortTime !== b.sortTime) return a.sortTime < b.sortTime ? -1 : 1;
  const n = Math.min(a.recordId.length, b.recordId.length);
  for (let i = 0; i < n; i++) {
    const d = a.recordId[i]! - b.recordId[i]!;
    if (d !== 0) return d;
  }
  return a.recordId.length - b.recordId.length;
}

/** The range a page covers, as exclusive positions. */
export interface PageBounds {
  /** asc: list positions above this; desc: list positions below this. */
  readonly start: Position;
  /** asc: stop at sortTime ≥ this; desc: stop at sortTime < this. */
  readonly stopTime: number;
}

/**
 * Where a page of `order` starts, given the range [from, to) and the previous page's position.
 * The token and the range narrow each other, so a token cannot widen the range.
 */
export function pageBounds(order: ListOrder, from: number, to: number, after: Position | null): PageBounds {
  if (order === 'asc') {
    const lowest: Position = { sortTime: from, recordId: EMPTY };
    const start = after !== null && comparePositions(after, lowest) > 0 ? after : lowest;
    return { start, stopTime: to };
  }
  const highest: Position = { sortTime: to, recordId: EMPTY };
  const start = after !== null && comparePositions(after, highest) < 0 ? after : highest;
  return { start, stopTime: from };
}
