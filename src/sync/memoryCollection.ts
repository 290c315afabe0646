/**
 * The records of one collection in `MemoryLocalStore`: a map by record id, and the same records
 * in an array sorted by (sortTime, recordId) that pages are read from by binary search. A write
 * moves one element (O(n) memmove, fast at the sizes a device holds in memory).
 */
import { toHex } from '../crypto/bytes.js';
import type { ListQuery } from './listQuery.js';
import { comparePositions, type Position } from './pageToken.js';
import type { StoredRecord } from './storedRecord.js';

/** One collection of a `MemoryLocalStore`. */
export class MemoryCollection {
  /** Records by lower-case hex of their id. */
  readonly byId = new Map<string, StoredRecord>();
  /** The same records in (sortTime, recordId) order. */
  private sorted: StoredRecord[] = [];
  /** How many are not tombstones. */
  live = 0;

  /** Index of the first record above `pos` (or at it, with `inclusive`). */
  private search(pos: Position, inclusive: boolean): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = comparePositions(this.sorted[mid]!, pos);
      if (c > 0 || (inclusive && c === 0)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Stores `record` under `key` (its id in hex), replacing any version there. */
  put(key: string, record: StoredRecord): void {
    const old = this.byId.get(key);
    if (old !== undefined) {
      this.sorted.splice(this.search(old, true), 1);
      if (!old.deleted) this.live--;
    }
    this.byId.set(key, record);
    this.sorted.splice(this.search(record, false), 0, record);
    if (!record.deleted) this.live++;
  }

  /** Removes the records `predicate` picks; returns them. */
  removeWhere(predicate: (record: StoredRecord) => boolean): StoredRecord[] {
    const removed: StoredRecord[] = [];
    this.sorted = this.sorted.filter((record) => {
      if (!predicate(record)) return true;
      this.byId.delete(toHex(record.recordId));
      if (!record.deleted) this.live--;
      removed.push(record);
      return false;
    });
    return removed;
  }

  /** Up to `limit + 1` matching records from the query's start, in its order. */
  scan(query: ListQuery): StoredRecord[] {
    const found: StoredRecord[] = [];
    const wanted = query.limit + 1;
    const take = (record: StoredRecord): void => {
      if (query.includeDeleted || !record.deleted) found.push(record);
    };
    if (query.order === 'asc') {
      for (let i = this.search(query.start, false); i < this.sorted.length && found.length < wanted; i++) {
        const record = this.sorted[i]!;
        if (record.sortTime >= query.stopTime) break;
        take(record);
      }
    } else {
      for (let i = this.search(query.start, true) - 1; i >= 0 && found.length < wanted; i--) {
        const record = this.sorted[i]!;
        if (record.sortTime < query.stopTime) break;
        take(record);
      }
    }
    return found;
  }
}
