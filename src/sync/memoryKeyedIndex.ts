/**
 * The keyed versions of a `MemoryLocalStore`, across collections, in `listKeyed` order: a
 * sorted array of sort keys (`keyedSortKey`) read by binary search, so a page costs
 * O(log n + limit) however many records the store holds. A write moves one element.
 */
import { keyedSortKey, type KeyedPosition } from './listQueryKeyed.js';

/** Where a keyed version lives: its collection and record id hex (the collection's map key). */
export interface KeyedRef {
  readonly collection: string;
  readonly idHex: string;
}

/** The sorted index of keyed versions. */
export class MemoryKeyedIndex {
  private readonly sorted: string[] = [];
  private readonly refs = new Map<string, KeyedRef>();

  /** Index of the first key above `key` (or at it, with `inclusive`). */
  private search(key: string, inclusive: boolean): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.sorted[mid]!;
      if (k > key || (inclusive && k === key)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Records whether the version at `position` (record id hex `idHex`) has a content key. */
  set(position: KeyedPosition, idHex: string, keyed: boolean): void {
    const key = keyedSortKey(position);
    const present = this.refs.has(key);
    if (keyed && !present) {
      this.sorted.splice(this.search(key, false), 0, key);
      this.refs.set(key, { collection: position.collection, idHex });
    } else if (!keyed && present) {
      this.sorted.splice(this.search(key, true), 1);
      this.refs.delete(key);
    }
  }

  /** Up to `count` keyed versions after `after` (from the start when null), in order. */
  page(after: KeyedPosition | null, count: number): KeyedRef[] {
    const start = after === null ? 0 : this.search(keyedSortKey(after), false);
    return this.sorted.slice(start, start + count).map((key) => this.refs.get(key)!);
  }

  /** Forgets everything. */
  clear(): void {
    this.sorted.length = 0;
    this.refs.clear();
  }
}
