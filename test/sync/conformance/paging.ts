/** Listing in (sortTime, recordId) order, page by page, within time ranges. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/crypto/bytes.js';
import type { LocalRecord } from '../../../src/sync/localStore.js';
import { CALLS, id16, listAll, record, rejectsWith, tombstone, useStore, type MakeLocalStore } from '../fixtures.js';

const COUNT = 2500;
const BASE = 1_700_000_000_000;

/** 2,500 records, three per millisecond step, whose id order differs from their time order. */
function history(): LocalRecord[] {
  return Array.from({ length: COUNT }, (_, i) =>
    record({ recordId: id16((i * 7919) % COUNT), sortTime: BASE + Math.floor(i / 3) * 1000, value: { i } }),
  );
}

function key(r: LocalRecord): string {
  return `${String(r.sortTime).padStart(16, '0')}:${toHex(r.recordId)}`;
}

function sorted(records: LocalRecord[]): string[] {
  return records.map(key).sort();
}

export function pagingSuite(make: MakeLocalStore): void {
  describe('paging', () => {
    const store = useStore(make);

    it('pages 2,500 records by 100 in both orders, each record exactly once', async () => {
      const all = history();
      await store().applyRemote(all, 'cursor', new Uint8Array(1));
      const expected = sorted(all);
      const asc = await listAll(store(), CALLS, { limit: 100 });
      expect(asc.pages).toBe(25);
      expect(asc.records.map(key)).toEqual(expected);
      const desc = await listAll(store(), CALLS, { limit: 100, order: 'desc' });
      expect(desc.pages).toBe(25);
      expect(desc.records.map(key)).toEqual([...expected].reverse());
      expect(asc.records[0]).toEqual(all.find((r) => key(r) === expected[0]));
    });

    it('pages within a time range, from inclusive and to exclusive, in both orders', async () => {
      const all = history();
      await store().applyRemote(all, 'cursor', new Uint8Array(1));
      const from = BASE + 100 * 1000;
      const to = BASE + 700 * 1000;
      const expected = sorted(all.filter((r) => r.sortTime >= from && r.sortTime < to));
      expect(expected).toHaveLength(1800);
      const asc = await listAll(store(), CALLS, { from, to, limit: 100 });
      expect(asc.pages).toBe(18);
      expect(asc.records.map(key)).toEqual(expected);
      const desc = await listAll(store(), CALLS, { from, to, limit: 100, order: 'desc' });
      expect(desc.records.map(key)).toEqual([...expected].reverse());
      expect((await store().listRecords(CALLS, { from: to, to: from })).records).toEqual([]);
    });

    it('every page is full but the last, which says there is no next', async () => {
      await store().applyRemote(history().slice(0, 250), 'cursor', new Uint8Array(1));
      const sizes: number[] = [];
      let after: string | undefined;
      do {
        const page = await store().listRecords(CALLS, { limit: 100, ...(after === undefined ? {} : { after }) });
        sizes.push(page.records.length);
        after = page.next ?? undefined;
      } while (after !== undefined);
      expect(sizes).toEqual([100, 100, 50]);
      const exact = await store().listRecords(CALLS, { limit: 250 });
      expect(exact.records).toHaveLength(250);
      expect(exact.next).toBeNull();
    });

    it('defaults to 100 records a page, oldest first, without tombstones', async () => {
      const all = history().slice(0, 150);
      const gone = tombstone(all[0]!);
      await store().applyRemote([...all, gone], 'cursor', new Uint8Array(1));
      const page = await store().listRecords(CALLS);
      expect(page.records).toHaveLength(100);
      expect(page.records.map(key)).toEqual(sorted(all.slice(1)).slice(0, 100));
      const withDeleted = await listAll(store(), CALLS, { includeDeleted: true });
      expect(withDeleted.records).toHaveLength(150);
      expect(withDeleted.records.filter((r) => r.deleted)).toEqual([gone]);
    });

    it('orders records of the same millisecond by record id bytes', async () => {
      const ids = [id16(3), id16(1, 0xff), id16(2), id16(1)];
      await store().applyRemote(
        ids.map((recordId) => record({ recordId, sortTime: 10 })),
        'cursor',
        new Uint8Array(1),
      );
      const page = await store().listRecords(CALLS);
      expect(page.records.map((r) => toHex(r.recordId))).toEqual([id16(1), id16(2), id16(3), id16(1, 0xff)].map(toHex));
    });

    it('resumes after the last position even when records are written between pages', async () => {
      await store().applyRemote(
        [10, 20, 30, 40].map((t) => record({ recordId: id16(t), sortTime: t })),
        'cursor',
        new Uint8Array(1),
      );
      const first = await store().listRecords(CALLS, { limit: 2 });
      expect(first.records.map((r) => r.sortTime)).toEqual([10, 20]);
      await store().applyRemote(
        [record({ recordId: id16(15), sortTime: 15 }), record({ recordId: id16(25), sortTime: 25 })],
        'cursor',
        new Uint8Array(1),
      );
      const rest = await store().listRecords(CALLS, { limit: 10, after: first.next! });
      expect(rest.records.map((r) => r.sortTime)).toEqual([25, 30, 40]);
    });

    it('refuses a token that is malformed or from the other order', async () => {
      await store().applyRemote(history().slice(0, 5), 'cursor', new Uint8Array(1));
      const { next } = await store().listRecords(CALLS, { limit: 2 });
      await rejectsWith(store().listRecords(CALLS, { after: next!, order: 'desc' }), 'INVALID_ARGUMENT');
      for (const after of ['', 'x', 'a.1.00', `a.-1.${'0'.repeat(32)}`, `a.99999999999999999.${'0'.repeat(32)}`]) {
        await rejectsWith(store().listRecords(CALLS, { after }), 'INVALID_ARGUMENT');
      }
    });
  });
}
