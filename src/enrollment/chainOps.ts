/**
 * Making chain entries. Each function signs one entry that extends `state`; appending it to the
 * server (compare-and-swap on the head) is the caller's job, and a lost race means rebuilding the
 * entry on the new head. Timestamps never go backwards: max(now, last entry's timestamp).
 */
import { signAsProtocol, type Device } from '../core/device.js';
import { encodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';
import { concatBytes } from '../crypto/bytes.js';
import { signEntry, type DeviceRole, type EncodedEntry, CHAIN_LABELS } from './chainEntry.js';
import type { ChainState } from './chainState.js';

/** Options of {@link createGenesis}. */
export interface GenesisOptions {
  /** The recovery pseudo-device's card, if the account keeps recovery words. */
  recovery?: DevicePublic;
  /** How long a recovery-signed add waits before it takes effect (default 72 h). */
  recoveryDelayMs?: number;
  now?: number;
}

/** The first entry of a new account, self-signed by its first device. */
export function createGenesis(first: Device, options: GenesisOptions = {}): EncodedEntry {
  return signEntry(first, undefined, {
    v: 1,
    t: 'genesis',
    i: 0,
    ts: options.now ?? Date.now(),
    dev: encodeDevicePublic(first.public),
    rec: options.recovery === undefined ? undefined : encodeDevicePublic(options.recovery),
    rd: options.recoveryDelayMs,
  });
}

/** The joining device's consent to join `accountId`: a signature over the account and its card. */
export function signConsent(joining: Device, accountId: Uint8Array): Uint8Array {
  return signAsProtocol(joining, CHAIN_LABELS.consent, concatBytes(accountId, encodeDevicePublic(joining.public)));
}

function base(state: ChainState, signer: Device, now: number | undefined) {
  return { v: 1 as const, i: state.length, prev: state.head, ts: Math.max(now ?? Date.now(), state.lastTs), by: signer.id };
}

/** An `add` of the device with `card`, signed by `approver`, carrying the joiner's consent. */
export function makeAdd(
  approver: Device,
  state: ChainState,
  card: DevicePublic,
  consent: Uint8Array,
  options: { role?: DeviceRole; now?: number } = {},
): EncodedEntry {
  return signEntry(approver, state.accountId, {
    ...base(state, approver, options.now),
    t: 'add',
    dev: encodeDevicePublic(card),
    role: options.role,
    ok: consent,
  });
}

/** A `remove` of device `target` (any device on the list, the signer itself included). */
export function makeRemove(signer: Device, state: ChainState, target: Uint8Array, now?: number): EncodedEntry {
  return signEntry(signer, state.accountId, { ...base(state, signer, now), t: 'remove', tgt: target });
}

/** A `rotate` announcing `rotated` (same identity as the signer, new encryption key). */
export function makeRotate(rotated: Device, state: ChainState, now?: number): EncodedEntry {
  return signEntry(rotated, state.accountId, {
    ...base(state, rotated, now),
    t: 'rotate',
    dev: encodeDevicePublic(rotated.public),
  });
}

/** A `veto` of the pending recovery add whose entry hash is `pendingEntry`. */
export function makeVeto(signer: Device, state: ChainState, pendingEntry: Uint8Array, now?: number): EncodedEntry {
  return signEntry(signer, state.accountId, { ...base(state, signer, now), t: 'veto', tgt: pendingEntry });
}
