/** The outbox: queued with the write in one step, oldest first, removed only by ack. */
import { describe, expect, it } from 'vitest';
import {
  CALLS,
  envelope,
  id16,
  outboxFor,
  record,
  rejectsWith,
  tombstone,
  useStore,
  type MakeLocalStore,
} from '../fixtures.js';

export function outboxSuite(make: MakeLocalStore): void {
  describe('outbox', () => {
    const store = useStore(make);

    async function writeThree(): Promise<void> {
      for (let i = 1; i <= 3; i++) {
        const r = record({ recordId: id16(i) });
        await store().applyLocal(r, { recordId: r.recordId, bytes: envelope(i) });
      }
    }

    it('queues each local write, oldest first, with increasing ids', async () => {
      await writeThree();
      expect(await store().outboxSize()).toBe(3);
      const items = await store().outboxPeek(10);
      expect(items.map((item) => item.bytes)).toEqual([envelope(1), envelope(2), envelope(3)]);
      expect(items.map((item) => item.recordId)).toEqual([id16(1), id16(2), id16(3)]);
      expect(items[0]!.id).toBeLessThan(items[1]!.id);
      expect(items[1]!.id).toBeLessThan(items[2]!.id);
      expect(await store().outboxPeek(2)).toEqual(items.slice(0, 2));
      expect(await store().outboxSize()).toBe(3);
    });

    it('removes acknowledged items only, and ignores ids it does not hold', async () => {
      await writeThree();
      const [first, second, third] = await store().outboxPeek(10);
      await store().outboxAck([first!.id, 999_999]);
      expect(await store().outboxPeek(10)).toEqual([second, third]);
      await store().outboxAck([first!.id]);
      await store().outboxAck([]);
      expect(await store().outboxSize()).toBe(2);
      await store().outboxAck([third!.id, second!.id]);
      expect(await store().outboxSize()).toBe(0);
      expect(await store().outboxPeek(10)).toEqual([]);
    });

    it('never reuses an id after the newest item is acked', async () => {
      await writeThree();
      const items = await store().outboxPeek(10);
      await store().outboxAck(items.map((item) => item.id));
      const r = record({ recordId: id16(4) });
      await store().applyLocal(r, outboxFor(r));
      const [fresh] = await store().outboxPeek(1);
      expect(fresh!.id).toBeGreaterThan(items[2]!.id);
    });

    it('keeps a queued envelope when its record is overwritten by a newer remote version', async () => {
      const r = record();
      await store().applyLocal(r, outboxFor(r));
      await store().applyRemote([{ ...r, revision: 5 }], 'cursor', new Uint8Array(1));
      expect(await store().outboxSize()).toBe(1);
    });

    it('stores a local-only write (outbox item null) and queues nothing', async () => {
      const r = record();
      await store().applyLocal(r, null);
      expect(await store().getRecord(CALLS, r.recordId)).toEqual(r);
      expect(await store().outboxSize()).toBe(0);
      const t = tombstone(r);
      await store().applyLocal(t, null);
      expect(await store().getRecord(CALLS, r.recordId)).toEqual(t);
      expect(await store().outboxSize()).toBe(0);
    });

    it('checks the version of a local-only write like any other', async () => {
      const r = record({ revision: 3 });
      await store().applyLocal(r, outboxFor(r));
      await rejectsWith(store().applyLocal({ ...r, value: 'same revision' }, null), 'LOCAL_VERSION_STALE');
      await rejectsWith(store().applyLocal({ ...r, revision: 2 }, null), 'LOCAL_VERSION_STALE');
      expect(await store().getRecord(CALLS, r.recordId)).toEqual(r);
      const newer = { ...r, revision: 4, value: 'newer' };
      await store().applyLocal(newer, null);
      expect(await store().getRecord(CALLS, r.recordId)).toEqual(newer);
      expect(await store().outboxSize()).toBe(1);
    });

    it('refuses an invalid local-only write and stores nothing', async () => {
      await rejectsWith(store().applyLocal(record({ value: new Map() }), null), 'INVALID_ARGUMENT');
      expect(await store().getRecord(CALLS, id16(1))).toBeNull();
      expect(await store().outboxSize()).toBe(0);
    });

    describe('a failing local write stores nothing and queues nothing', () => {
      const cases: [string, () => Parameters<ReturnType<typeof store>['applyLocal']>][] = [
        ['a value CBOR cannot carry', () => [record({ value: new Map() }), outboxFor(record())]],
        ['an undefined property', () => [record({ value: { a: undefined } }), outboxFor(record())]],
        ['a tombstone with a value', () => [record({ deleted: true, value: 1 }), outboxFor(record())]],
        ['an outbox item for another record', () => [record(), { recordId: id16(2), bytes: envelope(1) }]],
        ['empty envelope bytes', () => [record(), { recordId: id16(1), bytes: new Uint8Array(0) }]],
        ['a missing outbox item', () => [record(), undefined as never]],
        ['a bad revision', () => [record({ revision: 2 ** 32 }), outboxFor(record())]],
      ];
      for (const [name, args] of cases) {
        it(name, async () => {
          await rejectsWith(store().applyLocal(...args()), 'INVALID_ARGUMENT');
          expect(await store().outboxSize()).toBe(0);
          expect(await store().getRecord(CALLS, id16(1))).toBeNull();
        });
      }
    });
  });
}
