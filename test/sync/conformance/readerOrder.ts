/**
 * Clocks in the store: each version keeps its clock and base, and the store keeps the winner of
 * the reader order (later clock; a tombstone on an exact clock tie; then revision, then sender),
 * in `applyRemote` and `applyLocal` alike. A local write commits its meta (the clock state) with it.
 */
import { describe, expect, it } from 'vitest';
import type { LocalRecord } from '../../../src/sync/localStore.js';
import { compareReaderOrder } from '../../../src/sync/readerOrder.js';
import { CALLS, clockAt, DEVICE, id16, listAll, outboxFor, record, rejectsWith, useStore, type MakeLocalStore } from '../fixtures.js';

const CURSOR = 'cursor:calls';

/** Versions where the reader order and the server's order disagree; the last is the winner. */
function versions(recordId: Uint8Array): LocalRecord[] {
  return [
    record({ recordId, revision: 5, sender: DEVICE[2]!, value: 'early, high revision', clock: clockAt(1) }),
    record({ recordId, revision: 2, sender: DEVICE[2]!, value: 'tie, value', clock: clockAt(3), base: clockAt(1) }),
    record({ recordId, revision: 2, sender: DEVICE[0]!, deleted: true, value: null, clock: clockAt(3), base: clockAt(1) }),
    record({ recordId, revision: 3, sender: DEVICE[0]!, deleted: true, value: null, clock: clockAt(3), base: clockAt(1) }),
    record({ recordId, revision: 2, sender: DEVICE[1]!, value: 'late', clock: clockAt(3, 1), base: clockAt(1) }),
  ];
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

export function readerOrderSuite(make: MakeLocalStore): void {
  describe('reader order', () => {
    const store = useStore(make);

    it('gives back each version\'s clock and base, through every read', async () => {
      const fresh = record({ recordId: id16(1), clock: clockAt(9, 3) });
      const edit = record({ recordId: id16(2), revision: 4, clock: clockAt(12), base: clockAt(11, 65535) });
      await store().applyLocal(fresh, outboxFor(fresh));
      await store().applyRemote([edit], CURSOR, new Uint8Array(1));
      expect(await store().getRecord(CALLS, id16(1))).toEqual(fresh);
      expect(await store().getRecord(CALLS, id16(2))).toEqual(edit);
      expect((await listAll(store(), CALLS, { order: 'asc' })).records.map((r) => [r.clock, r.base])).toEqual([
        [fresh.clock, null],
        [edit.clock, edit.base],
      ]);
    });

    it('ends with the reader-order winner in every one of the 120 arrival orders', async () => {
      for (const [n, order] of permutations([0, 1, 2, 3, 4]).entries()) {
        const all = versions(id16(n));
        let winner: LocalRecord | undefined;
        for (const i of order) {
          const incoming = all[i]!;
          const applies = winner === undefined || compareReaderOrder(incoming, winner) > 0;
          if (applies) winner = incoming;
          expect(await store().applyRemote([incoming], CURSOR, new Uint8Array([n & 0xff]))).toEqual([applies]);
        }
        expect(await store().getRecord(CALLS, id16(n))).toEqual(all[4]);
      }
    });

    it('keeps a later clock over a higher revision, and a tombstone over a value on an exact clock tie', async () => {
      const [early, tieValue, tieTomb, tieTombLater] = versions(id16(1));
      expect(await store().applyRemote([tieValue!, early!], CURSOR, new Uint8Array(1))).toEqual([true, false]);
      expect(await store().applyRemote([tieTomb!], CURSOR, new Uint8Array(1))).toEqual([true]);
      expect(await store().countRecords(CALLS)).toBe(0);
      // Same clock, same kind: the server's order decides, so copies of one version never fight.
      expect(await store().applyRemote([tieTombLater!, tieTomb!], CURSOR, new Uint8Array(1))).toEqual([true, false]);
      expect(await store().getRecord(CALLS, id16(1))).toEqual(tieTombLater);
    });

    it('takes a local write that wins the reader order (a re-published copy too) and refuses one that does not', async () => {
      const [early, tieValue] = versions(id16(1));
      await store().applyRemote([tieValue!], CURSOR, new Uint8Array(1));
      await rejectsWith(store().applyLocal(early!, outboxFor(early!)), 'LOCAL_VERSION_STALE');
      const copy = { ...tieValue!, revision: 6, sender: DEVICE[0]! };
      await store().applyLocal(copy, outboxFor(copy));
      await rejectsWith(store().applyLocal(copy, outboxFor(copy, 7)), 'LOCAL_VERSION_STALE');
      expect(await store().getRecord(CALLS, id16(1))).toEqual(copy);
      expect(await store().outboxSize()).toBe(1);
    });

    it('commits a local write\'s meta with it, and neither when the write is refused', async () => {
      const r = record({ clock: clockAt(4) });
      await store().applyLocal(r, outboxFor(r), { meta: [['sync/hlc', clockAt(4)], ['sync/hlc', clockAt(5)]] });
      expect(await store().getMeta('sync/hlc')).toEqual(clockAt(5));
      await rejectsWith(store().applyLocal(r, outboxFor(r), { meta: [['sync/hlc', clockAt(9)]] }), 'LOCAL_VERSION_STALE');
      expect(await store().getMeta('sync/hlc')).toEqual(clockAt(5));
      const next = record({ revision: 2, clock: clockAt(6) });
      await rejectsWith(store().applyLocal(next, outboxFor(next), { meta: [['', clockAt(6)]] }), 'INVALID_ARGUMENT');
      expect(await store().getRecord(CALLS, r.recordId)).toEqual(r);
      expect(await store().outboxSize()).toBe(1);
    });

    it('refuses a clock or base that is not 8 bytes, storing nothing', async () => {
      const bad: Partial<LocalRecord>[] = [
        { clock: new Uint8Array(7) },
        { clock: undefined as unknown as Uint8Array },
        { clock: [0, 0, 0, 0, 0, 0, 0, 1] as unknown as Uint8Array },
        { base: new Uint8Array(9) },
      ];
      for (const [i, overrides] of bad.entries()) {
        const r = record({ recordId: id16(i), ...overrides });
        await rejectsWith(store().applyRemote([r], CURSOR, new Uint8Array(1)), 'INVALID_ARGUMENT');
        await rejectsWith(store().applyLocal(r, outboxFor(r)), 'INVALID_ARGUMENT');
      }
      expect(await store().countRecords(CALLS, { includeDeleted: true })).toBe(0);
      expect(await store().outboxSize()).toBe(0);
    });
  });
}
