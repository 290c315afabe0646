/**
 * The one rule deciding what a push does to a record, shared by every adapter so they cannot
 * drift apart: versions are ordered by (revision, sender bytes); higher wins; the identical
 * envelope again is a duplicate; anything else that is not newer is superseded.
 */
import { compareBytes, sameBytes } from './bytes.js';
import type { EnvelopeInput, EnvelopeKind, PutOutcome } from './store.js';
import { storageError } from './storageErrors.js';

/** The order key of a version. */
export interface VersionKey {
  readonly revision: number;
  readonly sender: Uint8Array;
}

/** What an adapter knows about the stored version before deciding. */
export interface CurrentVersion extends VersionKey {
  readonly kind: EnvelopeKind;
  readonly expiryDay: number;
}

/** Negative when `a` is older than `b`, zero when they are the same version, positive when newer. */
export function compareVersions(a: VersionKey, b: VersionKey): number {
  if (a.revision !== b.revision) return a.revision - b.revision;
  return compareBytes(a.sender, b.sender);
}

/**
 * Largest revision step a pushed version may take over the stored one: a writer uses one more
 * than the highest revision it has seen, so a bigger jump can only be an attempt to exhaust
 * the record's u32 revision (readers refuse the same jump in the sender's log).
 */
export const MAX_REVISION_STEP = 0x1_0000;

/**
 * The outcome of pushing `incoming` over `current` (undefined when the record id is free).
 * `currentBytes` is called only when the versions are equal, so adapters can load the stored
 * bytes lazily.
 * @throws StorageError `REVISION_JUMP` when `incoming` is more than {@link MAX_REVISION_STEP}
 *   revisions above `current` (the whole batch is refused, as with every store error).
 */
export function decidePut(
  current: CurrentVersion | undefined,
  incoming: EnvelopeInput,
  currentBytes: () => Uint8Array,
): PutOutcome {
  if (current === undefined) return 'stored';
  if (incoming.revision > current.revision + MAX_REVISION_STEP) {
    throw storageError('REVISION_JUMP', `a version may not jump more than ${MAX_REVISION_STEP} revisions over the stored one`);
  }
  const order = compareVersions(incoming, current);
  if (order > 0) return 'stored';
  if (order < 0) return 'superseded';
  const identical =
    incoming.kind === current.kind && incoming.expiryDay === current.expiryDay && sameBytes(incoming.bytes, currentBytes());
  return identical ? 'duplicate' : 'superseded';
}
