/**
 * The one rule deciding what a push does to a record, shared by every adapter so they cannot
 * drift apart: versions are ordered by (revision, sender bytes); higher wins; the identical
 * envelope again is a duplicate; anything else that is not newer is superseded.
 */
import { compareBytes, sameBytes } from './bytes.js';
import type { EnvelopeInput, EnvelopeKind, PutOutcome } from './store.js';

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
 * The outcome of pushing `incoming` over `current` (undefined when the record id is free).
 * `currentBytes` is called only when the versions are equal, so adapters can load the stored
 * bytes lazily.
 */
export function decidePut(
  current: CurrentVersion | undefined,
  incoming: EnvelopeInput,
  currentBytes: () => Uint8Array,
): PutOutcome {
  if (current === undefined) return 'stored';
  const order = compareVersions(incoming, current);
  if (order > 0) return 'stored';
  if (order < 0) return 'superseded';
  const identical =
    incoming.kind === current.kind && incoming.expiryDay === current.expiryDay && sameBytes(incoming.bytes, currentBytes());
  return identical ? 'duplicate' : 'superseded';
}
