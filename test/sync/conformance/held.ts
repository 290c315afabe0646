/** Held envelopes: received but not openable yet, kept by record id until taken back. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/crypto/bytes.js';
import { CALLS, envelope, id16, outboxFor, record, rejectsWith, useStore, type MakeLocalStore } from '../fixtures.js';

export function heldSuite(make: MakeLocalStore): void {
  describe('held envelopes', () => {
    const store = useStore(make);

    it('holds, counts and gives back envelopes by record id, removing what it gives', async () => {
      expect(await store().heldCount()).toBe(0);
      await store().holdEnvelopes([
        { recordId: id16(1), bytes: envelope(1) },
        { recordId: id16(2), bytes: envelope(2) },
        { recordId: id16(3), bytes: envelope(3) },
      ]);
      expect(await store().heldCount()).toBe(3);
      const taken = await store().takeHeld([id16(3), id16(9), id16(1)]);
      expect(taken).toEqual(
        new Map([
          [toHex(id16(3)), envelope(3)],
          [toHex(id16(1)), envelope(1)],
        ]),
      );
      expect([...taken.keys()].every((key) => /^[0-9a-f]{32}$/.test(key))).toBe(true);
      expect(await store().heldCount()).toBe(1);
      expect(await store().takeHeld([id16(1), id16(3)])).toEqual(new Map());
      expect(await store().takeHeld([])).toEqual(new Map());
      expect(await store().takeHeld([id16(2), id16(2)])).toEqual(new Map([[toHex(id16(2)), envelope(2)]]));
      expect(await store().heldCount()).toBe(0);
    });

    it('keys by lower-case hex of the whole id', async () => {
      const recordId = new Uint8Array(16).fill(0xab);
      await store().holdEnvelopes([{ recordId, bytes: envelope(1) }]);
      const taken = await store().takeHeld([recordId]);
      expect([...taken.keys()]).toEqual(['ab'.repeat(16)]);
    });

    it('replaces the bytes of an id held again, in a later call or later in the same call', async () => {
      await store().holdEnvelopes([{ recordId: id16(1), bytes: envelope(1) }]);
      await store().holdEnvelopes([{ recordId: id16(1), bytes: envelope(2) }]);
      expect(await store().heldCount()).toBe(1);
      expect((await store().takeHeld([id16(1)])).get(toHex(id16(1)))).toEqual(envelope(2));
      await store().holdEnvelopes([
        { recordId: id16(1), bytes: envelope(3) },
        { recordId: id16(1), bytes: envelope(4) },
      ]);
      expect(await store().heldCount()).toBe(1);
      expect((await store().takeHeld([id16(1)])).get(toHex(id16(1)))).toEqual(envelope(4));
    });

    it('accepts an empty hold', async () => {
      await store().holdEnvelopes([]);
      expect(await store().heldCount()).toBe(0);
    });

    it('keeps its own copies', async () => {
      const recordId = id16(1);
      const bytes = envelope(1);
      await store().holdEnvelopes([{ recordId, bytes }]);
      recordId[15] = 0xff;
      bytes[0] = 0xff;
      const taken = await store().takeHeld([id16(1)]);
      expect(taken.get(toHex(id16(1)))).toEqual(envelope(1));
    });

    it('drops everything held and says how many', async () => {
      await store().holdEnvelopes([1, 2, 3].map((i) => ({ recordId: id16(i), bytes: envelope(i) })));
      expect(await store().dropHeld()).toBe(3);
      expect(await store().heldCount()).toBe(0);
      expect(await store().takeHeld([id16(1)])).toEqual(new Map());
      expect(await store().dropHeld()).toBe(0);
    });

    it('is apart from records, outbox, collections and expiry', async () => {
      const r = record({ recordId: id16(1), expiresAt: 5 });
      await store().applyLocal(r, outboxFor(r));
      await store().holdEnvelopes([{ recordId: id16(1), bytes: envelope(7) }]);
      expect(await store().dropCollection(CALLS)).toBe(1);
      expect(await store().expire(10)).toBe(0);
      expect(await store().heldCount()).toBe(1);
      expect(await store().outboxSize()).toBe(1);
      expect(await store().dropHeld()).toBe(1);
      expect(await store().outboxSize()).toBe(1);
    });

    describe('a refused hold holds nothing', () => {
      const cases: [string, () => unknown][] = [
        ['items that are not an array', () => ({ recordId: id16(1), bytes: envelope(1) })],
        ['an item that is null', () => [{ recordId: id16(1), bytes: envelope(1) }, null]],
        ['a 15-byte record id', () => [{ recordId: id16(1), bytes: envelope(1) }, { recordId: new Uint8Array(15), bytes: envelope(2) }]],
        ['a record id that is not bytes', () => [{ recordId: [...id16(1)], bytes: envelope(1) }]],
        ['empty bytes', () => [{ recordId: id16(1), bytes: envelope(1) }, { recordId: id16(2), bytes: new Uint8Array(0) }]],
        ['bytes that are not a Uint8Array', () => [{ recordId: id16(1), bytes: 'envelope' }]],
        ['missing bytes', () => [{ recordId: id16(1) }]],
      ];
      for (const [name, items] of cases) {
        it(name, async () => {
          await rejectsWith(store().holdEnvelopes(items() as never), 'INVALID_ARGUMENT');
          expect(await store().heldCount()).toBe(0);
        });
      }
    });

    it('refuses a bad take and removes nothing', async () => {
      await store().holdEnvelopes([{ recordId: id16(1), bytes: envelope(1) }]);
      await rejectsWith(store().takeHeld(id16(1) as never), 'INVALID_ARGUMENT');
      await rejectsWith(store().takeHeld([id16(1), new Uint8Array(17)]), 'INVALID_ARGUMENT');
      await rejectsWith(store().takeHeld([id16(1), 'id' as never]), 'INVALID_ARGUMENT');
      expect(await store().heldCount()).toBe(1);
    });
  });
}
