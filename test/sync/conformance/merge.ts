/** applyRemote keeps the newest version whatever the arrival order; applyLocal never goes back. */
import { describe, expect, it } from 'vitest';
import type { LocalRecord } from '../../../src/sync/localStore.js';
import { isNewer } from '../../../src/sync/version.js';
import { CALLS, DEVICE, id16, outboxFor, record, rejectsWith, useStore, type MakeLocalStore } from '../fixtures.js';

/** Four versions of one record; the last (a tombstone) is the newest. */
function versions(recordId: Uint8Array): LocalRecord[] {
  return [
    record({ recordId, revision: 1, sender: DEVICE[0]!, value: 'a1' }),
    record({ recordId, revision: 1, sender: DEVICE[2]!, value: 'c1', sortTime: 7 }),
    record({ recordId, revision: 2, sender: DEVICE[1]!, value: 'b2', expiresAt: 5 }),
    record({ recordId, revision: 3, sender: DEVICE[0]!, deleted: true, value: null }),
  ];
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const CURSOR = 'cursor:calls';

export function mergeSuite(make: MakeLocalStore): void {
  describe('merge', () => {
    const store = useStore(make);

    it('ends with the newest version in every one of the 24 arrival orders', async () => {
      const orders = permutations([0, 1, 2, 3]);
      for (const [n, order] of orders.entries()) {
        const all = versions(id16(n));
        let newest: LocalRecord | undefined;
        for (const i of order) {
          const incoming = all[i]!;
          const shouldApply = newest === undefined || isNewer(incoming, newest);
          if (shouldApply) newest = incoming;
          expect(await store().applyRemote([incoming], CURSOR, new Uint8Array([n]))).toEqual([shouldApply]);
        }
        expect(await store().getRecord(CALLS, id16(n))).toEqual(all[3]);
      }
      expect(await store().countRecords(CALLS, { includeDeleted: true })).toBe(24);
    });

    it('is idempotent: delivering everything again changes nothing', async () => {
      const all = versions(id16(1));
      expect(await store().applyRemote(all, CURSOR, new Uint8Array([1]))).toEqual([true, true, true, true]);
      expect(await store().applyRemote(all, CURSOR, new Uint8Array([2]))).toEqual([false, false, false, false]);
      expect(await store().applyRemote([...all].reverse(), CURSOR, new Uint8Array([3]))).toEqual([false, false, false, false]);
      expect(await store().getRecord(CALLS, id16(1))).toEqual(all[3]);
    });

    it('merges versions of one record within a batch in batch order', async () => {
      const [a1, c1, b2, tomb] = versions(id16(1));
      expect(await store().applyRemote([b2!, a1!, tomb!, c1!], CURSOR, new Uint8Array(1))).toEqual([true, false, true, false]);
      expect(await store().getRecord(CALLS, id16(1))).toEqual(tomb);
    });

    it('breaks a revision tie by the higher sender id', async () => {
      const [a1, c1] = versions(id16(1));
      await store().applyRemote([c1!], CURSOR, new Uint8Array(1));
      expect(await store().applyRemote([a1!], CURSOR, new Uint8Array(1))).toEqual([false]);
      expect((await store().getRecord(CALLS, id16(1)))?.value).toBe('c1');
    });

    it('keeps the same record id apart in different collections', async () => {
      const r = record();
      const other = record({ collection: 'notes', revision: 1, value: 'note' });
      expect(await store().applyRemote([r, other], CURSOR, new Uint8Array(1))).toEqual([true, true]);
      expect((await store().getRecord('notes', r.recordId))?.value).toBe('note');
    });

    it('sets the cursor with the records, and sets it for an empty batch too', async () => {
      expect(await store().getMeta(CURSOR)).toBeNull();
      await store().applyRemote([record()], CURSOR, new Uint8Array([0, 0, 0, 7]));
      expect(await store().getMeta(CURSOR)).toEqual(new Uint8Array([0, 0, 0, 7]));
      expect(await store().applyRemote([], CURSOR, new Uint8Array([0, 0, 0, 9]))).toEqual([]);
      expect(await store().getMeta(CURSOR)).toEqual(new Uint8Array([0, 0, 0, 9]));
    });

    it('applies nothing and keeps the cursor when one record of the batch is invalid', async () => {
      await store().applyRemote([], CURSOR, new Uint8Array([1]));
      const good = record({ recordId: id16(1) });
      const bad = record({ recordId: id16(2), revision: -1 });
      await rejectsWith(store().applyRemote([good, bad], CURSOR, new Uint8Array([2])), 'INVALID_ARGUMENT');
      expect(await store().getRecord(CALLS, id16(1))).toBeNull();
      expect(await store().getMeta(CURSOR)).toEqual(new Uint8Array([1]));
    });

    it('refuses a local write that is not newer than what is stored, queuing nothing', async () => {
      const [a1, , b2] = versions(id16(1));
      await store().applyRemote([b2!], CURSOR, new Uint8Array(1));
      await rejectsWith(store().applyLocal(a1!, outboxFor(a1!)), 'LOCAL_VERSION_STALE');
      await rejectsWith(store().applyLocal(b2!, outboxFor(b2!)), 'LOCAL_VERSION_STALE');
      expect(await store().outboxSize()).toBe(0);
      expect(await store().getRecord(CALLS, id16(1))).toEqual(b2);
      const next = { ...b2!, revision: 3, sender: DEVICE[0]!, value: 'a3' };
      await store().applyLocal(next, outboxFor(next));
      expect(await store().getRecord(CALLS, id16(1))).toEqual(next);
    });

    it('lets a newer put bring a deleted record back', async () => {
      const all = versions(id16(1));
      await store().applyRemote(all, CURSOR, new Uint8Array(1));
      const revived = record({ recordId: id16(1), revision: 4, sender: DEVICE[1]!, value: 'back' });
      expect(await store().applyRemote([revived], CURSOR, new Uint8Array(1))).toEqual([true]);
      expect(await store().countRecords(CALLS)).toBe(1);
    });
  });
}
