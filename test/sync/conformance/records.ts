/** Reading back what was stored: fields, values, copies, tombstones, counts, dropping. */
import { describe, expect, it } from 'vitest';
import { LIMITS_CEILING } from '../../../src/sync/collectionLimits.js';
import { CALLS, DEVICE, id16, outboxFor, record, tombstone, useStore, type MakeLocalStore } from '../fixtures.js';

export function recordsSuite(make: MakeLocalStore): void {
  describe('records', () => {
    const store = useStore(make);

    it('returns null for a record it does not hold', async () => {
      expect(await store().getRecord(CALLS, id16(9))).toBeNull();
    });

    it('gives back every field of a local write', async () => {
      const r = record({ revision: 7, sender: DEVICE[2]!, sortTime: 5, expiresAt: 99 });
      await store().applyLocal(r, outboxFor(r));
      expect(await store().getRecord(CALLS, r.recordId)).toEqual(r);
    });

    it('round-trips any CBOR value, up to the limits every device decodes', async () => {
      const values: unknown[] = [
        null,
        0,
        -1.5,
        'héllo ☎',
        new Uint8Array([1, 2, 3]),
        { nested: { list: [1, 'two', { three: true }] }, bytes: new Uint8Array(40) },
        Array.from({ length: 9_999 }, (_, i) => i),
        'x'.repeat(64 * 1024),
        // Over the default limits, within the ceiling a collection may raise them to.
        Array.from({ length: 20_000 }, (_, i) => i),
        new Uint8Array(200_000),
      ];
      for (const [i, value] of values.entries()) {
        await store().applyRemote([record({ recordId: id16(i), value })], 'cursor', new Uint8Array([i]));
        expect((await store().getRecord(CALLS, id16(i)))?.value).toEqual(value);
      }
      // A value no other device could decode (over the ceiling) is refused at the door, and nothing is stored.
      const tooBig = record({ recordId: id16(99), value: 'x'.repeat(LIMITS_CEILING.maxStringBytes + 1) });
      await expect(store().applyRemote([tooBig], 'cursor', new Uint8Array([99]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await store().getRecord(CALLS, id16(99))).toBeNull();
    });

    it("keeps a record's string key, in reads and listings, and refuses one on a tombstone", async () => {
      const r = { ...record({ recordId: id16(7), value: { name: 'Alice' } }), key: 'alice@example.com' };
      await store().applyLocal(r, outboxFor(r));
      expect(await store().getRecord(CALLS, id16(7))).toEqual(r);
      expect((await store().listRecords(CALLS, { limit: 10 })).records).toEqual([r]);
      const plain = record({ recordId: id16(8) });
      await store().applyRemote([plain], 'cursor', new Uint8Array([8]));
      expect((await store().getRecord(CALLS, id16(8)))?.key).toBeUndefined();
      const keyedTombstone = { ...tombstone(record({ recordId: id16(9) })), key: 'x' };
      await expect(store().applyRemote([keyedTombstone], 'cursor', new Uint8Array([9]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      for (const key of ['', 'x'.repeat(1025), 7]) {
        const bad = { ...record({ recordId: id16(10) }), key } as never;
        await expect(store().applyRemote([bad], 'cursor', new Uint8Array([10]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
    });

    it('hands out copies that do not alias the store', async () => {
      const r = record({ value: { bytes: new Uint8Array([1]) } });
      await store().applyLocal(r, outboxFor(r));
      const first = (await store().getRecord(CALLS, r.recordId))!;
      first.recordId.fill(0);
      first.sender.fill(0);
      (first.value as { bytes: Uint8Array }).bytes[0] = 9;
      expect(await store().getRecord(CALLS, r.recordId)).toEqual(r);
    });

    it('keeps what it was given even if the caller changes it afterwards', async () => {
      const recordId = id16(1);
      const r = record({ recordId, value: { bytes: new Uint8Array([1]) } });
      await store().applyLocal(r, outboxFor(r));
      recordId[15] = 0xff;
      (r.value as { bytes: Uint8Array }).bytes[0] = 9;
      expect((await store().getRecord(CALLS, id16(1)))?.value).toEqual({ bytes: new Uint8Array([1]) });
    });

    it('stores a delete as a tombstone that getRecord returns and counts skip', async () => {
      const r = record();
      await store().applyLocal(r, outboxFor(r));
      const t = tombstone(r);
      await store().applyLocal(t, outboxFor(t));
      expect(await store().getRecord(CALLS, r.recordId)).toEqual(t);
      expect(await store().countRecords(CALLS)).toBe(0);
      expect(await store().countRecords(CALLS, { includeDeleted: true })).toBe(1);
    });

    it('counts per collection', async () => {
      await store().applyRemote(
        [record({ recordId: id16(1) }), record({ recordId: id16(2) }), record({ collection: 'notes', recordId: id16(1) })],
        'cursor',
        new Uint8Array(1),
      );
      expect(await store().countRecords(CALLS)).toBe(2);
      expect(await store().countRecords('notes')).toBe(1);
      expect(await store().countRecords('empty')).toBe(0);
    });

    it('drops one collection and leaves the others and the outbox alone', async () => {
      const kept = record({ collection: 'notes' });
      await store().applyLocal(kept, outboxFor(kept));
      for (let i = 0; i < 3; i++) {
        const r = record({ recordId: id16(i) });
        await store().applyLocal(r, outboxFor(r));
      }
      expect(await store().dropCollection(CALLS)).toBe(3);
      expect(await store().countRecords(CALLS)).toBe(0);
      expect(await store().getRecord('notes', kept.recordId)).toEqual(kept);
      expect(await store().outboxSize()).toBe(4);
      expect(await store().dropCollection('never-written')).toBe(0);
    });
  });
}
