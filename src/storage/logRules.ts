/**
 * The rules deciding what a log append and a log cut do, shared by every adapter so they
 * cannot drift apart: a device's log grows one checkpoint at a time, each naming the hash of
 * the one before; the identical checkpoint again is a re-push; anything else conflicts.
 */
import { sameBytes } from './bytes.js';
import type { LogAppend, LogCut } from './store.js';
import { storageError } from './storageErrors.js';

/** A stored log head as an adapter reports it. */
export interface HeadKey {
  readonly position: number;
  readonly hash: Uint8Array;
}

/** What a valid `log` argument does: store the checkpoint, or (a re-push) store nothing. */
export type LogDecision = 'append' | 'repeat';

/**
 * Decides `log` against the device's stored head (undefined when it has no checkpoint).
 * `storedAt` returns the bytes of the checkpoint stored at `log.position`, if any; it is
 * called only when the append does not extend the head.
 * @throws StorageError `LOG_CONFLICT`
 */
export function decideLogAppend(
  head: HeadKey | undefined,
  log: LogAppend,
  storedAt: () => Uint8Array | undefined,
): LogDecision {
  // prevHash is all zero at position 1 (checked at the boundary), so only the position matters there.
  const extendsHead =
    head === undefined ? log.position === 1 : log.position === head.position + 1 && sameBytes(head.hash, log.prevHash);
  if (extendsHead) return 'append';
  const stored = storedAt();
  if (stored !== undefined && sameBytes(stored, log.bytes)) return 'repeat';
  throw storageError(
    'LOG_CONFLICT',
    `checkpoint ${log.position} does not extend the device's log head (position ${head?.position ?? 0})`,
  );
}

/**
 * Checks that `cut` names the device's stored head exactly (position 0 and hash null: no head).
 * @throws StorageError `LOG_CUT_STALE`
 */
export function checkCut(head: HeadKey | undefined, cut: LogCut): void {
  const matches =
    head === undefined
      ? cut.position === 0
      : cut.hash !== null && cut.position === head.position && sameBytes(cut.hash, head.hash);
  if (!matches) {
    throw storageError('LOG_CUT_STALE', `the cut names position ${cut.position}, not the device's log head`);
  }
}
