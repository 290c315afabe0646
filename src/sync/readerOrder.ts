/**
 * The reader order: which version of a record a replica keeps and shows (docs/protocol.md
 * §23.4). Compare the clocks (`hlc.ts`); on an exact clock tie a tombstone beats a value; then
 * the server order (revision, then sender, `version.ts`). The later edit wins, a delete wins a
 * true tie, and two copies of one version (same clock, same kind) fall back to the order the
 * server keeps, so copies never fight.
 *
 * Every adapter of `LocalStore` keeps the winner by this one function (in `applyLocal` and
 * `applyRemote`, inside their transactions), and the replica decides re-publishing and conflicts
 * with it, so the store and the replica cannot disagree. The server order stays what the server
 * supersedes by and what the version index (withholding) compares.
 */
import { compareClocks } from './hlc.js';
import { compareVersions, type Version } from './version.js';

/** What the reader order reads of a version. */
export interface OrderedVersion extends Version {
  /** The 8-byte clock of the write (`hlc.ts`). */
  readonly clock: Uint8Array;
  /** True for a tombstone. */
  readonly deleted: boolean;
}

/**
 * -1 when `a` loses to `b`, 0 when they are the same version, 1 when `a` wins. Inputs are not
 * validated here (it runs per record on every merge); stores check them at their boundary.
 */
export function compareReaderOrder(a: OrderedVersion, b: OrderedVersion): -1 | 0 | 1 {
  const byClock = compareClocks(a.clock, b.clock);
  if (byClock !== 0) return byClock;
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  return compareVersions(a, b);
}
