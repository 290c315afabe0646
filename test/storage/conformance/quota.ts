/** Per-account quotas, and atomicity of failed batches. */
import { describe, expect, it } from 'vitest';
import type { LogAppend } from '../../../src/storage/index.js';
import { bytes, envelope, expectCode, logChain, newAccount, pullAll, snapshot, useStore, type MakeStore } from '../fixtures.js';

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

    it('checkpoints count toward the byte quota; a push crossing it stores neither checkpoint nor envelopes', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2, c3] = logChain(device, 3, 200) as [LogAppend, LogAppend, LogAppend];
      await store().putEnvelopes(id, [envelope({ bytes: bytes(500) })], c1);
      expect(await store().usage(id)).toEqual({ bytes: 700, envelopes: 2 });
      const before = await snapshot(store(), id, [device]);
      await expectCode(store().putEnvelopes(id, [envelope({ bytes: bytes(101) })], c2), 'QUOTA_EXCEEDED');
      await expectCode(store().putEnvelopes(id, [], { ...c2, bytes: bytes(301) }), 'QUOTA_EXCEEDED');
      expect(await snapshot(store(), id, [device])).toEqual(before);
      // Exactly at the quota is allowed; a byte-identical re-push adds nothing, so it still fits.
      expect(await store().putEnvelopes(id, [envelope({ bytes: bytes(100) })], c2)).toEqual(['stored']);
      expect(await store().usage(id)).toEqual({ bytes: 1000, envelopes: 4 });
      expect(await store().putEnvelopes(id, [], c1)).toEqual([]);
      await expectCode(store().putEnvelopes(id, [], c3), 'QUOTA_EXCEEDED');
    });

    it('checkpoints count toward the item limit, and a replacement beside one still fits', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2] = logChain(device, 2, 10) as [LogAppend, LogAppend];
      const records = Array.from({ length: 4 }, () => envelope({ bytes: bytes(10) }));
      await store().putEnvelopes(id, records, c1);
      expect(await store().usage(id)).toEqual({ bytes: 50, envelopes: 5 });
      const before = await snapshot(store(), id, [device]);
      await expectCode(store().putEnvelopes(id, [], c2), 'QUOTA_EXCEEDED');
      expect(await snapshot(store(), id, [device])).toEqual(before);
      // A tombstone that replaces a record frees no item; with the checkpoint the call grows by one.
      const tombstone = { ...records[0]!, revision: 2, kind: 'tombstone' as const, bytes: bytes(5) };
      await expectCode(store().putEnvelopes(id, [tombstone], c2), 'QUOTA_EXCEEDED');
      expect(await store().putEnvelopes(id, [tombstone])).toEqual(['stored']);
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
