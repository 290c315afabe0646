/**
 * The page side of indexedDbConformance.test.ts, run in Chromium: it records the whole
 * LocalStore conformance suite and the IndexedDB adapter's own tests, exactly as the Node test
 * files define them (`vitest` is aliased to vitestInPage.ts in this bundle), against
 * `IndexedDbLocalStore` on the browser's real IndexedDB, and runs them when the test asks.
 */
import { isMultikeySyncError } from '../../src/errors.js';
import { IndexedDbLocalStore } from '../../src/sync/indexedDbLocalStore.js';
import { record } from '../sync/fixtures.js';
import { indexedDbAdapterSuite } from '../sync/indexedDbAdapterSuite.js';
import { localStoreConformance } from '../sync/localStoreConformance.js';
import { recordedCount, runRecorded, type CaseResult } from './vitestInPage.js';

/** What the test calls in the page. */
export interface ConformanceApi {
  /** How many tests the page recorded. */
  count(): number;
  /** Runs them all, in order. */
  run(): Promise<CaseResult[]>;
  /**
   * A local write whose outbox envelope (`bytes` bytes) does not fit the origin's quota: the
   * code it rejects with, and whether anything of it stayed.
   */
  writeOverQuota(bytes: number): Promise<{ code: string | null; message: string; recordStored: boolean; outbox: number; earlier: boolean }>;
}

declare global {
  interface Window {
    conformance?: ConformanceApi;
  }
}

let databases = 0;

localStoreConformance('IndexedDbLocalStore', async () => {
  const name = `conformance-${++databases}`;
  const store = await IndexedDbLocalStore.open(name);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await IndexedDbLocalStore.delete(name);
    },
  };
});

indexedDbAdapterSuite();

window.conformance = {
  count: recordedCount,
  run: () => runRecorded(),
  async writeOverQuota(bytes) {
    const name = 'over-quota';
    const store = await IndexedDbLocalStore.open(name);
    const first = record({ recordId: new Uint8Array(16).fill(1) });
    await store.applyLocal(first, { recordId: first.recordId, bytes: new Uint8Array(64).fill(1) });
    const big = record({ recordId: new Uint8Array(16).fill(2) });
    // Random bytes, so the browser cannot compress its way under the quota.
    const envelope = new Uint8Array(bytes);
    for (let at = 0; at < bytes; at += 65_536) crypto.getRandomValues(envelope.subarray(at, Math.min(bytes, at + 65_536)));
    let code: string | null = null;
    let message = '';
    try {
      await store.applyLocal(big, { recordId: big.recordId, bytes: envelope });
    } catch (error) {
      code = isMultikeySyncError(error) ? error.code : String(error);
      message = error instanceof Error ? error.message : '';
    }
    const result = {
      code,
      message,
      recordStored: (await store.getRecord(big.collection, big.recordId)) !== null,
      outbox: await store.outboxSize(),
      earlier: (await store.getRecord(first.collection, first.recordId)) !== null,
    };
    await store.close();
    await IndexedDbLocalStore.delete(name);
    return result;
  },
};
