/**
 * Sync scenarios on top of the enrollment harness: each device gets an Account and a Replica on
 * its own local store, talking to the real server over HTTP.
 */
import type { HttpClient } from '../../src/client/httpClient.js';
import type { CallRecord } from '../../src/core/callRecord.js';
import type { Account } from '../../src/enrollment/account.js';
import { callLogOptions } from '../../src/sync/callLog.js';
import type { Collection } from '../../src/sync/collection.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { Replica, type ReplicaEvents, type ReplicaOptions } from '../../src/sync/replica.js';
import type { LocalStore } from '../../src/sync/localStore.js';

export interface SyncedDevice {
  account: Account<HttpClient>;
  replica: Replica;
  calls: Collection<CallRecord>;
  store: LocalStore;
  /** Every `rejected` and `withheld` event this replica raised. */
  events: { rejected: ReplicaEvents['rejected'][]; withheld: ReplicaEvents['withheld'][] };
}

export async function syncedDevice(
  account: Account<HttpClient>,
  clock: () => number,
  store: LocalStore = new MemoryLocalStore(),
  options: Partial<ReplicaOptions> = {},
): Promise<SyncedDevice> {
  const replica = await Replica.open({ account, store, clock, ...options });
  const events: SyncedDevice['events'] = { rejected: [], withheld: [] };
  replica.on('rejected', (e) => events.rejected.push(e));
  replica.on('withheld', (e) => events.withheld.push(e));
  return { account, replica, calls: replica.collection('calls', callLogOptions()), store, events };
}

let n = 0;
/** A distinct, valid call record. */
export function call(overrides: Partial<CallRecord> = {}): CallRecord {
  n += 1;
  return {
    service: 'phone',
    direction: n % 2 === 0 ? 'incoming' : 'outgoing',
    answered: true,
    peer: `+1415555${String(1000 + (n % 9000)).padStart(4, '0')}`,
    startedAt: 1_799_000_000_000 + n * 60_000,
    durationSec: 30 + (n % 600),
    ...overrides,
  };
}
