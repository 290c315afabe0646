/** Per-account quotas, and atomicity of failed batches. */
import { describe, expect, it } from 'vitest';
import { bytes, envelope, expectCode, newAccount, pullAll, useStore, type MakeStore } from '../fixtures.js';

export function quotaSuite(makeStore: MakeStore): void {
  describe('quota and atomicity', () => {
    const store = useStore(makeStore, { quotaBytes: 1000, maxEnvelopes: 5 });

    it('a batch crossing the byte quota part-way fails as a whole and leaves the store exactly as it was', async () => {
      const id = await newAccount(store());
      const recordId = bytes(16);
      await store().putEnvelopes(id, [envelope({ recordId, bytes: bytes(300) })]);
      const before = await pullAll(store(), id);
      await expectCode(
        store().putEnvelopes(id, [
          envelope({ recordId, revision: 2, bytes: bytes(200) }), // would replace the record...
          envelope({ bytes: bytes(400) }),
          envelope({ bytes: bytes(401) }), // ...but this one crosses 1000 bytes
        ]),
        'QUOTA_EXCEEDED',
      );
      expect(await pullAll(store(), id)).toEqual(before);
      expect(await store().usage(id)).toEqual({ bytes: 300, envelopes: 1 });
      // Exactly at the quota is allowed.
      expect(await store().putEnvelopes(id, [envelope({ bytes: bytes(700) })])).toEqual(['stored']);
      expect(await store().usage(id)).toEqual({ bytes: 1000, envelopes: 2 });
    });

    it('counts the net effect of a batch: a replacement only adds its growth', async () => {
      const id = await newAccount(store());
      const recordId = bytes(16);
      await store().putEnvelopes(id, [envelope({ recordId, bytes: bytes(900) })]);
      expect(await store().putEnvelopes(id, [envelope({ recordId, revision: 2, bytes: bytes(1000) })])).toEqual(['stored']);
      await expectCode(store().putEnvelopes(id, [envelope({ recordId, revision: 3, bytes: bytes(1001) })]), 'QUOTA_EXCEEDED');
    });

    it('enforces the envelope count, but a full account can still replace and tombstone its records', async () => {
      const id = await newAccount(store());
      const records = Array.from({ length: 5 }, () => envelope({ bytes: bytes(150) }));
      await store().putEnvelopes(id, records);
      await expectCode(store().putEnvelopes(id, [envelope({ bytes: bytes(1) })]), 'QUOTA_EXCEEDED');
      const first = records[0] as (typeof records)[0];
      const tombstone = { ...first, revision: 2, kind: 'tombstone' as const, bytes: bytes(20) };
      expect(await store().putEnvelopes(id, [tombstone])).toEqual(['stored']);
      expect(await store().usage(id)).toEqual({ bytes: 4 * 150 + 20, envelopes: 5 });
    });

    it('quotas are per account', async () => {
      const a = await newAccount(store());
      const b = await newAccount(store());
      await store().putEnvelopes(a, [envelope({ bytes: bytes(1000) })]);
      expect(await store().putEnvelopes(b, [envelope({ bytes: bytes(1000) })])).toEqual(['stored']);
    });

    it('a batch with one malformed item is refused before anything is written', async () => {
      const id = await newAccount(store());
      await expectCode(
        store().putEnvelopes(id, [envelope(), envelope({ recordId: bytes(15) }), envelope()]),
        'INVALID_ARGUMENT',
      );
      expect(await pullAll(store(), id)).toEqual([]);
      expect(await store().usage(id)).toEqual({ bytes: 0, envelopes: 0 });
    });
  });
}
