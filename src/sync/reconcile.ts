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
 * store merges it, so a record given twice is judged against the page's own earlier winner
 * (`reconcilePage`); once it is stored, `settlePage` raises the conflicts and writes the merges
 * and re-publishes, each only if the stored winner is still the one judged. Costs one
 * `getRecord` per distinct record of the page, and one more per conflict or re-publish.
 */
import { UsageError } from '../errors.js';
import { toHex } from '../crypto/bytes.js';
import { encodeCanonical } from '../core/cbor.js';
import { ForkAlarm } from '../enrollment/forkAlarm.js';
import type { CollectionOptions } from './collection.js';
import { compareClocks } from './hlc.js';
import type { LocalRecord, LocalStore } from './localStore.js';
import type { Rejection } from './inbound.js';
import { compareReaderOrder } from './readerOrder.js';
import { compareVersions } from './version.js';

/** One of the two versions of a {@link ConflictEvent}. */
export interface ConflictVersion {
  /** The value (null for a tombstone). */
  value: unknown;
  deleted: boolean;
  /** The writer's clock (8 bytes: 48-bit ms ‖ 16-bit counter, big-endian). */
  clock: Uint8Array;
  /** The device that wrote this copy, and its revision (the server's order). */
  sender: Uint8Array;
  revision: number;
}

/**
 * Two versions of one record written without either writer seeing the other (docs/api.md,
 * "Conflicts"). The replica already shows `winner`; with a collection `merge` function, a merged
 * value follows as a local write (and a `change` event).
 */
export interface ConflictEvent {
  collection: string;
  id: Uint8Array;
  /** The version this device held. */
  local: ConflictVersion;
  /** The version it pulled. */
  remote: ConflictVersion;
  /** Which of the two the reader order picked (later clock; a delete on an exact tie). */
  winner: 'local' | 'remote';
}

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

/** What settling a page needs from the replica. */
export interface SettleHost {
  read(collection: string, id: Uint8Array): Promise<LocalRecord | null>;
  /** The options of a collection the app opened on this device (undefined: not opened). */
  options(collection: string): Readonly<CollectionOptions<unknown>> | undefined;
  /** A local write of `value` over the record's winner (validated, clocked, queued). */
  write(collection: string, options: CollectionOptions<unknown>, id: Uint8Array, value: unknown): Promise<unknown>;
  /** Writes `winner` again above `above` (`republishedCopy`); false when its collection does not sync. */
  republish(winner: LocalRecord, above: LocalRecord): Promise<boolean>;
  conflict(event: ConflictEvent): void;
  rejected(rejection: Rejection): void;
}

const side = (r: LocalRecord): ConflictVersion => ({ value: r.value, deleted: r.deleted, clock: r.clock.slice(), sender: r.sender.slice(), revision: r.revision });

/**
 * After a page is stored: raises its conflicts, writes merged values for collections with a
 * `merge` function, and re-publishes local winners the server's copy lost to, each only if the
 * stored winner is still the one judged. Returns how many writes it queued.
 * @throws ForkAlarm (from a write); StorageError codes. A `merge` that throws is reported as a
 *   `MERGE_FAILED` rejection, and the winner stays.
 */
export async function settlePage(host: SettleHost, plan: PageReconciliation): Promise<number> {
  for (const c of plan.conflicts) {
    host.conflict({ collection: c.collection, id: c.id.slice(), local: side(c.local), remote: side(c.remote), winner: c.winner === c.local ? 'local' : 'remote' });
  }
  let writes = 0;
  const merged = new Set<string>();
  for (const c of plan.conflicts) {
    const options = host.options(c.collection);
    const merge = options?.merge;
    if (merge === undefined || c.local.deleted || c.remote.deleted) continue;
    const current = await host.read(c.collection, c.id);
    // Written over meanwhile (a later write, or an earlier conflict of this page merged): nothing to merge.
    if (current === null || compareReaderOrder(current, c.winner) !== 0) continue;
    const older = c.winner === c.local ? c.remote : c.local;
    try {
      const value = merge(older.value, c.winner.value);
      if (value === undefined) throw new UsageError('MERGE_FAILED', 'returned undefined');
      if (sameValue({ ...current, value }, current)) continue;
      await host.write(c.collection, options!, c.id, value);
    } catch (error) {
      if (error instanceof ForkAlarm) throw error;
      const why = error instanceof Error ? error.message : String(error);
      host.rejected({ code: 'MERGE_FAILED', message: `the merge function of collection "${c.collection}" failed: ${why}`, recordId: c.id.slice() });
      continue;
    }
    merged.add(toHex(c.id));
    writes++;
  }
  for (const r of plan.republish) {
    if (merged.has(toHex(r.id))) continue;
    const current = await host.read(r.collection, r.id);
    if (current === null || compareVersions(r.above, current) <= 0 || compareReaderOrder(current, r.above) <= 0) continue;
    if (await host.republish(current, r.above)) writes++;
  }
  return writes;
}
