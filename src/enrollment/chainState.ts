/**
 * Replaying a device chain. Every client and the server run the same rules: an entry counts only
 * if it extends the head, is signed by a device that is active at that point, and respects the
 * rules of its type. The result is the account's device list.
 *
 * Rules, by type (anything else is rejected with a typed error):
 * - genesis: index 0, self-signed by its device; optionally names the recovery pseudo-device and
 *   the recovery delay. The account id is the hash of this entry, so it certifies itself.
 * - add: signed by an active device and countersigned (`ok`) by the new device over the account
 *   id and its card; a device that was ever removed or vetoed can never return. An add signed by
 *   the recovery pseudo-device takes effect only `rd` ms after its timestamp, and may be vetoed
 *   until then.
 * - remove: an active real device removes any device, itself included.
 * - rotate: a real device replaces its own encryption key (same identity key).
 * - veto: an active real device cancels a pending recovery add before it takes effect.
 */
import { CryptoError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decodeDevicePublic, idKey, type DevicePublic } from '../core/devicePublic.js';
import {
  consentBytes,
  decodeEntry,
  entrySigningBytes,
  type ChainEntry,
  type DeviceRole,
  type EncodedEntry,
} from './chainEntry.js';

/** Recovery delay when the genesis entry names none: 72 hours. */
export const DEFAULT_RECOVERY_DELAY_MS = 72 * 60 * 60 * 1000;

/** A device as the chain knows it. */
export interface ChainDevice {
  readonly card: DevicePublic;
  readonly role: DeviceRole;
  /** Index of the entry that added it. */
  readonly addedAt: number;
  /** Milliseconds since the epoch from which it is active (0 = from the start). */
  readonly effectiveAt: number;
  /** For a recovery-signed add: the hash of that entry, which a veto names. */
  readonly pendingEntry?: Uint8Array;
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
   * The cards removed devices had when they were removed, by `idKey`: enough for the server to
   * check a removed device's request to read the chain, so it can verify its own removal.
   */
  readonly removedCards: ReadonlyMap<string, DevicePublic>;
}

function fail(code: string, message: string): never {
  throw new CryptoError(code, message);
}

function card(suite: CryptoProvider, bytes: Uint8Array | undefined): DevicePublic {
  if (bytes === undefined) fail('CHAIN_ENTRY_INVALID', 'entry lacks a device card');
  try {
    return decodeDevicePublic(suite, bytes);
  } catch {
    return fail('CHAIN_CARD_INVALID', 'a device card in the chain does not verify');
  }
}

function unsignedOf(entry: ChainEntry): Omit<ChainEntry, 'sig'> {
  const { sig: _sig, ...rest } = entry;
  return rest;
}

/**
 * Starts a state from a genesis entry.
 * @throws {CryptoError} `CHAIN_GENESIS_INVALID`, `CHAIN_CARD_INVALID`, `CHAIN_SIGNATURE_INVALID`.
 */
export function genesisState(suite: CryptoProvider, encoded: EncodedEntry): ChainState {
  const e = encoded.entry;
  if (e.t !== 'genesis' || e.i !== 0 || e.prev !== undefined || e.by !== undefined || e.ok !== undefined || e.tgt !== undefined) {
    fail('CHAIN_GENESIS_INVALID', 'the first entry must be a genesis entry and nothing else');
  }
  if (e.role !== undefined && e.role !== 'device') fail('CHAIN_GENESIS_INVALID', 'the first device must be a real device');
  const first = card(suite, e.dev);
  if (!suite.ed25519Verify(e.sig, entrySigningBytes(undefined, unsignedOf(e)), first.identityKey)) {
    fail('CHAIN_SIGNATURE_INVALID', 'genesis signature does not verify');
  }
  const devices = new Map<string, ChainDevice>();
  devices.set(idKey(first.id), { card: first, role: 'device', addedAt: 0, effectiveAt: 0 });
  if (e.rec !== undefined) {
    const recovery = card(suite, e.rec);
    if (equalBytes(recovery.id, first.id)) fail('CHAIN_GENESIS_INVALID', 'recovery device must differ from the first device');
    devices.set(idKey(recovery.id), { card: recovery, role: 'recovery', addedAt: 0, effectiveAt: 0 });
  }
  return {
    accountId: encoded.hash,
    head: encoded.hash,
    length: 1,
    lastTs: e.ts,
    recoveryDelayMs: e.rd ?? DEFAULT_RECOVERY_DELAY_MS,
    devices,
    removed: new Set(),
    removedCards: new Map(),
  };
}

