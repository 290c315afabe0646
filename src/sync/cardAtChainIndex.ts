/**
 * Which card of a device a peer sealed to. A peer's log checkpoint names the chain head it
 * sealed under; if the device rotated its key after that head, the peer (not yet aware of the
 * rotation) derived its pair key toward the card the device had then, not the current one.
 * The chain state keeps a device's past cards in order (`rotations`); the chain indices of its
 * `rotate` entries say which was in force at a given head. One entry decode per chain entry
 * after the device's `add`, and only for a device that rotated: callers keep the answer per
 * chain length.
 */
import { equalBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { DevicePublic } from '../core/devicePublic.js';
import { decodeEntry } from '../enrollment/chainEntry.js';
import type { ChainDevice, ChainState } from '../enrollment/chainState.js';
import { chainDevice } from './writers.js';

/** The chain indices of device `id`'s `rotate` entries, oldest first (empty for a device that never rotated or is unknown). */
export function rotationIndices(suite: CryptoProvider, state: ChainState, entries: readonly Uint8Array[], id: Uint8Array): number[] {
  const device = chainDevice(state, id);
  if (device === undefined || device.rotations.length === 0) return [];
  const out: number[] = [];
  for (let i = device.addedAt + 1; i < Math.min(entries.length, state.length); i++) {
    const entry = decodeEntry(suite, entries[i]!).entry;
    if (entry.t === 'rotate' && entry.by !== undefined && equalBytes(entry.by, id)) out.push(i);
  }
  return out;
}

/** The card `device` had on the chain at entry `index`, given its rotation indices. */
export function cardAtChainIndex(device: ChainDevice, rotations: readonly number[], index: number): DevicePublic {
  const rotated = rotations.filter((at) => at <= index).length;
  return rotated < device.rotations.length ? device.rotations[rotated]!.card : device.card;
}
