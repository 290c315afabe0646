/**
 * The server's order of the versions of one record: compare the revision (u32), then the
 * sender's 16-byte device id lexicographically; the higher version wins. It is the order the
 * server applies when a push supersedes a stored envelope (`storage/supersession.ts`, which this
 * module calls so the two cannot drift), and the one the version index (withholding) compares.
 *
 * Revisions are Lamport clocks per record: a device writing record R uses one more than the
 * highest revision it has seen for R ({@link nextRevision}), so the server keeps an edit over
 * every version its writer had seen. Which of two *concurrent* versions a device shows is not
 * decided here but by the reader order (`readerOrder.ts`): the writer's hybrid logical clock,
 * carried inside the encrypted body, then this order. The clock stays out of the header because
 * the header is public: it would tell the server when every write happened (for a call log, the
 * time of each call). Where the two orders disagree, the device holding the reader-order winner
 * writes it again above the server's copy (re-publishing, `reconcile.ts`), so every device and
 * the server converge on it.
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
