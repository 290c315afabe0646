/**
 * Devices of one account that keep notes (a plain `notes` collection, values any CBOR), for the
 * merge scenarios: each replica runs on the shared test clock plus its own offset (a device with
 * a fast clock), and records the `conflict` events it raises.
 */
import type { HttpClient } from '../../src/client/httpClient.js';
import { compareBytes } from '../../src/storage/bytes.js';
import type { Account } from '../../src/enrollment/account.js';
import type { Collection, CollectionOptions } from '../../src/sync/collection.js';
import type { LocalStore } from '../../src/sync/localStore.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { Replica, type ConflictEvent, type ReplicaEvents } from '../../src/sync/replica.js';
import { accountWith, type EnrollmentEnv } from './enrollmentServer.js';

export interface NoteDevice {
  account: Account<HttpClient>;
  replica: Replica;
  notes: Collection<unknown>;
  store: LocalStore;
  /** Added to the shared test clock for this device's replica. */
  offsetMs: number;
  conflicts: ConflictEvent[];
  rejected: ReplicaEvents['rejected'][];
}

/** Opens a replica with a `notes` collection on `account`. */
export async function noteDevice(
  env: EnrollmentEnv,
  account: Account<HttpClient>,
  options: { store?: LocalStore; notes?: CollectionOptions<unknown>; offsetMs?: number } = {},
): Promise<NoteDevice> {
  const store = options.store ?? new MemoryLocalStore();
  const device = { offsetMs: options.offsetMs ?? 0 } as NoteDevice;
  const replica = await Replica.open({ account, store, clock: () => env.clock.now() + device.offsetMs });
  Object.assign(device, { account, replica, store, notes: replica.collection('notes', options.notes ?? {}), conflicts: [], rejected: [] });
  replica.on('conflict', (e) => device.conflicts.push(e));
  replica.on('rejected', (e) => device.rejected.push(e));
  return device;
}

/** `n` note-keeping devices of a new account, in ascending order of device id. */
export async function noteDevices(env: EnrollmentEnv, n: number, notes: CollectionOptions<unknown> = {}): Promise<NoteDevice[]> {
  const { devices } = await accountWith(env, n);
  const sorted = [...devices].sort((a, b) => compareBytes(a.device.id, b.device.id));
  const out: NoteDevice[] = [];
  for (const account of sorted) out.push(await noteDevice(env, account, { notes }));
  return out;
}

/** Syncs the devices one after another, `rounds` times. */
export async function syncAll(devices: readonly NoteDevice[], rounds = 1): Promise<void> {
  for (let i = 0; i < rounds; i++) for (const d of devices) await d.replica.sync();
}
