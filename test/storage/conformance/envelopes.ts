/** Pushing and pulling envelopes: idempotence, supersession, tombstones, cursors, paging. */
import { describe, expect, it } from 'vitest';
import type { StoredEnvelope } from '../../../src/storage/index.js';
import { bytes, envelope, filled, newAccount, onlyEnvelopes, pullAll, useStore, type MakeStore } from '../fixtures.js';

function strip(e: StoredEnvelope) {
  const { cursor: _cursor, ...rest } = e;
  return rest;
}

export function envelopeSuite(makeStore: MakeStore): void {
  describe('envelopes', () => {
    const store = useStore(makeStore);

    it('stores an envelope and pulls it back with every field intact', async () => {
      const id = await newAccount(store());
      const e = envelope({ revision: 0xffff_ffff, kind: 'record', expiryDay: 20_500, bytes: bytes(3000) });
      expect(await store().putEnvelopes(id, [e])).toEqual(['stored']);
      const page = await store().pullEnvelopes(id, 0, 10);
      expect(page.items).toHaveLength(1);
      const [got] = page.items as [StoredEnvelope];
      expect(strip(got)).toEqual(e);
      expect(got.bytes).toBeInstanceOf(Uint8Array);
      expect(got.cursor).toBeGreaterThan(0);
      expect(page).toMatchObject({ cursor: got.cursor, more: false });
    });

    it('an empty batch changes nothing', async () => {
      const id = await newAccount(store());
      expect(await store().putEnvelopes(id, [])).toEqual([]);
      expect(await store().pullEnvelopes(id, 0, 10)).toEqual({ items: [], cursor: 0, more: false });
    });

    it('the same envelope pushed again is a duplicate and gets no new cursor', async () => {
      const id = await newAccount(store());
      const e = envelope();
      await store().putEnvelopes(id, [e]);
      const before = await pullAll(store(), id);
      expect(await store().putEnvelopes(id, [e])).toEqual(['duplicate']);
      expect(await store().putEnvelopes(id, [{ ...e, bytes: Uint8Array.from(e.bytes) }])).toEqual(['duplicate']);
      expect(await pullAll(store(), id)).toEqual(before);
      expect((await store().pullEnvelopes(id, (before[0] as StoredEnvelope).cursor, 10)).items).toEqual([]);
    });

    it('the same envelope pushed twice at once is stored once', async () => {
      const id = await newAccount(store());
      for (let round = 0; round < 5; round += 1) {
        const e = envelope();
        const results = await Promise.all([store().putEnvelopes(id, [e]), store().putEnvelopes(id, [e])]);
        expect(results.flat().sort()).toEqual(['duplicate', 'stored']);
      }
      expect(await pullAll(store(), id)).toHaveLength(5);
      expect((await store().usage(id)).envelopes).toBe(5);
    });

    it('a repeated item inside one batch is a duplicate', async () => {
      const id = await newAccount(store());
      const e = envelope();
      expect(await store().putEnvelopes(id, [e, e, envelope()])).toEqual(['stored', 'duplicate', 'stored']);
      expect(await pullAll(store(), id)).toHaveLength(2);
    });

    it('a newer revision replaces the old one and gets a cursor above every existing one', async () => {
      const id = await newAccount(store());
      const v1 = envelope({ revision: 1 });
      const others = [envelope(), envelope()];
      await store().putEnvelopes(id, [v1, ...others]);
      const before = await pullAll(store(), id);
      const highest = Math.max(...before.map((e) => e.cursor));
      const v2 = { ...v1, revision: 2, bytes: bytes(80) };
      expect(await store().putEnvelopes(id, [v2])).toEqual(['stored']);
      const after = await pullAll(store(), id);
      expect(after).toHaveLength(3);
      const last = after[after.length - 1] as StoredEnvelope;
      expect(strip(last)).toEqual(v2);
      expect(last.cursor).toBeGreaterThan(highest);
      expect(onlyEnvelopes((await store().pullEnvelopes(id, highest, 10)).items).map(strip)).toEqual([v2]);
      expect(after.some((e) => e.revision === 1 && e.recordId.every((b, i) => b === v1.recordId[i]))).toBe(false);
    });

    it('breaks revision ties by sender bytes: the higher sender wins', async () => {
      const id = await newAccount(store());
      const recordId = bytes(16);
      const low = envelope({ recordId, revision: 7, sender: filled(16, 0x10) });
      const high = envelope({ recordId, revision: 7, sender: filled(16, 0x20) });
      expect(await store().putEnvelopes(id, [low])).toEqual(['stored']);
      expect(await store().putEnvelopes(id, [high])).toEqual(['stored']);
      expect(await store().putEnvelopes(id, [low])).toEqual(['superseded']);
      expect((await pullAll(store(), id)).map(strip)).toEqual([high]);
    });

    it('an older version, or an equal version with different content, is superseded and changes nothing', async () => {
      const id = await newAccount(store());
      const recordId = bytes(16);
      const v5 = envelope({ recordId, revision: 5 });
      await store().putEnvelopes(id, [v5]);
      const before = await pullAll(store(), id);
      const outcomes = await store().putEnvelopes(id, [
        envelope({ recordId, revision: 4 }),
        { ...v5, bytes: bytes(64) },
        { ...v5, kind: 'tombstone' },
        { ...v5, expiryDay: 9 },
      ]);
      expect(outcomes).toEqual(['superseded', 'superseded', 'superseded', 'superseded']);
      expect(await pullAll(store(), id)).toEqual(before);
    });

    it('a tombstone replaces the record, and the store no longer holds the record body', async () => {
      const id = await newAccount(store());
      const recordId = bytes(16);
      const body = bytes(500);
      await store().putEnvelopes(id, [envelope({ recordId, revision: 1, bytes: body })]);
      const tombstone = envelope({ recordId, revision: 2, kind: 'tombstone', bytes: bytes(48) });
      expect(await store().putEnvelopes(id, [tombstone])).toEqual(['stored']);
      const all = await pullAll(store(), id);
      expect(all.map(strip)).toEqual([tombstone]);
      expect(await store().usage(id)).toEqual({ bytes: 48, envelopes: 1 });
      // An offline device re-pushing the old record cannot resurrect it.
      expect(await store().putEnvelopes(id, [envelope({ recordId, revision: 1, bytes: body })])).toEqual(['superseded']);
      expect((await pullAll(store(), id)).map(strip)).toEqual([tombstone]);
    });

    it('cursors increase across the whole store, in push order, whatever the account', async () => {
      const a = await newAccount(store());
      const b = await newAccount(store());
      const cursors: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const account = i % 2 === 0 ? a : b;
        await store().putEnvelopes(account, [envelope()]);
        const all = await pullAll(store(), account);
        cursors.push((all[all.length - 1] as StoredEnvelope).cursor);
      }
      expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
      expect(new Set(cursors).size).toBe(6);
      expect(await pullAll(store(), a)).toHaveLength(3);
    });

    it('pages through 2,500 envelopes 100 at a time', async () => {
      const id = await newAccount(store());
      const pushed = Array.from({ length: 2500 }, () => envelope({ bytes: bytes(32) }));
      for (let i = 0; i < pushed.length; i += 500) {
        expect(new Set(await store().putEnvelopes(id, pushed.slice(i, i + 500)))).toEqual(new Set(['stored']));
      }
      let cursor = 0;
      let pages = 0;
      const seen: StoredEnvelope[] = [];
      for (;;) {
        const page = await store().pullEnvelopes(id, cursor, 100);
        pages += 1;
        expect(page.items.length).toBe(100);
        for (const e of page.items) {
          expect(e.cursor).toBeGreaterThan(cursor);
          cursor = e.cursor;
        }
        expect(page.cursor).toBe(cursor);
        seen.push(...onlyEnvelopes(page.items));
        if (!page.more) break;
      }
      expect(pages).toBe(25);
      expect(seen.map(strip)).toEqual(pushed);
      expect(await store().pullEnvelopes(id, cursor, 100)).toEqual({ items: [], cursor, more: false });
      expect(await store().usage(id)).toEqual({ bytes: 2500 * 32, envelopes: 2500 });
    });

    it('a puller racing concurrent writers sees every record, none skipped', async () => {
      const id = await newAccount(store());
      const writers = 6;
      const batches = 15;
      const perBatch = 4;
      let writing = true;
      const seen = new Map<string, number>();
      let cursor = 0;
      const pullOnce = async (): Promise<boolean> => {
        const page = await store().pullEnvelopes(id, cursor, 50);
        for (const e of onlyEnvelopes(page.items)) seen.set(Buffer.from(e.recordId).toString('hex'), e.revision);
        cursor = page.cursor;
        return page.more;
      };
      const puller = (async () => {
        while (writing) {
          await pullOnce();
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const pushed: string[] = [];
      await Promise.all(
        Array.from({ length: writers }, async () => {
          for (let b = 0; b < batches; b += 1) {
            const batch = Array.from({ length: perBatch }, () => envelope({ bytes: bytes(24) }));
            for (const e of batch) pushed.push(Buffer.from(e.recordId).toString('hex'));
            await store().putEnvelopes(id, batch);
          }
        }),
      );
      writing = false;
      await puller;
      // Drain from the puller's own cursor, never from 0: a skipped row would stay missing.
      while (await pullOnce());
      expect(seen.size).toBe(writers * batches * perBatch);
      expect(new Set(pushed)).toEqual(new Set(seen.keys()));
    });

    it('mutating pushed or pulled bytes does not change what is stored', async () => {
      const id = await newAccount(store());
      const e = envelope();
      const copy = Uint8Array.from(e.bytes);
      await store().putEnvelopes(id, [e]);
      e.bytes.fill(0);
      e.recordId.fill(0);
      const [first] = (await store().pullEnvelopes(id, 0, 1)).items as [StoredEnvelope];
      expect(first.bytes).toEqual(copy);
      first.bytes.fill(7);
      const [again] = (await store().pullEnvelopes(id, 0, 1)).items as [StoredEnvelope];
      expect(again.bytes).toEqual(copy);
    });

    it('usage follows stores, replacements and tombstones', async () => {
      const id = await newAccount(store());
      const recordId = bytes(16);
      await store().putEnvelopes(id, [envelope({ recordId, bytes: bytes(100) }), envelope({ bytes: bytes(50) })]);
      expect(await store().usage(id)).toEqual({ bytes: 150, envelopes: 2 });
      await store().putEnvelopes(id, [envelope({ recordId, revision: 2, bytes: bytes(120) })]);
      expect(await store().usage(id)).toEqual({ bytes: 170, envelopes: 2 });
      await store().putEnvelopes(id, [envelope({ recordId, revision: 3, kind: 'tombstone', bytes: bytes(10) })]);
      expect(await store().usage(id)).toEqual({ bytes: 60, envelopes: 2 });
    });
  });
}
