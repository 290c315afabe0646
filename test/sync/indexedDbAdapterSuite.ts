/**
 * What only the IndexedDB adapter can show, with nothing but IndexedDB itself, so the same tests
 * run in Node (fake-indexeddb, test/sync/indexedDbLocalStore.test.ts) and in Chromium
 * (test/browser/indexedDbConformance.test.ts): everything kept across closing and reopening,
 * schema versions, rows written behind the store's back through a second connection (as another
 * tab, an extension or a bad disk would), another tab deleting the database, and the vault key.
 */
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { IndexedDbLocalStore } from '../../src/sync/indexedDbLocalStore.js';
import { INDEXED_DB_SCHEMA_VERSION } from '../../src/sync/indexedDbSchema.js';
import { entry } from './conformance/versionIndex.js';
import { CALLS, DEVICE, envelope, id16, keysFor, listAll, outboxFor, record, rejectsWith } from './fixtures.js';

let databases = 0;

/** A fresh database name for one test. */
function freshName(): string {
  return `adapter-${Date.now().toString(36)}-${++databases}`;
}

/**
 * Runs `change` on the database through a second connection, as another tab or a bad disk
 * would; `key` picks the row and `edit` returns what to store instead.
 */
async function rawEdit(name: string, store: string, key: IDBValidKey, edit: (row: Record<string, unknown>) => unknown): Promise<void> {
  const db = await openDB(name);
  const row = (await db.get(store, key)) as Record<string, unknown>;
  if (store === 'records' || store === 'versions') await db.put(store, edit(row));
  else await db.put(store, edit(row), key);
  db.close();
}

/** Runs `body` on a fresh store, then closes it and deletes its database. */
async function withStore(body: (store: IndexedDbLocalStore, name: string) => Promise<void>): Promise<void> {
  const name = freshName();
  const store = await IndexedDbLocalStore.open(name);
  try {
    await body(store, name);
  } finally {
    await store.close();
    await IndexedDbLocalStore.delete(name);
  }
}

