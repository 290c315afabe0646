/**
 * Three replicas write puts and deletes at random, each taking its revision by the Lamport rule
 * and a clock after everything written before (as a device's hybrid logical clock does), while
 * some versions reach some replicas early. Then every version reaches every replica, in a random
 * order and with duplicates: all three must end in the same state, and that state must be the
 * reader-order winner of each record (readerOrder.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import type { LocalRecord, LocalStore } from '../../src/sync/localStore.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { SqliteLocalStore } from '../../src/sync/sqliteLocalStore.js';
import { compareReaderOrder } from '../../src/sync/readerOrder.js';
import { nextRevision } from '../../src/sync/version.js';
import { CALLS, clockAt, DEVICE, envelope, id16, listAll, outboxFor, record } from './fixtures.js';

const FC_RUNS = Number(process.env.FC_RUNS ?? 100);
const DEVICES = 3;

type Op =
  | { kind: 'put' | 'delete'; device: number; rec: number }
  | { kind: 'gossip'; device: number; pick: number };

const device = fc.integer({ min: 0, max: DEVICES - 1 });
const rec = fc.integer({ min: 0, max: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), device, rec }),
  fc.record({ kind: fc.constant('delete' as const), device, rec }),
  fc.record({ kind: fc.constant('gossip' as const), device, pick: fc.nat() }),
);
/** How the final delivery to one replica is shuffled, duplicated and batched. */
const delivery = fc.record({
  shuffle: fc.array(fc.nat(), { minLength: 1, maxLength: 64 }),
  duplicates: fc.array(fc.nat(), { maxLength: 16 }),
  batch: fc.integer({ min: 1, max: 5 }),
});
type Delivery = typeof delivery extends fc.Arbitrary<infer T> ? T : never;

/** Every version in `log`, plus duplicates, in the order `d` draws. */
function arrivalOrder(log: LocalRecord[], d: Delivery): LocalRecord[] {
  const items = [...log, ...d.duplicates.map((n) => log[n % log.length]!)];
  for (let i = items.length - 1; i > 0; i--) {
    const j = d.shuffle[(items.length - 1 - i) % d.shuffle.length]! % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A replica's whole state, tombstones included, in a form `toEqual` compares exactly. */
async function snapshot(store: LocalStore): Promise<string[]> {
  const { records } = await listAll(store, CALLS, { includeDeleted: true, limit: 7 });
  return records
    .map((r) => JSON.stringify([toHex(r.recordId), r.revision, toHex(r.sender), r.deleted, r.value, r.sortTime]))
    .sort();
}

/** The reader-order winner of each record written. */
function newest(log: LocalRecord[]): string[] {
  const best = new Map<string, LocalRecord>();
  for (const v of log) {
    const key = toHex(v.recordId);
    const current = best.get(key);
    if (current === undefined || compareReaderOrder(v, current) > 0) best.set(key, v);
  }
  return [...best.values()]
    .map((r) => JSON.stringify([toHex(r.recordId), r.revision, toHex(r.sender), r.deleted, r.value, r.sortTime]))
    .sort();
}

/** A local write on `store` by device `d` at time `n` (its clock), at the next revision of what it holds. */
async function write(store: LocalStore, d: number, recordId: Uint8Array, deleted: boolean, n: number, clock = clockAt(n)): Promise<LocalRecord> {
  const seen = await store.getRecord(CALLS, recordId);
  const version = record({
    recordId,
    revision: nextRevision(seen),
    clock,
    base: seen?.clock ?? null,
    sender: DEVICE[d]!,
    deleted,
    value: deleted ? null : { by: d, n },
    sortTime: n,
  });
  await store.applyLocal(version, { recordId, bytes: envelope(n) });
  return version;
}

const ADAPTERS: [string, () => Promise<LocalStore>][] = [
  ['MemoryLocalStore', async () => new MemoryLocalStore()],
  ['SqliteLocalStore', () => SqliteLocalStore.open(':memory:')],
];

describe.each(ADAPTERS)('convergence on %s', (_name, open) => {
  it('three replicas reach the same newest state whatever the order of arrival', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), fc.tuple(delivery, delivery, delivery), async (ops, deliveries) => {
        const replicas = await Promise.all(Array.from({ length: DEVICES }, open));
        try {
          const log: LocalRecord[] = [];
          for (const [n, o] of ops.entries()) {
            const replica = replicas[o.device]!;
            if (o.kind === 'gossip') {
              if (log.length > 0) await replica.applyRemote([log[o.pick % log.length]!], 'cursor', new Uint8Array([n]));
            } else {
              log.push(await write(replica, o.device, id16(o.rec), o.kind === 'delete', n));
            }
          }
          if (log.length === 0) return;
          for (const [r, replica] of replicas.entries()) {
            const d = deliveries[r]!;
            const arrivals = arrivalOrder(log, d);
            for (let i = 0; i < arrivals.length; i += d.batch) {
              await replica.applyRemote(arrivals.slice(i, i + d.batch), 'cursor', new Uint8Array([i & 0xff]));
            }
          }
          const expected = newest(log);
          for (const replica of replicas) expect(await snapshot(replica)).toEqual(expected);
        } finally {
          await Promise.all(replicas.map((r) => r.close()));
        }
      }),
      { numRuns: FC_RUNS },
    );
  });

  it('a call deleted on the phone while the laptop edits it offline ends the same on both', async () => {
    const [phone, laptop] = await Promise.all([open(), open()]);
    const call = record({ revision: 1, sender: DEVICE[0]! });
    await phone.applyLocal(call, outboxFor(call));
    await laptop.applyRemote([call], 'cursor', new Uint8Array(1));
    const deleted = await write(phone, 0, call.recordId, true, 2);
    const edited = await write(laptop, 1, call.recordId, false, 3);
    expect([deleted.revision, edited.revision]).toEqual([2, 2]);
    await phone.applyRemote([edited], 'cursor', new Uint8Array(2));
    await laptop.applyRemote([deleted], 'cursor', new Uint8Array(2));
    // Concurrent at revision 2: the later clock (the laptop's edit) wins on both.
    expect(await phone.getRecord(CALLS, call.recordId)).toEqual(edited);
    expect(await laptop.getRecord(CALLS, call.recordId)).toEqual(edited);
    // A delete made after seeing the edit beats it everywhere.
    const deletedAgain = await write(phone, 0, call.recordId, true, 4);
    await laptop.applyRemote([deletedAgain], 'cursor', new Uint8Array(3));
    expect(await laptop.countRecords(CALLS)).toBe(0);
    expect(await laptop.getRecord(CALLS, call.recordId)).toEqual(deletedAgain);
    await Promise.all([phone.close(), laptop.close()]);
  });

  it('a delete and an edit with exactly the same clock end as the delete on both, whichever device id is higher', async () => {
    const [phone, laptop] = await Promise.all([open(), open()]);
    const call = record({ revision: 1, sender: DEVICE[0]! });
    await phone.applyLocal(call, outboxFor(call));
    await laptop.applyRemote([call], 'cursor', new Uint8Array(1));
    const deleted = await write(phone, 0, call.recordId, true, 2, clockAt(7));
    const edited = await write(laptop, 2, call.recordId, false, 3, clockAt(7));
    await phone.applyRemote([edited], 'cursor', new Uint8Array(2));
    await laptop.applyRemote([deleted], 'cursor', new Uint8Array(2));
    expect(await phone.getRecord(CALLS, call.recordId)).toEqual(deleted);
    expect(await laptop.getRecord(CALLS, call.recordId)).toEqual(deleted);
    await Promise.all([phone.close(), laptop.close()]);
  });
});
