/**
 * Replaying a device chain. Every client and the server run the same rules: an entry counts only
 * if it extends the head, is signed by a device that is active at that point, and respects the
 * rules of its type. The result is the account's device list.
 *
 * Rules, by type (anything else is rejected with a typed error):
 * - genesis: index 0, self-signed by its device; optionally names the recovery pseudo-device and
 *   the recovery delay (at least 24 h). The account id is the hash of this entry, so it
 *   certifies itself. Every device enters the chain with its epoch-0 key statement.
 * - add: signed by an active device and countersigned (`ok`) by the new device over the account
 *   id and its card; a device that was ever removed or vetoed can never return. An add signed by
 *   the recovery pseudo-device takes effect only `rd` ms after its timestamp, and may be vetoed
 *   until then.
 * - remove: an active real device removes any device, itself included, naming the log position
 *   where the device's authority ends; the account always keeps an active real device.
 * - rotate: a real device replaces its own encryption key (same identity key), naming the log
 *   position after which its writes use the new card.
 * - veto: an active real device cancels a pending recovery add before it takes effect.
 */
import { equalBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { idKey, type DevicePublic } from '../core/devicePublic.js';
import type { KeyStatement } from '../core/keyStatement.js';
import { consentBytes, decodeEntry, entrySigningBytes, type ChainEntry, type DeviceRole, type EncodedEntry } from './chainEntry.js';
import { chainCard, chainCut, chainStatement, extraKey, fail } from './chainChecks.js';
import type { LogCut } from './logCut.js';

/** Recovery delay when the genesis entry names none: 72 hours. */
export const DEFAULT_RECOVERY_DELAY_MS = 72 * 60 * 60 * 1000;
/** The shortest recovery delay an account may have: 24 hours, time for an owner to notice and veto. */
export const MIN_RECOVERY_DELAY_MS = 24 * 60 * 60 * 1000;

/** A card a device had before a `rotate`, and the last log position written under it. */
export interface PastCard {
  readonly card: DevicePublic;
  /** The card was in force for the device's log positions up to and including this one. */
  readonly untilPosition: number;
}

/** A device as the chain knows it. */
export interface ChainDevice {
  /** Its card now (after its last `rotate`). */
  readonly card: DevicePublic;
  readonly role: DeviceRole;
  /** Index of the entry that added it. */
  readonly addedAt: number;
  /** Milliseconds since the epoch from which it is active (0 = from the start). */
  readonly effectiveAt: number;
  /** For a recovery-signed add: the hash of that entry, which a veto names. */
  readonly pendingEntry?: Uint8Array;
  /** Its epoch-0 key statement, as the entry that listed it carried it (verified). */
  readonly keyStatement: KeyStatement;
  /** Earlier cards, oldest first: each was in force for log positions ≤ its `untilPosition`. */
  readonly rotations: readonly PastCard[];
}

/** A device that was removed or vetoed: it can never return, and its log ends at `cut`. */
export interface RemovedDevice extends ChainDevice {
  /** Where its authority to write ends: positions ≤ `cut.position` stay valid (0 for a veto). */
  readonly cut: LogCut;
  /** Chain index of the `remove` or `veto` entry. */
  readonly removedAt: number;
  /** True for a vetoed recovery add: its log is void from position 1. */
  readonly vetoed: boolean;
}

/** The device list after replaying a chain. Immutable; each entry yields a new state. */
export interface ChainState {
  readonly accountId: Uint8Array;
  /** Hash of the last entry. */
  readonly head: Uint8Array;
  /** Number of entries (the index the next entry must carry). */
  readonly length: number;
  readonly lastTs: number;
  readonly recoveryDelayMs: number;
  /** Every device not removed, pending ones included, by `idKey(id)`. */
  readonly devices: ReadonlyMap<string, ChainDevice>;
  /** Ids (as `idKey`) that were removed or vetoed and can never return. */
  readonly removed: ReadonlySet<string>;
  /**
   * Removed and vetoed devices as they were when they left, by `idKey`: their cut, for judging
   * what they wrote, and their card, so the server can check a removed device's request to read
   * the chain (it verifies its own removal).
   */
  readonly removedDevices: ReadonlyMap<string, RemovedDevice>;
}

/** The card `device` had in force at its log position `position` (1 is its first checkpoint). */
export function cardAtPosition(device: ChainDevice, position: number): DevicePublic {
  for (const past of device.rotations) if (position <= past.untilPosition) return past.card;
  return device.card;
}

function unsignedOf(entry: ChainEntry): Omit<ChainEntry, 'sig'> {
  const { sig: _sig, ...rest } = entry;
  return rest;
}

/**
 * Starts a state from a genesis entry (rules G1–G8 of docs/protocol.md §18.4).
 * @throws {CryptoError} `CHAIN_GENESIS_INVALID`, `CHAIN_RECOVERY_DELAY_TOO_SHORT`,
 *   `CHAIN_ENTRY_INVALID`, `CHAIN_CARD_INVALID`, `CHAIN_SIGNATURE_INVALID`, `CHAIN_KEY_STATEMENT_INVALID`.
 */
export function genesisState(suite: CryptoProvider, encoded: EncodedEntry): ChainState {
  const e = encoded.entry;
  if (e.t !== 'genesis' || e.i !== 0 || extraKey(e) !== undefined || (e.rxk !== undefined && e.rec === undefined)) {
    fail('CHAIN_GENESIS_INVALID', 'the first entry must be a genesis entry and nothing else');
  }
  if (e.role !== undefined && e.role !== 'device') fail('CHAIN_GENESIS_INVALID', 'the first device must be a real device');
  if (e.rd !== undefined && e.rd < MIN_RECOVERY_DELAY_MS) {
    fail('CHAIN_RECOVERY_DELAY_TOO_SHORT', `the recovery delay is at least ${MIN_RECOVERY_DELAY_MS} ms`);
  }
  const first = chainCard(suite, e.dev);
  if (!suite.ed25519Verify(e.sig, entrySigningBytes(undefined, unsignedOf(e)), first.identityKey)) {
    fail('CHAIN_SIGNATURE_INVALID', 'genesis signature does not verify');
  }
  const devices = new Map<string, ChainDevice>();
  devices.set(idKey(first.id), { card: first, role: 'device', addedAt: 0, effectiveAt: 0, keyStatement: chainStatement(suite, e.xk, first), rotations: [] });
  if (e.rec !== undefined) {
    const recovery = chainCard(suite, e.rec);
    if (equalBytes(recovery.id, first.id)) fail('CHAIN_GENESIS_INVALID', 'recovery device must differ from the first device');
    const keyStatement = chainStatement(suite, e.rxk, recovery);
    devices.set(idKey(recovery.id), { card: recovery, role: 'recovery', addedAt: 0, effectiveAt: 0, keyStatement, rotations: [] });
  }
  return {
    accountId: encoded.hash,
    head: encoded.hash,
    length: 1,
    lastTs: e.ts,
    recoveryDelayMs: e.rd ?? DEFAULT_RECOVERY_DELAY_MS,
    devices,
    removed: new Set(),
    removedDevices: new Map(),
  };
}

/** True when a real device other than `leaving` is listed and active at `ts`. */
function realDeviceRemains(devices: ReadonlyMap<string, ChainDevice>, leaving: string, ts: number): boolean {
  for (const [key, d] of devices) if (key !== leaving && d.role === 'device' && d.effectiveAt <= ts) return true;
  return false;
}

/**
 * Applies one entry to a state and returns the new state (the old one is unchanged).
 * @throws {CryptoError} `CHAIN_BROKEN_LINK`, `CHAIN_TIME_INVALID`, `CHAIN_SIGNER_NOT_ACTIVE`,
 *   `CHAIN_SIGNATURE_INVALID`, `CHAIN_CONSENT_INVALID`, `CHAIN_KEY_STATEMENT_INVALID`,
 *   `CHAIN_DEVICE_EXISTS`, `CHAIN_DEVICE_REMOVED`, `CHAIN_TARGET_INVALID`, `CHAIN_CUT_INVALID`,
 *   `CHAIN_LAST_DEVICE`, `CHAIN_ENTRY_INVALID`, `CHAIN_CARD_INVALID`.
 */
export function applyEntry(suite: CryptoProvider, state: ChainState, encoded: EncodedEntry): ChainState {
  const e = encoded.entry;
  if (e.t === 'genesis') fail('CHAIN_ENTRY_INVALID', 'a second genesis entry');
  if (e.i !== state.length || e.prev === undefined || !equalBytes(e.prev, state.head)) {
    fail('CHAIN_BROKEN_LINK', 'entry does not extend the current head');
  }
  if (e.ts < state.lastTs) fail('CHAIN_TIME_INVALID', 'entry is older than the entry before it');
  const extra = extraKey(e);
  if (extra !== undefined) fail('CHAIN_ENTRY_INVALID', `a ${e.t} entry does not carry "${extra}"`);
  const signer = e.by === undefined ? undefined : state.devices.get(idKey(e.by));
  if (signer === undefined || signer.effectiveAt > e.ts) fail('CHAIN_SIGNER_NOT_ACTIVE', 'entry is not signed by an active device');
  if (!suite.ed25519Verify(e.sig, entrySigningBytes(state.accountId, unsignedOf(e)), signer.card.identityKey)) {
    fail('CHAIN_SIGNATURE_INVALID', 'entry signature does not verify');
  }
  if (signer.role === 'recovery' && e.t !== 'add') fail('CHAIN_SIGNER_NOT_ACTIVE', 'the recovery key can only add a device');

  const devices = new Map(state.devices);
  let removed = state.removed;
  let removedDevices = state.removedDevices;
  const leave = (key: string, cut: LogCut, vetoed: boolean) => {
    removedDevices = new Map(removedDevices).set(key, { ...devices.get(key)!, cut, removedAt: e.i, vetoed });
    devices.delete(key);
    removed = new Set(removed).add(key);
  };
  switch (e.t) {
    case 'add': {
      const added = chainCard(suite, e.dev);
      const key = idKey(added.id);
      if (removed.has(key)) fail('CHAIN_DEVICE_REMOVED', 'a removed device cannot return');
      if (devices.has(key)) fail('CHAIN_DEVICE_EXISTS', 'the device is already on the list');
      if (e.ok === undefined || !suite.ed25519Verify(e.ok, consentBytes(state.accountId, e.dev!), added.identityKey)) {
        fail('CHAIN_CONSENT_INVALID', 'the new device did not consent to joining this account');
      }
      const keyStatement = chainStatement(suite, e.xk, added);
      const role = e.role ?? 'device';
      if (signer.role === 'recovery' && role !== 'device') fail('CHAIN_ENTRY_INVALID', 'the recovery key adds real devices only');
      const pending = signer.role === 'recovery';
      devices.set(key, {
        card: added,
        role,
        addedAt: e.i,
        effectiveAt: pending ? e.ts + state.recoveryDelayMs : 0,
        ...(pending ? { pendingEntry: encoded.hash } : {}),
        keyStatement,
        rotations: [],
      });
      break;
    }
    case 'remove': {
      const key = e.tgt !== undefined && e.tgt.length === 16 ? idKey(e.tgt) : undefined;
      if (key === undefined || !devices.has(key)) fail('CHAIN_TARGET_INVALID', 'remove names no device on the list');
      const cut = chainCut(e);
      const rotations = devices.get(key)!.rotations;
      if (rotations.length > 0 && cut.position < rotations[rotations.length - 1]!.untilPosition) {
        fail('CHAIN_CUT_INVALID', 'a remove cannot cut a log before a position its device already rotated at');
      }
      if (!realDeviceRemains(devices, key, e.ts)) fail('CHAIN_LAST_DEVICE', 'removing it would leave the account without an active real device');
      leave(key, cut, false);
      break;
    }
    case 'rotate': {
      const next = chainCard(suite, e.dev);
      if (!equalBytes(next.identityKey, signer.card.identityKey)) fail('CHAIN_TARGET_INVALID', 'a device rotates only its own key');
      if (equalBytes(next.encryptionKey, signer.card.encryptionKey)) fail('CHAIN_TARGET_INVALID', 'rotation must change the key');
      const cut = chainCut(e);
      const last = signer.rotations[signer.rotations.length - 1];
      if (last !== undefined && cut.position < last.untilPosition) fail('CHAIN_CUT_INVALID', "a rotate's log position cannot go back");
      devices.set(idKey(next.id), { ...signer, card: next, rotations: [...signer.rotations, { card: signer.card, untilPosition: cut.position }] });
      break;
    }
    case 'veto': {
      const target = e.tgt;
      let vetoed: string | undefined;
      if (target !== undefined && target.length === 32) {
        for (const [key, d] of devices) {
          if (d.pendingEntry !== undefined && equalBytes(d.pendingEntry, target) && d.effectiveAt > e.ts) vetoed = key;
        }
      }
      if (vetoed === undefined) fail('CHAIN_TARGET_INVALID', 'veto names no pending recovery');
      leave(vetoed, { position: 0, hash: null }, true);
      break;
    }
  }
  return { ...state, head: encoded.hash, length: state.length + 1, lastTs: e.ts, devices, removed, removedDevices };
}

/**
 * Decodes and replays a whole chain from genesis.
 * @throws {CodecError} `CHAIN_ENTRY_MALFORMED`; {CryptoError} any `CHAIN_*` code of the rules.
 */
export function replayChain(suite: CryptoProvider, entries: readonly Uint8Array[]): ChainState {
  const [first, ...rest] = entries;
  if (first === undefined) fail('CHAIN_GENESIS_INVALID', 'the chain is empty');
  let state = genesisState(suite, decodeEntry(suite, first));
  for (const bytes of rest) state = applyEntry(suite, state, decodeEntry(suite, bytes));
  return state;
}

/** The devices active at `now` (the recipients of a seal), real and recovery alike. */
export function activeDevices(state: ChainState, now: number): DevicePublic[] {
  const out: DevicePublic[] = [];
  for (const d of state.devices.values()) if (d.effectiveAt <= now) out.push(d.card);
  return out;
}

/** The chain's record of device `id` if it is active at `now`. */
export function activeDevice(state: ChainState, id: Uint8Array, now: number): ChainDevice | undefined {
  const d = state.devices.get(idKey(id));
  return d !== undefined && d.effectiveAt <= now ? d : undefined;
}
