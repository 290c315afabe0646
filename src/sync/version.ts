/**
 * The total order of the versions of one record: compare the revision (u32), then the sender's
 * 16-byte device id lexicographically; the higher version wins. It is the order the server
 * applies when a push supersedes a stored envelope (`storage/supersession.ts`, which this module
 * calls so the two cannot drift), so a replica and the server keep the same winner for every
 * record whatever order envelopes arrive in.
 *
 * Revisions are Lamport clocks per record: a device writing record R uses one more than the
 * highest revision it has seen for R ({@link nextRevision}). An edit therefore beats every
 * version its writer had seen, and only truly concurrent edits (same revision) fall to the
 * device-id tie-break, which is arbitrary but the same everywhere. A delete is a version too:
 * a tombstone at revision + 1; a later put at a higher revision brings the record back, and a
 * put concurrent with a delete wins or loses on device id like any other concurrent edit.
 *
 * Why no hybrid logical clock in the header (design.md §7 proposed one for ties): whatever
 * orders versions must sit in the public header, because the server decides supersession
 * itself and cannot read bodies. An HLC carries wall-clock milliseconds, so the header would
 * tell the server when every write happened: for a call log, written as a call ends, that is
 * the time of each call; for imported history the clock would either carry the import time
 * (useless for ordering) or, seeded from the records, the past call times themselves. The
 * envelope keeps time out of the header except the coarse expiry day. What an HLC would buy,
 * "the edit made later in real time wins a concurrent tie", also trusts every device's clock:
 * one set in the future would win every tie. Lamport revisions already order causally related
 * edits correctly, which is what users notice.
 */
import { UsageError } from '../errors.js';
import { compareVersions as serverOrder } from '../storage/supersession.js';

/** Highest revision an envelope header can carry (u32). */
export const MAX_REVISION = 0xffff_ffff;

/** The order key of one version of a record: what the envelope header says about it. */
export interface Version {
  /** u32 Lamport revision of the record. */
  readonly revision: number;
  /** 16-byte id of the device that wrote this version. */
  readonly sender: Uint8Array;
}

/**
 * -1 when `a` is older than `b`, 0 when they are the same version, 1 when `a` is newer.
 * Inputs are not validated here (it runs per record on every merge); stores check them at
 * their boundary.
 */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  const order = serverOrder(a, b);
  return order < 0 ? -1 : order > 0 ? 1 : 0;
}

/** True when `a` supersedes `b`. */
export function isNewer(a: Version, b: Version): boolean {
  return compareVersions(a, b) > 0;
}

/**
 * The revision for a new write (put or delete) over `seen`, the highest version this device
 * holds for the record (null when it has none): `seen.revision + 1`, or 1 for a new record.
 * @throws UsageError `REVISION_EXHAUSTED` when `seen` is already at {@link MAX_REVISION}.
 */
export function nextRevision(seen: Version | null): number {
  const revision = seen === null ? 0 : seen.revision;
  if (revision >= MAX_REVISION) {
    throw new UsageError('REVISION_EXHAUSTED', 'the record has reached the highest revision');
  }
  return revision + 1;
}
