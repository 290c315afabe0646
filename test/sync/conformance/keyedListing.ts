/** listKeyed: the keyed versions of every collection in (record id, collection) order, page by page. */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../src/crypto/bytes.js';
import type { KeyedRecord, LocalRecord, LocalStore } from '../../../src/sync/localStore.js';
import { CALLS, DEVICE, id16, keysFor, record, rejectsWith, tombstone, useStore, type MakeLocalStore } from '../fixtures.js';

const CURSOR = 'cursor';
const NOTES = 'notes';

/** Every keyed version, read page by page; returns them and the page sizes. */
async function keyedAll(store: LocalStore, limit: number): Promise<{ records: KeyedRecord[]; sizes: number[] }> {
  const records: KeyedRecord[] = [];
  const sizes: number[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listKeyed({ limit, ...(after === undefined ? {} : { after }) });
    records.push(...page.records);
    sizes.push(page.records.length);
    if (page.next === null) return { records, sizes };
    after = page.next;
  }
}

/** What listKeyed returns for a stored record with keys. */
function keyed(r: LocalRecord): KeyedRecord {
  return {
    collection: r.collection,
    recordId: r.recordId,
    revision: r.revision,
    sender: r.sender,
    deleted: r.deleted,
    sortTime: r.sortTime,
    contentKey: r.contentKey!,
    envelopeHash: r.envelopeHash!,
  };
}

function position(r: { recordId: Uint8Array; collection: string }): string {
  return `${toHex(r.recordId)}.${toHex(utf8(r.collection))}`;
}

/**
 * 300 versions over two collections: ids whose byte order differs from write order, some ids in
 * both collections, every fifth without a key, every seventh a keyed tombstone.
 */
function twoCollections(): LocalRecord[] {
  const out: LocalRecord[] = [];
  for (let i = 0; i < 300; i++) {
    const n = (i * 37) % 200;
    const collection = i < 200 ? CALLS : NOTES;
    const base = record({ collection, recordId: id16(n, n % 3), sortTime: 1000 - i, value: { i } });
    const withKeys = i % 5 === 0 ? base : { ...base, ...keysFor(i) };
    out.push(i % 7 === 0 ? { ...tombstone(withKeys), ...(i % 5 === 0 ? {} : keysFor(i)) } : withKeys);
  }
  return out;
}

