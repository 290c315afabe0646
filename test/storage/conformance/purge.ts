/**
 * Purging: a person asks the server to stop holding some records. The envelopes go, whatever
 * their kind, with no tombstone in their place; usage shrinks; nothing else moves.
 */
import { describe, expect, it } from 'vitest';
import type { EnvelopePurge, LogAppend, StoredEnvelope } from '../../../src/storage/index.js';
import { MAX_PURGE_IDS } from '../../../src/storage/index.js';
import {
  bytes,
  envelope,
  expectCode,
  logChain,
  newAccount,
  pullAll,
  pullItems,
  purgeAll,
  snapshot,
  useStore,
  waitFor,
  type MakeStore,
} from '../fixtures.js';

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

    it('deletes a version only up to the named revision: one written above it survives', async () => {
      const id = await newAccount(store());
      const record = envelope({ revision: 5, bytes: bytes(40) });
      await store().putEnvelopes(id, [record]);
      const before = await pullAll(store(), id);
      expect(await store().purgeEnvelopes(id, [{ recordId: record.recordId, upToRevision: 4 }])).toBe(0);
      expect(await store().purgeEnvelopes(id, [{ recordId: record.recordId, upToRevision: 0 }])).toBe(0);
      expect(await pullAll(store(), id)).toEqual(before);
      expect(await store().purgeEnvelopes(id, [{ recordId: record.recordId, upToRevision: 5 }])).toBe(1);
      expect(await pullAll(store(), id)).toEqual([]);
      // Revision 0 is a revision like any other.
      const zero = envelope({ revision: 0 });
      await store().putEnvelopes(id, [zero]);
      expect(await store().purgeEnvelopes(id, [{ recordId: zero.recordId, upToRevision: 0 }])).toBe(1);
    });

    it('an id named twice with different bounds is deleted once if any bound covers it', async () => {
      const id = await newAccount(store());
      const record = envelope({ revision: 5 });
      const kept = envelope({ revision: 9 });
      await store().putEnvelopes(id, [record, kept]);
      const purges = [
        { recordId: record.recordId, upToRevision: 1 },
        { recordId: record.recordId, upToRevision: 7 },
        { recordId: record.recordId, upToRevision: 6 },
        { recordId: kept.recordId, upToRevision: 8 },
      ];
      expect(await store().purgeEnvelopes(id, purges)).toBe(1);
      expect(ids(await pullAll(store(), id))).toEqual(ids([kept]));
      expect(await store().usage(id)).toEqual({ bytes: 64, envelopes: 1 });
    });

    it('with a checkpoint: deletes and appends in one step, and wakes watchers for the checkpoint', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2] = logChain(device, 2, 30) as [LogAppend, LogAppend];
      const doomed = envelope({ sender: device, bytes: bytes(50) });
      const kept = envelope({ sender: device, revision: 3, bytes: bytes(70) });
      await store().putEnvelopes(id, [doomed, kept], c1);
      const calls: number[] = [];
      await store().watch(id, (cursor) => calls.push(cursor));
      const purges = [purgeAll(doomed.recordId), { recordId: kept.recordId, upToRevision: 2 }];
      expect(await store().purgeEnvelopes(id, purges, c2)).toBe(1);
      const items = await pullItems(store(), id);
      expect(items.map((item) => (item.kind === 'log' ? `log ${item.position}` : ids([item])[0]))).toEqual([
        'log 1',
        ...ids([kept]),
        'log 2',
      ]);
      expect(await store().logHead(id, device)).toEqual({ position: 2, hash: c2.hash, bytes: c2.bytes });
      expect(await store().usage(id)).toEqual({ bytes: 30 + 70 + 30, envelopes: 3 });
      await waitFor(() => calls.length > 0);
      expect(calls).toEqual([items.at(-1)!.cursor]);
    });

    it('with a conflicting checkpoint: LOG_CONFLICT, and nothing is deleted', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2, c3] = logChain(device, 3) as [LogAppend, LogAppend, LogAppend];
      const record = envelope({ sender: device });
      await store().putEnvelopes(id, [record], c1);
      const before = await snapshot(store(), id, [device]);
      for (const log of [c3, { ...c2, prevHash: bytes(32) }, { ...c1, bytes: bytes(100) }]) {
        await expectCode(store().purgeEnvelopes(id, [purgeAll(record.recordId)], log), 'LOG_CONFLICT');
      }
      expect(await snapshot(store(), id, [device])).toEqual(before);
    });

    it('a byte-identical re-push of the checkpoint purges as usual and stores it once', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1] = logChain(device, 1) as [LogAppend];
      const record = envelope({ revision: 2 });
      await store().putEnvelopes(id, [record]);
      expect(await store().purgeEnvelopes(id, [purgeAll(record.recordId)], c1)).toBe(1);
      // Another device pushed the record again before the purging device retried.
      await store().putEnvelopes(id, [record]);
      const calls: number[] = [];
      await store().watch(id, (cursor) => calls.push(cursor));
      expect(await store().purgeEnvelopes(id, [purgeAll(record.recordId)], c1)).toBe(1);
      expect(await store().purgeEnvelopes(id, [purgeAll(record.recordId)], c1)).toBe(0);
      const items = await pullItems(store(), id);
      expect(items.map((item) => item.kind)).toEqual(['log']);
      expect(await store().usage(id)).toEqual({ bytes: 100, envelopes: 1 });
      await store().putEnvelopes(id, [envelope()]); // the barrier: only this one wakes
      const last = (await pullItems(store(), id)).at(-1)!;
      await waitFor(() => calls.length > 0);
      expect(calls).toEqual([last.cursor]);
    });

    it('refuses bad arguments before deleting anything', async () => {
      const s = store();
      const id = await newAccount(s);
      const e = envelope();
      await s.putEnvelopes(id, [e]);
      await expectCode(s.purgeEnvelopes(id, [purgeAll(e.recordId), purgeAll(bytes(15))]), 'INVALID_ARGUMENT');
      await expectCode(s.purgeEnvelopes(id, [purgeAll(e.recordId), purgeAll(Array.from(bytes(16)) as unknown as Uint8Array)]), 'INVALID_ARGUMENT');
      await expectCode(s.purgeEnvelopes(id, 'all' as unknown as EnvelopePurge[]), 'INVALID_ARGUMENT');
      await expectCode(s.purgeEnvelopes(id, [e.recordId] as unknown as EnvelopePurge[]), 'INVALID_ARGUMENT');
      await expectCode(s.purgeEnvelopes(id, [null] as unknown as EnvelopePurge[]), 'INVALID_ARGUMENT');
      for (const upToRevision of [-1, 2 ** 32, 1.5, Number.NaN, '7']) {
        const purge = { recordId: e.recordId, upToRevision } as EnvelopePurge;
        await expectCode(s.purgeEnvelopes(id, [purge]), 'INVALID_ARGUMENT');
      }
      await expectCode(s.purgeEnvelopes(id, [purgeAll(e.recordId)], { ...logChain(bytes(16), 1)[0]!, position: 0 }), 'INVALID_ARGUMENT');
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

    it("a purge's checkpoint counts on the net effect: it fits where the purge frees room, else nothing happens", async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2] = logChain(device, 2, 100) as [LogAppend, LogAppend];
      const full = [envelope({ bytes: bytes(400) }), envelope({ bytes: bytes(400) }), envelope({ bytes: bytes(200) })];
      await store().putEnvelopes(id, full);
      const before = await snapshot(store(), id, [device]);
      // Deleting nothing frees no room for the checkpoint.
      await expectCode(store().purgeEnvelopes(id, [purgeAll(bytes(16))], c1), 'QUOTA_EXCEEDED');
      await expectCode(store().purgeEnvelopes(id, [{ recordId: full[0]!.recordId, upToRevision: 0 }], c1), 'QUOTA_EXCEEDED');
      expect(await snapshot(store(), id, [device])).toEqual(before);
      expect(await store().purgeEnvelopes(id, [purgeAll(full[2]!.recordId)], c1)).toBe(1);
      expect(await store().usage(id)).toEqual({ bytes: 900, envelopes: 3 });
      // A checkpoint alone would be a fourth item; with a purge it replaces one.
      await expectCode(store().purgeEnvelopes(id, [], c2), 'QUOTA_EXCEEDED');
      expect(await store().purgeEnvelopes(id, [purgeAll(full[1]!.recordId)], c2)).toBe(1);
      expect(await store().usage(id)).toEqual({ bytes: 600, envelopes: 3 });
    });

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