export function indexedDbAdapterSuite(): void {
  describe('IndexedDbLocalStore database', () => {
    it('keeps records, keys, outbox, meta, held envelopes and version entries across closing and reopening', async () => {
      const name = freshName();
      const first = await IndexedDbLocalStore.open(name);
      for (let i = 1; i <= 3; i++) {
        const r = record({ recordId: id16(i) });
        await first.applyLocal(r, { recordId: r.recordId, bytes: envelope(i) });
      }
      const [acked] = await first.outboxPeek(1);
      await first.outboxAck([acked!.id], {
        keys: [{ collection: CALLS, recordId: id16(1), revision: 1, sender: DEVICE[0]!, ...keysFor(1) }],
      });
      await first.applyRemote([record({ recordId: id16(4), ...keysFor(4) })], 'cursor', new Uint8Array([9]), {
        versions: [entry(4)],
        held: [{ recordId: id16(5), bytes: envelope(5) }],
      });
      await first.setMeta('sequence', new Uint8Array([0, 0, 0, 4]));
      await first.close();

      const again = await IndexedDbLocalStore.open(name);
      expect((await again.outboxPeek(10)).map((item) => item.bytes)).toEqual([envelope(2), envelope(3)]);
      expect(await again.getMeta('sequence')).toEqual(new Uint8Array([0, 0, 0, 4]));
      expect(await again.getMeta('cursor')).toEqual(new Uint8Array([9]));
      expect(await again.countRecords(CALLS)).toBe(4);
      expect(await again.getRecord(CALLS, id16(1))).toEqual(record({ recordId: id16(1), ...keysFor(1) }));
      expect((await again.listKeyed({ limit: 10 })).records.map((r) => r.recordId)).toEqual([id16(1), id16(4)]);
      expect((await again.getVersions([id16(4)])).get(toHex(id16(4)))).toEqual(entry(4));
      expect(await again.takeHeld([id16(5)])).toEqual(new Map([[toHex(id16(5)), envelope(5)]]));
      // Outbox ids go on from where they were, never reused.
      const r = record({ recordId: id16(9) });
      await again.applyLocal(r, outboxFor(r));
      const ids = (await again.outboxPeek(10)).map((item) => item.id);
      expect(ids[2]).toBeGreaterThan(ids[1]!);
      await again.close();
      await IndexedDbLocalStore.delete(name);
    });

    it('refuses a database upgraded by a newer library', async () => {
      const name = freshName();
      (await openDB(name, INDEXED_DB_SCHEMA_VERSION + 1)).close();
      await rejectsWith(IndexedDbLocalStore.open(name), 'LOCAL_SCHEMA_TOO_NEW');
      await IndexedDbLocalStore.delete(name);
    });

    it('refuses a database of the same name that is not a replica', async () => {
      const name = freshName();
      (await openDB(name, 1, { upgrade: (db) => db.createObjectStore('todos') })).close();
      const error = await rejectsWith(IndexedDbLocalStore.open(name), 'LOCAL_STORE_FAILURE');
      expect(error.message).toContain('not a multikey-sync replica');
      await IndexedDbLocalStore.delete(name);
    });

    it('refuses a bad name or options', async () => {
      await rejectsWith(IndexedDbLocalStore.open(''), 'INVALID_ARGUMENT');
      await rejectsWith(IndexedDbLocalStore.open(7 as never), 'INVALID_ARGUMENT');
      await rejectsWith(IndexedDbLocalStore.open('x', { durability: 'default' as never }), 'INVALID_ARGUMENT');
      await rejectsWith(IndexedDbLocalStore.delete(''), 'INVALID_ARGUMENT');
    });

    it('lets another tab delete the database, and then says why it is closed', async () => {
      const name = freshName();
      const store = await IndexedDbLocalStore.open(name);
      const otherTab = await IndexedDbLocalStore.open(name);
      await store.setMeta('k', new Uint8Array(1));
      await IndexedDbLocalStore.delete(name);
      for (const closed of [store, otherTab]) {
        const error = await rejectsWith(closed.getMeta('k'), 'LOCAL_STORE_CLOSED');
        expect(error.message).toMatch(/database was deleted or upgraded/);
      }
      const fresh = await IndexedDbLocalStore.open(name);
      expect(await fresh.getMeta('k')).toBeNull();
      await fresh.close();
      await IndexedDbLocalStore.delete(name);
    });

    it('keeps one non-extractable vault key per database, the same after reopening', async () => {
      const name = freshName();
      const first = await IndexedDbLocalStore.open(name);
      const [a, b] = await Promise.all([first.vaultKey(), first.vaultKey()]);
      expect(a.extractable).toBe(false);
      expect(a.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
      await expect(crypto.subtle.exportKey('raw', a)).rejects.toThrow();
      const iv = new Uint8Array(12);
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, a, new Uint8Array([1, 2, 3]));
      expect(new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, b, sealed))).toEqual(new Uint8Array([1, 2, 3]));
      await first.close();
      const again = await IndexedDbLocalStore.open(name);
      const c = await again.vaultKey();
      expect(new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, c, sealed))).toEqual(new Uint8Array([1, 2, 3]));
      await rejectsWith(
        (async () => {
          await again.close();
          return again.vaultKey();
        })(),
        'LOCAL_STORE_CLOSED',
      );
      await IndexedDbLocalStore.delete(name);
    });
  });

  describe('IndexedDbLocalStore rows written behind its back', () => {
    async function threeRecords(store: IndexedDbLocalStore): Promise<void> {
      await store.applyRemote(
        [1, 2, 3].map((i) => record({ recordId: id16(i), sortTime: i, ...keysFor(i) })),
        'cursor',
        new Uint8Array(1),
      );
    }
    const key2 = [CALLS, id16(2)] as IDBValidKey;

    it('reports a value that does not decode, naming the collection and record id, never the key', async () => {
      await withStore(async (store, name) => {
        await threeRecords(store);
        await rawEdit(name, 'records', key2, (row) => ({ ...row, value: new Uint8Array([0xff, 0x00, 0xff]) }));
        const error = await rejectsWith(store.getRecord(CALLS, id16(2)), 'LOCAL_ROW_CORRUPT');
        expect(error.message).toContain(toHex(id16(2)));
        expect(error.message).toContain('"calls"');
        expect(error.message).not.toContain(toHex(keysFor(2).contentKey).slice(0, 16));
        expect(await store.getRecord(CALLS, id16(1))).not.toBeNull();
      });
    });

    it('fails a listing that reaches a corrupt row instead of skipping it, in both orders', async () => {
      await withStore(async (store, name) => {
        await threeRecords(store);
        await rawEdit(name, 'records', key2, (row) => ({ ...row, value: 'not bytes' }));
        await rejectsWith(listAll(store, CALLS, { limit: 1 }), 'LOCAL_ROW_CORRUPT');
        await rejectsWith(listAll(store, CALLS, { limit: 1, order: 'desc' }), 'LOCAL_ROW_CORRUPT');
        const first = await store.listRecords(CALLS, { limit: 1 });
        expect(first.records.map((r) => r.sortTime)).toEqual([1]);
        await rejectsWith(store.listRecords(CALLS, { limit: 1, after: first.next! }), 'LOCAL_ROW_CORRUPT');
      });
    });

    it('reports a corrupt version instead of merging over it, and moves no cursor', async () => {
      await withStore(async (store, name) => {
        await threeRecords(store);
        await rawEdit(name, 'records', key2, (row) => ({ ...row, sender: new Uint8Array(1) }));
        const newer = record({ recordId: id16(2), revision: 9 });
        await rejectsWith(store.applyRemote([record({ recordId: id16(7) }), newer], 'cursor', new Uint8Array([2])), 'LOCAL_ROW_CORRUPT');
        expect(await store.getMeta('cursor')).toEqual(new Uint8Array(1));
        expect(await store.getRecord(CALLS, id16(7))).toBeNull();
        await rejectsWith(store.applyLocal(newer, outboxFor(newer)), 'LOCAL_ROW_CORRUPT');
        expect(await store.outboxSize()).toBe(0);
        await rejectsWith(store.listKeyed({ limit: 10 }), 'LOCAL_ROW_CORRUPT');
      });
    });

    it('reports a content key without its hash from every read', async () => {
      await withStore(async (store, name) => {
        await threeRecords(store);
        await rawEdit(name, 'records', key2, (row) => ({ ...row, envelope_hash: null }));
        await rejectsWith(store.getRecord(CALLS, id16(2)), 'LOCAL_ROW_CORRUPT');
        await rejectsWith(listAll(store, CALLS, { limit: 10 }), 'LOCAL_ROW_CORRUPT');
        await rejectsWith(store.listKeyed({ limit: 10 }), 'LOCAL_ROW_CORRUPT');
      });
    });

    it('reports a corrupt version entry, naming its record id', async () => {
      await withStore(async (store, name) => {
        await store.applyRemote([], 'cursor', new Uint8Array(1), { versions: [entry(1), entry(2)] });
        await rawEdit(name, 'versions', id16(2) as IDBValidKey, (row) => ({ ...row, claim_tombstone: 2 }));
        const error = await rejectsWith(store.getVersions([id16(1), id16(2)]), 'LOCAL_ROW_CORRUPT');
        expect(error.message).toContain(toHex(id16(2)));
        expect((await store.getVersions([id16(1)])).get(toHex(id16(1)))).toEqual(entry(1));
      });
    });

    it('reports a held row that is not an envelope, and removes nothing it was asked to take', async () => {
      await withStore(async (store, name) => {
        await store.holdEnvelopes([1, 2].map((i) => ({ recordId: id16(i), bytes: envelope(i) })));
        await rawEdit(name, 'held', id16(2) as IDBValidKey, () => new Uint8Array(0));
        const error = await rejectsWith(store.takeHeld([id16(1), id16(2)]), 'LOCAL_ROW_CORRUPT');
        expect(error.message).toContain(toHex(id16(2)));
        expect(await store.heldCount()).toBe(2);
        expect(await store.dropHeld()).toBe(2);
      });
    });

    it('reports an outbox item, a meta value or a vault key that is not what it should be', async () => {
      await withStore(async (store, name) => {
        const r = record();
        await store.applyLocal(r, outboxFor(r));
        const [item] = await store.outboxPeek(1);
        await rawEdit(name, 'outbox', item!.id, (row) => ({ ...row, record_id: new Uint8Array(3) }));
        await rejectsWith(store.outboxPeek(1), 'LOCAL_ROW_CORRUPT');
        await store.setMeta('k', new Uint8Array(1));
        await rawEdit(name, 'meta', 'k', () => 'text');
        await rejectsWith(store.getMeta('k'), 'LOCAL_ROW_CORRUPT');
        await store.vaultKey();
        await rawEdit(name, 'keys', 'device-vault', () => new Uint8Array(32));
        await rejectsWith(store.vaultKey(), 'LOCAL_ROW_CORRUPT');
      });
    });
  });
}
