/**
 * Purging: a person asks the server to stop holding some records. The envelopes go, whatever
 * their kind, with no tombstone in their place; usage shrinks; nothing else moves.
 */
import { describe, expect, it } from 'vitest';
import type { EnvelopePurge, StoredEnvelope } from '../../../src/storage/index.js';
import { MAX_PURGE_IDS } from '../../../src/storage/index.js';
import { bytes, envelope, expectCode, newAccount, pullAll, purgeAll, useStore, waitFor, type MakeStore } from '../fixtures.js';

function ids(envelopes: readonly { recordId: Uint8Array }[]): string[] {
  return envelopes.map((e) => Buffer.from(e.recordId).toString('hex')).sort();
}

export function purgeSuite(makeStore: MakeStore): void {
  describe('purge', () => {
    const store = useStore(makeStore);

    it('deletes records and tombstones alike, returns how many, and leaves no tombstone behind', async () => {
      const id = await newAccount(store());
      const record = envelope({ bytes: bytes(100) });
      const tombstone = envelope({ kind: 'tombstone', bytes: bytes(30) });
      const kept = [envelope({ bytes: bytes(50) }), envelope({ bytes: bytes(70) })];
      await store().putEnvelopes(id, [record, tombstone, ...kept]);
      expect(await store().purgeEnvelopes(id, [purgeAll(record.recordId), purgeAll(tombstone.recordId)])).toBe(2);
      expect(ids(await pullAll(store(), id))).toEqual(ids(kept));
      expect(await store().usage(id)).toEqual({ bytes: 120, envelopes: 2 });
    });

    it('ignores unknown ids and repeats, and an empty list changes nothing', async () => {
      const id = await newAccount(store());
      const e = envelope({ bytes: bytes(40) });
      await store().putEnvelopes(id, [e, envelope({ bytes: bytes(60) })]);
      const before = await pullAll(store(), id);
      expect(await store().purgeEnvelopes(id, [])).toBe(0);
      expect(await store().purgeEnvelopes(id, [purgeAll(bytes(16)), purgeAll(bytes(16))])).toBe(0);
      expect(await pullAll(store(), id)).toEqual(before);
      expect(await store().purgeEnvelopes(id, [purgeAll(e.recordId), purgeAll(Uint8Array.from(e.recordId)), purgeAll(bytes(16))])).toBe(1);
      expect(await store().purgeEnvelopes(id, [purgeAll(e.recordId)])).toBe(0);
      expect(await store().usage(id)).toEqual({ bytes: 60, envelopes: 1 });
    });

    it('touches only the named account, even for a record id both accounts use', async () => {
      const a = await newAccount(store());
      const b = await newAccount(store());
      const shared = bytes(16);
      await store().putEnvelopes(a, [envelope({ recordId: shared })]);
      await store().putEnvelopes(b, [envelope({ recordId: shared })]);
      const inB = await pullAll(store(), b);
      expect(await store().purgeEnvelopes(a, [purgeAll(shared)])).toBe(1);
      expect(await pullAll(store(), a)).toEqual([]);
      expect(await pullAll(store(), b)).toEqual(inB);
      expect(await store().usage(b)).toEqual({ bytes: 64, envelopes: 1 });
    });

    it('forgets the version: any later push of the record is stored as new, with a higher cursor', async () => {
      const id = await newAccount(store());
      const v5 = envelope({ revision: 5 });
      await store().putEnvelopes(id, [v5, envelope()]);
      const highest = Math.max(...(await pullAll(store(), id)).map((e) => e.cursor));
      await store().purgeEnvelopes(id, [purgeAll(v5.recordId)]);
      // An older revision would be superseded by the stored one; with it purged, it is new.
      const v2 = { ...v5, revision: 2, bytes: bytes(64) };
      expect(await store().putEnvelopes(id, [v2])).toEqual(['stored']);
      const last = (await pullAll(store(), id)).at(-1) as StoredEnvelope;
      expect(last.revision).toBe(2);
      expect(last.cursor).toBeGreaterThan(highest);
    });

    it('wakes no watcher: there is nothing new to pull', async () => {
      const id = await newAccount(store());
      const e = envelope();
      await store().putEnvelopes(id, [e]);
      const calls: number[] = [];
      await store().watch(id, (cursor) => calls.push(cursor));
      expect(await store().purgeEnvelopes(id, [purgeAll(e.recordId)])).toBe(1);
      await store().putEnvelopes(id, [envelope()]); // the barrier: this one must wake
      const all = await pullAll(store(), id);
      await waitFor(() => calls.length > 0);
      expect(calls).toEqual([(all.at(-1) as StoredEnvelope).cursor]);
    });

    it('refuses bad arguments before deleting anything', async () => {
      const s = store();
      const id = await newAccount(s);
      const e = envelope();
      await s.putEnvelopes(id, [e]);
      await expectCode(s.purgeEnvelopes(id, [purgeAll(e.recordId), purgeAll(bytes(15))]), 'INVALID_ARGUMENT');
      await expectCode(s.purgeEnvelopes(id, [purgeAll(e.recordId), purgeAll(Array.from(bytes(16)) as unknown as Uint8Array)]), 'INVALID_ARGUMENT');
      await expectCode(s.purgeEnvelopes(id, 'all' as unknown as EnvelopePurge[]), 'INVALID_ARGUMENT');
      const tooMany = Array.from({ length: MAX_PURGE_IDS + 1 }, () => purgeAll(e.recordId));
      await expectCode(s.purgeEnvelopes(id, tooMany), 'INVALID_ARGUMENT');
      await expectCode(s.purgeEnvelopes(bytes(31), [purgeAll(e.recordId)]), 'INVALID_ARGUMENT');
      await expectCode(s.purgeEnvelopes(bytes(32), [purgeAll(e.recordId)]), 'ACCOUNT_NOT_FOUND');
      expect(await s.usage(id)).toEqual({ bytes: 64, envelopes: 1 });
      expect(await s.purgeEnvelopes(id, Array.from({ length: MAX_PURGE_IDS }, () => purgeAll(e.recordId)))).toBe(1);
    });
  });

  describe('purge and quota', () => {
    const store = useStore(makeStore, { quotaBytes: 1000, maxEnvelopes: 3 });

    it('a full account that purges can store again', async () => {
      const id = await newAccount(store());
      const full = [envelope({ bytes: bytes(400) }), envelope({ bytes: bytes(400) }), envelope({ bytes: bytes(200) })];
      await store().putEnvelopes(id, full);
      await expectCode(store().putEnvelopes(id, [envelope({ bytes: bytes(1) })]), 'QUOTA_EXCEEDED');
      expect(await store().purgeEnvelopes(id, [purgeAll(full[0]!.recordId)])).toBe(1);
      expect(await store().usage(id)).toEqual({ bytes: 600, envelopes: 2 });
      expect(await store().putEnvelopes(id, [envelope({ bytes: bytes(400) })])).toEqual(['stored']);
    });
  });
}
