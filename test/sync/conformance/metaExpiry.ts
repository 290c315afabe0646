/** The key-value meta store, and expiry across collections. */
import { describe, expect, it } from 'vitest';
import { CALLS, id16, record, tombstone, useStore, type MakeLocalStore } from '../fixtures.js';

export function metaSuite(make: MakeLocalStore): void {
  describe('meta', () => {
    const store = useStore(make);

    it('stores, replaces and returns copies of bytes by key', async () => {
      expect(await store().getMeta('sequence')).toBeNull();
      const value = new Uint8Array([1, 2, 3]);
      await store().setMeta('sequence', value);
      value[0] = 9;
      const read = (await store().getMeta('sequence'))!;
      expect(read).toEqual(new Uint8Array([1, 2, 3]));
      read[1] = 9;
      expect(await store().getMeta('sequence')).toEqual(new Uint8Array([1, 2, 3]));
      await store().setMeta('sequence', new Uint8Array(0));
      expect(await store().getMeta('sequence')).toEqual(new Uint8Array(0));
      expect(await store().getMeta('other')).toBeNull();
    });
  });
}

export function expirySuite(make: MakeLocalStore): void {
  describe('expiry', () => {
    const store = useStore(make);

    it('removes records whose expiresAt is at or before now, in every collection', async () => {
      const gone = record({ recordId: id16(1), expiresAt: 100 });
      await store().applyRemote(
        [
          gone,
          record({ recordId: id16(2), expiresAt: 200 }),
          record({ recordId: id16(3), expiresAt: null }),
          record({ collection: 'notes', recordId: id16(1), expiresAt: 150 }),
          { ...tombstone(record({ recordId: id16(4) })), expiresAt: 150 },
        ],
        'cursor',
        new Uint8Array(1),
      );
      expect(await store().expire(99)).toBe(0);
      expect(await store().expire(100)).toBe(1);
      expect(await store().getRecord(CALLS, id16(1))).toBeNull();
      expect(await store().expire(150)).toBe(2);
      expect(await store().countRecords('notes')).toBe(0);
      expect(await store().expire(Number.MAX_SAFE_INTEGER)).toBe(1);
      expect((await store().listRecords(CALLS, { includeDeleted: true })).records.map((r) => r.recordId)).toEqual([id16(3)]);
    });

    it('keeps listing and paging correct after expiry', async () => {
      const all = Array.from({ length: 30 }, (_, i) => record({ recordId: id16(i), sortTime: i, expiresAt: i % 2 === 0 ? 1 : null }));
      await store().applyRemote(all, 'cursor', new Uint8Array(1));
      expect(await store().expire(1)).toBe(15);
      const page = await store().listRecords(CALLS, { limit: 100 });
      expect(page.records.map((r) => r.sortTime)).toEqual(all.filter((_, i) => i % 2 === 1).map((r) => r.sortTime));
    });
  });
}
