/**
 * The one conformance suite every `Store` adapter must pass. An adapter's test file calls
 * `storeConformance(name, makeStore)`; `makeStore(limits?)` returns a fresh, empty store
 * (with the given quota limits) and a cleanup. Each test gets its own store.
 */
import { describe } from 'vitest';
import { chainSuite } from './conformance/chain.js';
import { ephemeralSuite } from './conformance/ephemeral.js';
import { envelopeSuite } from './conformance/envelopes.js';
import { expirySuite } from './conformance/expiry.js';
import { lifecycleSuite } from './conformance/lifecycle.js';
import { logCutSuite } from './conformance/logCut.js';
import { logModelSuite } from './conformance/logModel.js';
import { logSuite } from './conformance/logs.js';
import { modelSuite } from './conformance/model.js';
import { purgeSuite } from './conformance/purge.js';
import { quotaSuite } from './conformance/quota.js';
import { validationSuite } from './conformance/validation.js';
import { watchSuite } from './conformance/watch.js';
import type { MakeStore } from './fixtures.js';

export type { MakeStore, StoreHarness } from './fixtures.js';

/** Defines the conformance tests for the adapter called `name`. */
export function storeConformance(name: string, makeStore: MakeStore): void {
  describe(`${name} conformance`, () => {
    chainSuite(makeStore);
    envelopeSuite(makeStore);
    quotaSuite(makeStore);
    expirySuite(makeStore);
    purgeSuite(makeStore);
    logSuite(makeStore);
    logCutSuite(makeStore);
    ephemeralSuite(makeStore);
    watchSuite(makeStore);
    validationSuite(makeStore);
    lifecycleSuite(makeStore);
    modelSuite(makeStore);
    logModelSuite(makeStore);
  });
}
