/**
 * Who may write, judged from the verified device chain and log positions, never from anything
 * the writer or the server chose: a checkpoint at position p of device D counts when D is a
 * real device in effect, or was removed with a cut at or after p. Its card for p is the one in
 * force after every rotation of D cut before p. The recovery pseudo-device, a pending or vetoed
 * device, and a device the chain does not know write nothing.
 */
import type { DevicePublic } from '../core/devicePublic.js';
import { idKey } from '../core/devicePublic.js';
import type { KeyStatement } from '../core/keyStatement.js';
import { cardAtPosition, type ChainDevice, type ChainState, type RemovedDevice } from '../enrollment/chainState.js';

/** Why a checkpoint does not count. */
export type Unauthorised = 'unknown-device' | 'recovery-device' | 'pending-device' | 'after-removal';

/** The verdict on a checkpoint position. */
export type Authorisation = { readonly ok: true; readonly card: DevicePublic; readonly removed?: RemovedDevice } | { readonly ok: false; readonly reason: Unauthorised };

/** How far a device's start may lie ahead of this device's clock and still count (clock skew). */
export const EFFECTIVE_TOLERANCE_MS = 30 * 60_000;

/** The chain's record of `id`, listed or removed. */
export function chainDevice(state: ChainState, id: Uint8Array): ChainDevice | RemovedDevice | undefined {
  const key = idKey(id);
  return state.devices.get(key) ?? state.removedDevices.get(key);
}

/** Whether device `id` may have written at log position `position`, judged at `now`. */
export function authorise(state: ChainState, id: Uint8Array, position: number, now: number): Authorisation {
  const key = idKey(id);
  const listed = state.devices.get(key);
  if (listed !== undefined) {
    if (listed.role === 'recovery') return { ok: false, reason: 'recovery-device' };
    if (listed.effectiveAt > now + EFFECTIVE_TOLERANCE_MS) return { ok: false, reason: 'pending-device' };
    return { ok: true, card: cardAtPosition(listed, position) };
  }
  const removed = state.removedDevices.get(key);
  if (removed === undefined) return { ok: false, reason: 'unknown-device' };
  if (removed.role === 'recovery') return { ok: false, reason: 'recovery-device' };
  if (removed.vetoed || position > removed.cut.position) return { ok: false, reason: 'after-removal' };
  return { ok: true, card: cardAtPosition(removed, position), removed };
}

/** The devices to seal for at `now`: every listed device in effect, real and recovery alike. */
export function sealingDevices(state: ChainState, now: number): ChainDevice[] {
  return [...state.devices.values()].filter((d) => d.effectiveAt <= now);
}

/** A device's epoch-0 key statement from the chain. */
export function chainStatement(state: ChainState, id: Uint8Array): KeyStatement | undefined {
  return chainDevice(state, id)?.keyStatement;
}