/**
 * Applies one entry to a state and returns the new state (the old one is unchanged).
 * @throws {CryptoError} `CHAIN_BROKEN_LINK`, `CHAIN_TIME_INVALID`, `CHAIN_SIGNER_NOT_ACTIVE`,
 *   `CHAIN_SIGNATURE_INVALID`, `CHAIN_CONSENT_INVALID`, `CHAIN_DEVICE_EXISTS`,
 *   `CHAIN_DEVICE_REMOVED`, `CHAIN_TARGET_INVALID`, `CHAIN_ENTRY_INVALID`, `CHAIN_CARD_INVALID`.
 */
export function applyEntry(suite: CryptoProvider, state: ChainState, encoded: EncodedEntry): ChainState {
  const e = encoded.entry;
  if (e.t === 'genesis') fail('CHAIN_ENTRY_INVALID', 'a second genesis entry');
  if (e.i !== state.length || e.prev === undefined || !equalBytes(e.prev, state.head)) {
    fail('CHAIN_BROKEN_LINK', 'entry does not extend the current head');
  }
  if (e.ts < state.lastTs) fail('CHAIN_TIME_INVALID', 'entry is older than the entry before it');
  if (e.rd !== undefined || e.rec !== undefined) fail('CHAIN_ENTRY_INVALID', 'only genesis sets recovery fields');
  const signer = e.by === undefined ? undefined : state.devices.get(idKey(e.by));
  if (signer === undefined || signer.effectiveAt > e.ts) fail('CHAIN_SIGNER_NOT_ACTIVE', 'entry is not signed by an active device');
  if (!suite.ed25519Verify(e.sig, entrySigningBytes(state.accountId, unsignedOf(e)), signer.card.identityKey)) {
    fail('CHAIN_SIGNATURE_INVALID', 'entry signature does not verify');
  }
  if (signer.role === 'recovery' && e.t !== 'add') fail('CHAIN_SIGNER_NOT_ACTIVE', 'the recovery key can only add a device');

  const devices = new Map(state.devices);
  let removed = state.removed;
  let removedCards = state.removedCards;
  switch (e.t) {
    case 'add': {
      const added = card(suite, e.dev);
      const key = idKey(added.id);
      if (removed.has(key)) fail('CHAIN_DEVICE_REMOVED', 'a removed device cannot return');
      if (devices.has(key)) fail('CHAIN_DEVICE_EXISTS', 'the device is already on the list');
      if (e.ok === undefined || !suite.ed25519Verify(e.ok, consentBytes(state.accountId, e.dev!), added.identityKey)) {
        fail('CHAIN_CONSENT_INVALID', 'the new device did not consent to joining this account');
      }
      const role = e.role ?? 'device';
      if (signer.role === 'recovery' && role !== 'device') fail('CHAIN_ENTRY_INVALID', 'the recovery key adds real devices only');
      const pending = signer.role === 'recovery';
      devices.set(key, {
        card: added,
        role,
        addedAt: e.i,
        effectiveAt: pending ? e.ts + state.recoveryDelayMs : 0,
        ...(pending ? { pendingEntry: encoded.hash } : {}),
      });
      break;
    }
    case 'remove': {
      const key = e.tgt !== undefined && e.tgt.length === 16 ? idKey(e.tgt) : undefined;
      if (key === undefined || !devices.has(key)) fail('CHAIN_TARGET_INVALID', 'remove names no device on the list');
      removedCards = new Map(removedCards).set(key, devices.get(key)!.card);
      devices.delete(key);
      removed = new Set(removed).add(key);
      break;
    }
    case 'rotate': {
      const next = card(suite, e.dev);
      if (!equalBytes(next.identityKey, signer.card.identityKey)) fail('CHAIN_TARGET_INVALID', 'a device rotates only its own key');
      if (equalBytes(next.encryptionKey, signer.card.encryptionKey)) fail('CHAIN_TARGET_INVALID', 'rotation must change the key');
      devices.set(idKey(next.id), { ...signer, card: next });
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
      removedCards = new Map(removedCards).set(vetoed, devices.get(vetoed)!.card);
      devices.delete(vetoed);
      removed = new Set(removed).add(vetoed);
      break;
    }
  }
  return { ...state, head: encoded.hash, length: state.length + 1, lastTs: e.ts, devices, removed, removedCards };
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
