/**
 * Log cuts: the point in a device's log where a `remove` ends its authority to write, or a
 * `rotate` ends its old card (docs/v2-design.md §7, docs/protocol.md §18.1). A cut names a log
 * position (u32; 0 when the device never wrote) and, for a position above 0, the hash of the
 * checkpoint there. The device that appends the entry learns the cut from a {@link LogHeads}
 * provider (the sync layer, which reads every device's log); the honest server accepts the entry
 * only if the cut is the device's log head it stores.
 */
import { UsageError } from '../errors.js';
import { MAX_LOG_POSITION } from './chainEntry.js';

/** A position in one device's log and the hash of the checkpoint there (null at position 0). */
export interface LogCut {
  readonly position: number;
  readonly hash: Uint8Array | null;
}

/** Where a device's log stands: how `Account.remove` and `Account.rotateKey` learn the cut. */
export interface LogHeads {
  /**
   * The newest checkpoint of `deviceId`'s log that this device knows: its position and hash,
   * or `{ position: 0, hash: null }` when the device has written nothing.
   */
  logHead(deviceId: Uint8Array): Promise<LogCut>;
}

/** The cut of a device that never wrote. */
export const EMPTY_LOG: LogCut = Object.freeze({ position: 0, hash: null });

/** A provider that knows no log: every device is at position 0 (until the sync layer provides one). */
export const NO_LOG_HEADS: LogHeads = { logHead: async () => EMPTY_LOG };

/**
 * The entry fields of `cut`: `lp`, and `lh` when `lp` > 0.
 * @throws {UsageError} `ARGUMENT_INVALID` when the position is not a u32, or the hash is not
 *   32 bytes at a position above 0 (or present at position 0).
 */
export function cutFields(cut: LogCut): { lp: number; lh?: Uint8Array } {
  const { position, hash } = cut ?? ({} as LogCut);
  if (!Number.isInteger(position) || position < 0 || position > MAX_LOG_POSITION) {
    throw new UsageError('ARGUMENT_INVALID', 'a log position is an integer in 0..2^32-1');
  }
  if (position === 0) {
    if (hash !== null) throw new UsageError('ARGUMENT_INVALID', 'a cut at position 0 has no checkpoint hash');
    return { lp: 0 };
  }
  if (!(hash instanceof Uint8Array) || hash.length !== 32) {
    throw new UsageError('ARGUMENT_INVALID', 'a cut above position 0 names its checkpoint by a 32-byte hash');
  }
  return { lp: position, lh: hash.slice() };
}
