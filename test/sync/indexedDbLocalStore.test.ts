/**
 * `IndexedDbLocalStore` in Node, on fake-indexeddb (an in-memory IndexedDB that follows the
 * spec's transaction rules): the whole conformance suite, the adapter's own tests (which
 * test/browser/indexedDbConformance.test.ts runs in Chromium too), and the browser failing in
 * the middle of a transaction, which only a stand-in IndexedDB lets a test arrange at will.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IndexedDbLocalStore } from '../../src/sync/indexedDbLocalStore.js';
import { entry } from './conformance/versionIndex.js';
import { CALLS, DEVICE, envelope, id16, keysFor, outboxFor, record, rejectsWith } from './fixtures.js';
import { indexedDbAdapterSuite } from './indexedDbAdapterSuite.js';
import { localStoreConformance } from './localStoreConformance.js';

let databases = 0;

async function fresh(): Promise<{ store: IndexedDbLocalStore; cleanup: () => Promise<void> }> {
  const name = `conformance-${++databases}`;
  const store = await IndexedDbLocalStore.open(name);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await IndexedDbLocalStore.delete(name);
    },
  };
}

localStoreConformance('IndexedDbLocalStore', fresh);

indexedDbAdapterSuite();

describe('IndexedDbLocalStore transactions', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Makes the next request on object store `store` that `pick` matches fail as IndexedDB would report it. */
  function failOn(method: 'add' | 'put', store: string, pick: (args: unknown[]) => boolean, how: 'throws' | 'fails later'): void {
    const original = IDBObjectStore.prototype[method] as (...args: unknown[]) => IDBRequest;
    vi.spyOn(IDBObjectStore.prototype, method).mockImplementation(function (this: IDBObjectStore, ...args: unknown[]) {
      if (this.name !== store || !pick(args)) return original.apply(this, args);
      // The browser refuses a write at once (as with a full quota), or later as the request's
      // error event, which aborts the transaction: here a key added twice.
      if (how === 'throws') throw new DOMException('the quota is exceeded', 'QuotaExceededError');
      IDBObjectStore.prototype.add.call(this, args[0], 'twice');
      return IDBObjectStore.prototype.add.call(this, args[0], 'twice');
    } as never);
  }

  it('rolls the record back when queuing its envelope fails', async () => {
    const { store, cleanup } = await fresh();
    failOn('add', 'outbox', () => true, 'throws');
    const r = record();
    await rejectsWith(store.applyLocal(r, outboxFor(r)), 'LOCAL_STORE_FAILURE');
    vi.restoreAllMocks();
    expect(await store.getRecord(CALLS, r.recordId)).toBeNull();
    expect(await store.outboxSize()).toBe(0);
    await cleanup();
  });

  it('rolls back records, versions, held and meta when moving the cursor fails late', async () => {
    const { store, cleanup } = await fresh();
    failOn('put', 'meta', (args) => args[1] === 'cursor', 'fails later');
    const extras = {
      versions: [entry(1)],
      held: [{ recordId: id16(3), bytes: envelope(3) }],
      meta: [['log-head', new Uint8Array([1])] as const],
    };
    await rejectsWith(store.applyRemote([record({ ...keysFor(1) })], 'cursor', new Uint8Array([1]), extras), 'LOCAL_STORE_FAILURE');
    vi.restoreAllMocks();
    expect(await store.getRecord(CALLS, id16(1))).toBeNull();
    expect(await store.getMeta('cursor')).toBeNull();
    expect(await store.getMeta('log-head')).toBeNull();
    expect(await store.heldCount()).toBe(0);
    expect(await store.getVersions([id16(1)])).toEqual(new Map());
    expect((await store.listKeyed({ limit: 10 })).records).toEqual([]);
    await cleanup();
  });

  it('rolls back the ack and the attached keys when setting a meta value fails', async () => {
    const { store, cleanup } = await fresh();
    const r = record();
    await store.applyLocal(r, outboxFor(r));
    const [item] = await store.outboxPeek(1);
    failOn('put', 'meta', (args) => args[1] === 'log-head', 'throws');
    const keys = [{ collection: CALLS, recordId: id16(1), revision: 1, sender: DEVICE[0]!, ...keysFor(1) }];
    await rejectsWith(store.outboxAck([item!.id], { keys, meta: [['log-head', new Uint8Array(1)]] }), 'LOCAL_STORE_FAILURE');
    vi.restoreAllMocks();
    expect(await store.outboxSize()).toBe(1);
    expect(await store.getRecord(CALLS, id16(1))).toEqual(r);
    await cleanup();
  });

  it('holds all of a batch or none of it', async () => {
    const { store, cleanup } = await fresh();
    failOn('put', 'held', (args) => (args[0] as Uint8Array)[0] === 0xee, 'fails later');
    await store.holdEnvelopes([{ recordId: id16(9), bytes: envelope(9) }]);
    const items = [
      { recordId: id16(1), bytes: envelope(1) },
      { recordId: id16(2), bytes: new Uint8Array([0xee]) },
    ];
    await rejectsWith(store.holdEnvelopes(items), 'LOCAL_STORE_FAILURE');
    vi.restoreAllMocks();
    expect(await store.heldCount()).toBe(1);
    await cleanup();
  });
});

describe('IndexedDbLocalStore durability', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("asks for 'strict' durability on every write by default, 'relaxed' when opened so, and nothing of reads", async () => {
    const seen: string[] = [];
    const original = IDBDatabase.prototype.transaction;
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: unknown[]) {
      const tx = (original as (...a: unknown[]) => IDBTransaction).apply(this, args); // the upgrade opens one too
      if (tx.mode !== 'versionchange') seen.push(`${tx.mode} ${tx.durability}`);
      return tx;
    } as never);
    for (const [options, expected] of [
      [{}, 'strict'],
      [{ durability: 'relaxed' as const }, 'relaxed'],
    ] as const) {
      seen.length = 0;
      const name = `durability-${expected}`;
      const store = await IndexedDbLocalStore.open(name, options);
      const r = record();
      await store.applyLocal(r, outboxFor(r));
      await store.setMeta('k', new Uint8Array(1));
      await store.getRecord(CALLS, r.recordId);
      await store.close();
      await IndexedDbLocalStore.delete(name);
      expect(seen).toEqual([`readwrite ${expected}`, `readwrite ${expected}`, 'readonly default']);
    }
  });
});
