/**
 * Making chain entries. Each function signs one entry that extends `state`; appending it to the
 * server (compare-and-swap on the head) is the caller's job, and a lost race means rebuilding the
 * entry on the new head. Timestamps never go backwards: max(now, last entry's timestamp).
 */
import { UsageError, ValidationError } from '../errors.js';
import { signAsProtocol, type Device } from '../core/device.js';
import { encodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';
import type { KeyStatement } from '../core/keyStatement.js';
import { concatBytes } from '../crypto/bytes.js';
import { CHAIN_ENTRY_VERSION, signEntry, type DeviceRole, type EncodedEntry, CHAIN_LABELS } from './chainEntry.js';
import { MIN_RECOVERY_DELAY_MS, type ChainState } from './chainState.js';
import { cutFields, type LogCut } from './logCut.js';

/** What the chain lists for a device when it enters: its card and its epoch-0 key statement. */
export interface DeviceKeys {
  readonly card: DevicePublic;
  readonly keyStatement: KeyStatement;
}

/**
 * `device`'s card and epoch-0 key statement, as a genesis or an `add` carries them. A device
 * has its epoch-0 statement from `Device.generate` (or `recoveryDevice`) until it forgets epoch 0.
 * @throws {UsageError} `KEY_STATEMENT_MISSING` when the device holds no epoch-0 statement (one
 *   restored from its 65-byte secrets alone).
 */
export function deviceKeys(device: Device): DeviceKeys {
  const epoch0 = device.epochs.get(0);
  if (epoch0 === undefined) {
    throw new UsageError('KEY_STATEMENT_MISSING', 'this device holds no epoch-0 key statement: a device enters an account right after Device.generate');
  }
  return { card: device.public, keyStatement: epoch0.statement };
}

/** Options of {@link createGenesis}. */
export interface GenesisOptions {
  /** The recovery pseudo-device's card and statement, if the account keeps recovery words. */
  recovery?: DeviceKeys;
  /** How long a recovery-signed add waits before it takes effect (default 72 h, at least 24 h). */
  recoveryDelayMs?: number;
  now?: number;
}

/**
 * The first entry of a new account, self-signed by its first device.
 * @throws {ValidationError} `RECOVERY_DELAY_TOO_SHORT` for a delay under 24 h (or not an integer).
 * @throws {UsageError} `KEY_STATEMENT_MISSING` (see {@link deviceKeys}).
 */
export function createGenesis(first: Device, options: GenesisOptions = {}): EncodedEntry {
  const { recovery, recoveryDelayMs } = options;
  if (recoveryDelayMs !== undefined && !(Number.isSafeInteger(recoveryDelayMs) && recoveryDelayMs >= MIN_RECOVERY_DELAY_MS)) {
    throw new ValidationError('RECOVERY_DELAY_TOO_SHORT', `the recovery delay is a whole number of ms, at least ${MIN_RECOVERY_DELAY_MS} (24 h)`);
  }
  return signEntry(first, undefined, {
    v: CHAIN_ENTRY_VERSION,
    t: 'genesis',
    i: 0,
    ts: options.now ?? Date.now(),
    dev: encodeDevicePublic(first.public),
    xk: deviceKeys(first).keyStatement.bytes,
    rec: recovery === undefined ? undefined : encodeDevicePublic(recovery.card),
    rxk: recovery?.keyStatement.bytes,
    rd: recoveryDelayMs,
  });
}

/** The joining device's consent to join `accountId`: a signature over the account and its card. */
export function signConsent(joining: Device, accountId: Uint8Array): Uint8Array {
  return signAsProtocol(joining, CHAIN_LABELS.consent, concatBytes(accountId, encodeDevicePublic(joining.public)));
}

function base(state: ChainState, signer: Device, now: number | undefined) {
  return { v: CHAIN_ENTRY_VERSION, i: state.length, prev: state.head, ts: Math.max(now ?? Date.now(), state.lastTs), by: signer.id };
}

/** An `add` of `joiner` (its card and epoch-0 statement), signed by `approver`, carrying the joiner's consent. */
export function makeAdd(
  approver: Device,
  state: ChainState,
  joiner: DeviceKeys,
  consent: Uint8Array,
  options: { role?: DeviceRole; now?: number } = {},
): EncodedEntry {
  return signEntry(approver, state.accountId, {
    ...base(state, approver, options.now),
    t: 'add',
    dev: encodeDevicePublic(joiner.card),
    xk: joiner.keyStatement.bytes,
    role: options.role,
    ok: consent,
  });
}

/**
 * A `remove` of device `target` (any device on the list, the signer itself included), whose
 * authority to write ends at `cut`, the newest checkpoint of its log the signer knows.
 * @throws {UsageError} `ARGUMENT_INVALID` for a malformed cut.
 */
export function makeRemove(signer: Device, state: ChainState, target: Uint8Array, cut: LogCut, now?: number): EncodedEntry {
  return signEntry(signer, state.accountId, { ...base(state, signer, now), t: 'remove', tgt: target, ...cutFields(cut) });
}

/**
 * A `rotate` announcing `rotated` (same identity as the signer, new encryption key); `cut` is
 * the signer's own log head: checkpoints after it use the new card.
 * @throws {UsageError} `ARGUMENT_INVALID` for a malformed cut.
 */
export function makeRotate(rotated: Device, state: ChainState, cut: LogCut, now?: number): EncodedEntry {
  return signEntry(rotated, state.accountId, {
    ...base(state, rotated, now),
    t: 'rotate',
    dev: encodeDevicePublic(rotated.public),
    ...cutFields(cut),
  });
}

/** A `veto` of the pending recovery add whose entry hash is `pendingEntry`. */
export function makeVeto(signer: Device, state: ChainState, pendingEntry: Uint8Array, now?: number): EncodedEntry {
  return signEntry(signer, state.accountId, { ...base(state, signer, now), t: 'veto', tgt: pendingEntry });
}
