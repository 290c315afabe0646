/** Collection of expired envelopes. */
import { describe, expect, it } from 'vitest';
import { bytes, envelope, newAccount, pullAll, useStore, type MakeStore } from '../fixtures.js';

export function expirySuite(makeStore: MakeStore): void {
  describe('expiry', () => {
    const store = useStore(makeStore);

    it('collects envelopes with 0 < expiryDay < today across accounts, and nothing else', async () => {
      const a = await newAccount(store());
      const b = await newAccount(store());
      const today = 20_000;
      const keep = [envelope({ expiryDay: 0 }), envelope({ expiryDay: today }), envelope({ expiryDay: today + 1 })];
      await store().putEnvelopes(a, [...keep, envelope({ expiryDay: today - 1, bytes: bytes(10) }), envelope({ expiryDay: 1 })]);
      await store().putEnvelopes(b, [envelope({ expiryDay: today - 100, kind: 'tombstone', bytes: bytes(5) })]);
      const usageBefore = await store().usage(a);
      expect(await store().collectExpired(today)).toBe(3);
      expect((await pullAll(store(), a)).map((e) => e.expiryDay)).toEqual([0, today, today + 1]);
      expect(await pullAll(store(), b)).toEqual([]);
      expect(await store().usage(a)).toEqual({ bytes: usageBefore.bytes - 10 - 64, envelopes: 3 });
      expect(await store().usage(b)).toEqual({ bytes: 0, envelopes: 0 });
      expect(await store().collectExpired(today)).toBe(0);
    });

    it('a collected record id can be stored again and is pulled as new', async () => {
      const id = await newAccount(store());
      const e = envelope({ expiryDay: 10 });
      await store().putEnvelopes(id, [e]);
      const [old] = await pullAll(store(), id);
      await store().collectExpired(11);
      expect(await store().putEnvelopes(id, [e])).toEqual(['stored']);
      const [again] = await pullAll(store(), id);
      expect(again?.cursor).toBeGreaterThan(old?.cursor ?? Infinity);
    });
  });
}
