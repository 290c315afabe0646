/**
 * A thief (or an operator who later gets a device) with a copy of one device's key material — its
 * secrets and its saved key ring, as they were when copied — and whatever envelopes and
 * checkpoints the server ever held. It does its best: re-derives every pair key it still can
 * from the checkpoints, then tries every envelope with every key it has.
 */
import { Device } from '../../src/core/device.js';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { decodeCheckpoint, isCheckpoint } from '../../src/core/logCheckpoint.js';
import { openParsed } from '../../src/core/open.js';
import { toHex } from '../../src/crypto/bytes.js';
import { cardAtPosition, type ChainState } from '../../src/enrollment/chainState.js';
import { MultikeySyncError } from '../../src/errors.js';
import { KeyRing } from '../../src/sync/keyRing.js';
import type { LocalStore } from '../../src/sync/localStore.js';
import { OUTBOUND_KEYS } from '../../src/sync/outbound.js';
import { Replica, type SyncAccount } from '../../src/sync/replica.js';

/** What was copied off a device. */
export interface StolenKeys {
  secrets: Uint8Array;
  ring: Uint8Array;
}

/** Copies `device`'s secrets and its saved key ring out of its local store, as they are now. */
export async function steal(device: Device, store: LocalStore): Promise<StolenKeys> {
  const ring = await store.getMeta(OUTBOUND_KEYS.ring);
  if (ring === null) throw new Error('the device has no saved key ring');
  return { secrets: device.exportSecrets(), ring };
}

/**
 * The record ids (hex) of `items` the thief can open with `stolen`, given every checkpoint among
 * `items` and the account's chain.
 */
export async function thiefOpens(stolen: StolenKeys, accountId: Uint8Array, state: ChainState, items: readonly Uint8Array[]): Promise<Set<string>> {
  const device = await Device.fromSecrets(stolen.secrets);
  const ring = KeyRing.open(device, stolen.ring);
  // Every key it can derive again from a published ciphertext, beside the keys the ring kept.
  const derived = new Map<string, Uint8Array>();
  for (const bytes of items) {
    if (!isCheckpoint(bytes)) continue;
    const cp = decodeCheckpoint(device.suite, accountId, bytes);
    const sender = state.devices.get(idHexKey(cp.sender)) ?? state.removedDevices.get(idHexKey(cp.sender));
    if (sender === undefined) continue;
    for (const offer of cp.pairKeys) {
      if (toHex(offer.recipient) !== toHex(device.id)) continue;
      try {
        derived.set(toHex(cp.sender) + ':' + cp.position, device.acceptPairKey(cardAtPosition(sender, cp.position), offer.epoch, cp.position, offer.ciphertext));
      } catch (error) {
        if (!(error instanceof MultikeySyncError)) throw error; // an epoch secret it no longer has
      }
    }
  }
  const opened = new Set<string>();
  for (const bytes of items) {
    if (isCheckpoint(bytes)) continue;
    try {
      const keys = { get: (sender: Uint8Array, ref: number) => derived.get(toHex(sender) + ':' + ref) ?? ring.get(sender, ref) };
      if (openParsed(device, accountId, keys, parseEnvelope(bytes)) !== null) opened.add(toHex(parseEnvelope(bytes).recordId));
    } catch (error) {
      if (!(error instanceof MultikeySyncError)) throw error;
    }
  }
  return opened;
}

function idHexKey(id: Uint8Array): string {
  return String.fromCharCode(...id);
}

/**
 * What a thief holding a device (its disk and keys) can make by itself: it runs the device's own
 * replica on the device's own store, against a chain frozen where the device last saw it (so it
 * never learns of its removal), and keeps what the replica would push instead of sending it — the
 * honest server would refuse the device, so an operator in league with the thief has to serve
 * these bytes itself. Returns the log checkpoints and envelopes, in push order.
 */
export async function writeAsThief(
  account: SyncAccount,
  store: LocalStore,
  clock: () => number,
  act: (replica: Replica) => Promise<void>,
): Promise<Uint8Array[]> {
  const made: Uint8Array[] = [];
  const frozen = account.chain.state;
  const entries = account.chain.entries;
  const chain = { state: frozen, entries, refresh: async () => [], checkHead: async () => [] };
  const transport = new Proxy(account.transport, {
    get(target, prop, receiver) {
      if (prop === 'push') return async (envelopes: Uint8Array[], log: Uint8Array) => (made.push(log, ...envelopes), envelopes.map(() => 'stored'));
      if (prop === 'purge') return async (log: Uint8Array) => (made.push(log), 0);
      if (prop === 'pull') return async (after: number) => ({ items: [], cursor: after, more: false });
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const replica = await Replica.open({ account: { device: account.device, accountId: account.accountId, chain, transport }, store, clock });
  await act(replica);
  return made;
}
