/**
 * Log cuts: the point in a device's log where a `remove` ends its authority to write, or a
 * `rotate` ends its old card (docs/protocol.md §18.1). A cut names a log
 * position (u32; 0 when the device never wrote) and, for a position above 0, the hash of the
 * checkpoint there. The device that appends the entry learns the cut from a {@link LogHeads}
 * provider (the sync layer, which reads every device's log); the honest server accepts the entry
 * only if the cut is the device's log head it stores.
 */
import { CryptoError, UsageError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { idKey } from '../core/devicePublic.js';
import { decodeCheckpoint, verifyCheckpointSignature } from '../core/logCheckpoint.js';
import { MAX_LOG_POSITION } from './chainEntry.js';
import type { ChainState } from './chainState.js';

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

/** How {@link serverLogHeads} reads a device's newest checkpoint (HttpClient has it). */
export interface LogHeadTransport {
  logHead(device: Uint8Array): Promise<Uint8Array | null>;
}

/**
 * Log heads as the server stores them, each checked before it is believed: the checkpoint must
 * be the device's own, signed by its identity key as the verified chain lists it, in this
 * account. The server can show an older head than it holds (then the honest server refuses the
 * entry, `LOG_CUT_STALE`, and a colluding one voids the writes in between, which the devices that
 * saw them report); it cannot show a head the device did not sign.
 */
export function serverLogHeads(suite: CryptoProvider, transport: LogHeadTransport, chain: { readonly accountId: Uint8Array; readonly state: ChainState }): LogHeads {
  return {
    async logHead(deviceId) {
      const bytes = await transport.logHead(deviceId);
      if (bytes === null) return EMPTY_LOG;
      const state = chain.state;
      const device = state.devices.get(idKey(deviceId)) ?? state.removedDevices.get(idKey(deviceId));
      const checkpoint = decodeCheckpoint(suite, chain.accountId, bytes);
      if (device === undefined || !equalBytes(checkpoint.sender, deviceId)) {
        throw new CryptoError('LOG_HEAD_INVALID', 'the server answered with a log head of another device');
      }
      try {
        verifyCheckpointSignature(suite, chain.accountId, checkpoint, device.card.identityKey);
      } catch (cause) {
        throw new CryptoError('LOG_HEAD_INVALID', 'the log head the server shows is not signed by its device', { cause });
      }
      return { position: checkpoint.position, hash: checkpoint.hash };
    },
  };
}

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
