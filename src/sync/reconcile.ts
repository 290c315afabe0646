/**
 * What a pulled page means beyond "store the reader-order winner" (docs/v2-design.md §13.1):
 *
 * - **Conflicts**: a pulled version X and the local winner L conflict when their clocks differ
 *   and neither writer had seen the other's version (`X.b < L.h` and `L.b < X.h`; no base reads
 *   as before every clock). Versions whose canonical values are byte-equal (two tombstones, or
 *   two devices that merged the same pair) are no conflict.
 * - **Re-publish**: when X is higher in the server's order than L but loses to L in the reader
 *   order, the server keeps X while the devices show L. The device writes L again, unchanged
 *   (value, clock, base), at `X.revision + 1` as itself, so the server's copy becomes L and every
 *   device converges on it.
 *
 * The page is walked in order against the local winners read before it is stored, the way the
 * store merges it, so a record given twice is judged against the page's own earlier winner.
 * Costs one `getRecord` per distinct record of the page.
 */
import { toHex } from '../crypto/bytes.js';
import { encodeCanonical } from '../core/cbor.js';
import { compareClocks } from './hlc.js';
import type { LocalRecord, LocalStore } from './localStore.js';
import { compareReaderOrder } from './readerOrder.js';
import { compareVersions } from './version.js';

/** Two versions of one record neither writer had seen, as the `conflict` event reports them. */
export interface Conflict {
  readonly collection: string;
  readonly id: Uint8Array;
  /** The version this device held. */
  readonly local: LocalRecord;
  /** The version it pulled. */
  readonly remote: LocalRecord;
  /** The reader-order winner of the two (`local` or `remote`): what the device shows. */
  readonly winner: LocalRecord;
}

/** A record whose local winner must be written again above the server's copy. */
export interface Republish {
  readonly collection: string;
  readonly id: Uint8Array;
  /** The highest version in the server's order that lost to the local winner. */
  readonly above: LocalRecord;
}

/** What one page asks of the replica once it is stored. */
export interface PageReconciliation {
  readonly conflicts: Conflict[];
  readonly republish: Republish[];
}

/** The upper bound of canonical value bytes compared (the protocol's envelope ceiling). */
const VALUE_LIMITS = { maxBytes: 4 * 1024 * 1024, maxItems: 1_000_000, maxStringBytes: 4 * 1024 * 1024 };

/** True when `a` and `b` hold the same value: both tombstones, or byte-equal canonical CBOR. */
export function sameValue(a: LocalRecord, b: LocalRecord): boolean {
  if (a.deleted || b.deleted) return a.deleted === b.deleted;
  try {
    const x = encodeCanonical(a.value, VALUE_LIMITS);
    const y = encodeCanonical(b.value, VALUE_LIMITS);
    return x.length === y.length && x.every((byte, i) => byte === y[i]);
  } catch {
    return false;
  }
}

/** True when `base` (null: a new record) is before `clock`. */
function before(base: Uint8Array | null | undefined, clock: Uint8Array): boolean {
  return base === null || base === undefined || compareClocks(base, clock) < 0;
}

/** True when `a` and `b` are concurrent versions holding different values. */
export function isConflict(a: LocalRecord, b: LocalRecord): boolean {
  if (compareClocks(a.clock, b.clock) === 0) return false;
  return before(a.base, b.clock) && before(b.base, a.clock) && !sameValue(a, b);
}

const slot = (r: { collection: string; recordId: Uint8Array }): string => `${toHex(r.recordId)}:${r.collection}`;

/**
 * Judges a pulled page (`records`, in order) against what `store` holds before it is stored.
 * @throws StorageError codes of `getRecord`.
 */
export async function reconcilePage(store: LocalStore, records: readonly LocalRecord[]): Promise<PageReconciliation> {
  const winners = new Map<string, LocalRecord | null>();
  for (const r of records) {
    const key = slot(r);
    if (!winners.has(key)) winners.set(key, await store.getRecord(r.collection, r.recordId));
  }
  const conflicts: Conflict[] = [];
  const losers = new Map<string, LocalRecord>();
  for (const remote of records) {
    const key = slot(remote);
    const local = winners.get(key) ?? null;
    if (local === null) {
      winners.set(key, remote);
      continue;
    }
    const order = compareReaderOrder(remote, local);
    if (order === 0) continue;
    const winner = order > 0 ? remote : local;
    if (isConflict(remote, local)) conflicts.push({ collection: remote.collection, id: remote.recordId, local, remote, winner });
    if (order < 0 && compareVersions(remote, local) > 0) {
      const above = losers.get(key);
      if (above === undefined || compareVersions(remote, above) > 0) losers.set(key, remote);
    }
    winners.set(key, winner);
  }
  const republish = [...losers.values()].map((above) => ({ collection: above.collection, id: above.recordId, above }));
  return { conflicts, republish };
}

/**
 * The copy of `winner` that re-publishing writes: same value, clock and base, at `revision`
 * (`above.revision + 1`) as `sender`, without the keys of an envelope (it gets a new one at push).
 */
export function republishedCopy(winner: LocalRecord, revision: number, sender: Uint8Array): LocalRecord {
  return {
    ...winner,
    revision,
    sender: sender.slice(),
    contentKey: null,
    envelopeHash: null,
  };
}
