/**
 * The conformance suite every `LocalStore` adapter must pass. An adapter's test file calls
 * `localStoreConformance(name, makeStore)`; `makeStore()` returns a fresh, empty store and a
 * cleanup. Each test gets its own store.
 */
import { describe } from 'vitest';
import { contentKeysSuite } from './conformance/contentKeys.js';
import { extrasSuite } from './conformance/extras.js';
import { heldSuite } from './conformance/held.js';
import { keyedListingSuite } from './conformance/keyedListing.js';
import { lifecycleSuite } from './conformance/lifecycle.js';
import { mergeSuite } from './conformance/merge.js';
import { expirySuite, metaSuite } from './conformance/metaExpiry.js';
import { outboxSuite } from './conformance/outbox.js';
import { pagingSuite } from './conformance/paging.js';
import { readerOrderSuite } from './conformance/readerOrder.js';
import { recordsSuite } from './conformance/records.js';
import { versionIndexSuite } from './conformance/versionIndex.js';
import type { MakeLocalStore } from './fixtures.js';

export type { MakeLocalStore } from './fixtures.js';

/** Defines the conformance tests for the adapter called `name`. */
export function localStoreConformance(name: string, makeStore: MakeLocalStore): void {
  describe(`${name} conformance`, () => {
    recordsSuite(makeStore);
    pagingSuite(makeStore);
    mergeSuite(makeStore);
    readerOrderSuite(makeStore);
    outboxSuite(makeStore);
    metaSuite(makeStore);
    expirySuite(makeStore);
    heldSuite(makeStore);
    contentKeysSuite(makeStore);
    versionIndexSuite(makeStore);
    extrasSuite(makeStore);
    keyedListingSuite(makeStore);
    lifecycleSuite(makeStore);
  });
}
