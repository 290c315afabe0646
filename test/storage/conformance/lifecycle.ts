/** Closing a store. */
import { describe, expect, it } from 'vitest';
import { bytes, chainEntry, expectCode, type MakeStore } from '../fixtures.js';

export function lifecycleSuite(makeStore: MakeStore): void {
  describe('lifecycle', () => {
    it('after close every call fails with STORE_CLOSED; close is idempotent', async () => {
      const { store, cleanup } = await makeStore();
      const id = bytes(32);
      await store.createAccount(id, chainEntry(0));
      await store.close();
      await store.close();
      await expectCode(store.hasAccount(id), 'STORE_CLOSED');
      await expectCode(store.pullEnvelopes(id, 0, 10), 'STORE_CLOSED');
      await expectCode(store.putEnvelopes(id, []), 'STORE_CLOSED');
      await expectCode(store.purgeEnvelopes(id, []), 'STORE_CLOSED');
      await expectCode(store.watch(id, () => undefined), 'STORE_CLOSED');
      await expectCode(store.rememberNonce(bytes(16), 2, 1), 'STORE_CLOSED');
      await cleanup();
      expect(true).toBe(true);
    });
  });
}