export function keyedListingSuite(make: MakeLocalStore): void {
  describe('keyed listing', () => {
    const store = useStore(make);

    it('pages through two collections with tombstones in (record id, collection) order, each once', async () => {
      const all = twoCollections();
      await store().applyRemote(all, CURSOR, new Uint8Array(1));
      const expected = all
        .filter((r) => r.contentKey !== null)
        .sort((a, b) => (position(a) < position(b) ? -1 : 1))
        .map(keyed);
      expect(expected.length).toBeGreaterThan(200);
      expect(expected.some((r) => r.deleted)).toBe(true);
      expect(expected.some((r, i) => i > 0 && toHex(r.recordId) === toHex(expected[i - 1]!.recordId))).toBe(true);
      const { records, sizes } = await keyedAll(store(), 17);
      expect(records).toEqual(expected);
      expect(sizes.slice(0, -1).every((size) => size === 17)).toBe(true);
      expect(sizes.reduce((a, b) => a + b)).toBe(expected.length);
      expect((await keyedAll(store(), 1000)).sizes).toEqual([expected.length]);
    });

    it('says there is no next page when a page ends exactly at the last record', async () => {
      await store().applyRemote([1, 2, 3, 4].map((n) => record({ recordId: id16(n), ...keysFor(n) })), CURSOR, new Uint8Array(1));
      const first = await store().listKeyed({ limit: 2 });
      expect(first.next).not.toBeNull();
      const second = await store().listKeyed({ limit: 2, after: first.next! });
      expect(second.records.map((r) => r.recordId)).toEqual([id16(3), id16(4)]);
      expect(second.next).toBeNull();
      expect(await store().listKeyed({ limit: 4 })).toMatchObject({ next: null });
    });

    it('breaks a tie by the UTF-8 bytes of the collection name, not UTF-16 order', async () => {
      // UTF-8: 'a' < 'ab' < 'b' < U+FFFD (ef bf bd) < U+1F600 (f0 9f 98 80); in UTF-16 the
      // emoji's surrogate (d83d) sorts before U+FFFD.
      const names = ['\u{1F600}', 'b', '\uFFFD', 'ab', 'a'];
      await store().applyRemote(
        names.map((collection, i) => record({ collection, recordId: id16(1), ...keysFor(i) })),
        CURSOR,
        new Uint8Array(1),
      );
      await store().applyRemote([record({ recordId: id16(0), ...keysFor(9) })], CURSOR, new Uint8Array(1));
      const { records } = await keyedAll(store(), 2);
      expect(records.map((r) => r.collection)).toEqual([CALLS, 'a', 'ab', 'b', '\uFFFD', '\u{1F600}']);
    });

    it('resumes after the last position while versions change between pages', async () => {
      await store().applyRemote([2, 4, 6, 8].map((n) => record({ recordId: id16(n), ...keysFor(n) })), CURSOR, new Uint8Array(1));
      const first = await store().listKeyed({ limit: 2 });
      expect(first.records.map((r) => r.recordId)).toEqual([id16(2), id16(4)]);
      await store().applyRemote(
        [
          record({ recordId: id16(1), ...keysFor(1) }),
          record({ recordId: id16(5), ...keysFor(5) }),
          record({ recordId: id16(6), revision: 2, sender: DEVICE[1]! }),
          record({ collection: NOTES, recordId: id16(4), ...keysFor(14) }),
        ],
        CURSOR,
        new Uint8Array(2),
      );
      const rest = await store().listKeyed({ limit: 10, after: first.next! });
      expect(rest.records.map((r) => `${r.collection}:${r.recordId[15]}`)).toEqual(['notes:4', 'calls:5', 'calls:8']);
    });

    it('lists nothing when nothing is keyed', async () => {
      await store().applyRemote([record()], CURSOR, new Uint8Array(1));
      expect(await store().listKeyed({ limit: 1 })).toEqual({ records: [], next: null });
    });

    it('returns the fields of a keyed record, no value or expiry', async () => {
      const r = record({ revision: 4, sender: DEVICE[2]!, sortTime: 42, expiresAt: 99, ...keysFor(1) });
      await store().applyRemote([r], CURSOR, new Uint8Array(1));
      const [listed] = (await store().listKeyed({ limit: 1 })).records;
      expect(listed).toStrictEqual(keyed(r));
    });

    it('refuses a limit outside 1..1000 and a token that is not its own', async () => {
      await store().applyRemote([1, 2, 3].map((n) => record({ recordId: id16(n), sortTime: n, ...keysFor(n) })), CURSOR, new Uint8Array(1));
      const listToken = (await store().listRecords(CALLS, { limit: 1 })).next!;
      const { next } = await store().listKeyed({ limit: 1 });
      expect(next).toMatch(/^k\./);
      for (const limit of [0, 1001, 1.5, Number.NaN, '10', undefined]) {
        await rejectsWith(store().listKeyed({ limit } as never), 'INVALID_ARGUMENT');
      }
      await rejectsWith(store().listKeyed(null as never), 'INVALID_ARGUMENT');
      const id = '0'.repeat(32);
      const bad = [
        '',
        'x',
        listToken,
        next!.toUpperCase(),
        `k.${'0'.repeat(30)}.61`,
        `k.${id}.`,
        `k.${id}.6`,
        `k.${id}.ff`, // not UTF-8
        `k.${id}.eda080`, // a lone surrogate in UTF-8 form
        `k.${id}.${'61'.repeat(129)}`, // a name of 129 characters
        `${next!} `,
        7,
      ];
      for (const after of bad) {
        await rejectsWith(store().listKeyed({ limit: 10, after } as never), 'INVALID_ARGUMENT');
      }
      const longest = `k.${id}.${'61'.repeat(128)}`;
      expect((await store().listKeyed({ limit: 10, after: longest })).records).toHaveLength(3);
    });
  });
}
