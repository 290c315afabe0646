/**
 * Change notices: one event per chain entry a device applies, so an app can tell the person
 * "a new device was added to your account", as iMessage does. Entries the device verifies when
 * it first learns the chain (joining, restoring) are history, not changes, and raise none.
 */
import { equalBytes } from '../crypto/bytes.js';
import { decodeDevicePublic, idKey, type DevicePublic } from '../core/devicePublic.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { DeviceRole, EncodedEntry } from './chainEntry.js';
import type { ChainState } from './chainState.js';

/** Fields every event carries. */
export interface ChainEventBase {
  /** Index of the entry in the chain. */
  readonly index: number;
  /** Hash of the entry (a veto names a recovery by this). */
  readonly entryHash: Uint8Array;
  /** Id of the device that signed the entry. */
  readonly by: Uint8Array;
  /** The signer's clock when it signed, ms since the epoch. */
  readonly ts: number;
}

/** A device was added by an active device. */
export interface DeviceAddedEvent extends ChainEventBase {
  readonly type: 'device-added';
  readonly device: DevicePublic;
  readonly role: DeviceRole;
}

/** A device was removed (revoked). `self` is true when it is the device holding this chain. */
export interface DeviceRemovedEvent extends ChainEventBase {
  readonly type: 'device-removed';
  readonly device: DevicePublic;
  readonly self: boolean;
}

/** A device replaced its encryption key. */
export interface KeyRotatedEvent extends ChainEventBase {
  readonly type: 'key-rotated';
  readonly device: DevicePublic;
  readonly previous: DevicePublic;
}

/** The recovery key added a device; it becomes active at `effectiveAt` unless vetoed first. */
export interface RecoveryStartedEvent extends ChainEventBase {
  readonly type: 'recovery-started';
  readonly device: DevicePublic;
  readonly effectiveAt: number;
}

/** An active device vetoed a pending recovery; `device` will never become active. */
export interface RecoveryVetoedEvent extends ChainEventBase {
  readonly type: 'recovery-vetoed';
  readonly device: DevicePublic;
  /** Hash of the recovery's `add` entry. */
  readonly pendingEntry: Uint8Array;
}

/** Every change an entry can make. Switch on `type`. */
export type ChainEvent = DeviceAddedEvent | DeviceRemovedEvent | KeyRotatedEvent | RecoveryStartedEvent | RecoveryVetoedEvent;

/** The event for `encoded`, which took the chain from `before` to `after`. */
export function chainEventOf(
  suite: CryptoProvider,
  before: ChainState,
  after: ChainState,
  encoded: EncodedEntry,
  self: Uint8Array,
): ChainEvent {
  const e = encoded.entry;
  // applyEntry accepted the entry, so every field below is present and well formed.
  const base: ChainEventBase = { index: e.i, entryHash: encoded.hash, by: e.by!, ts: e.ts };
  const signer = before.devices.get(idKey(e.by!))!;
  switch (e.t) {
    case 'add': {
      const device = decodeDevicePublic(suite, e.dev!);
      const added = after.devices.get(idKey(device.id))!;
      if (signer.role === 'recovery') return { ...base, type: 'recovery-started', device, effectiveAt: added.effectiveAt };
      return { ...base, type: 'device-added', device, role: added.role };
    }
    case 'remove': {
      const device = before.devices.get(idKey(e.tgt!))!.card;
      return { ...base, type: 'device-removed', device, self: equalBytes(device.id, self) };
    }
    case 'rotate':
      return { ...base, type: 'key-rotated', device: after.devices.get(idKey(e.by!))!.card, previous: signer.card };
    case 'veto': {
      const vetoed = [...before.devices.values()].find((d) => d.pendingEntry !== undefined && equalBytes(d.pendingEntry, e.tgt!))!;
      return { ...base, type: 'recovery-vetoed', device: vetoed.card, pendingEntry: e.tgt! };
    }
    case 'genesis':
      throw new Error('unreachable: applyEntry refuses a second genesis');
  }
}
