/**
 * Property test against a reference model written independently of the adapters: random
 * batches over a few record ids, revisions, senders and bodies (so duplicates, ties and
 * supersessions are common); after each batch the outcomes and the pulled state must match.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnvelopeInput, PutOutcome } from '../../../src/storage/index.js';
import { filled, newAccount, pullAll, PROPERTY_RUNS, useStore, type MakeStore } from '../fixtures.js';

const arbItem = fc.record({
  record: fc.integer({ min: 0, max: 2 }),
  revision: fc.integer({ min: 0, max: 3 }),
  sender: fc.constantFrom(0x01, 0x80, 0xff),
  kind: fc.constantFrom('record' as const, 'tombstone' as const),
  body: fc.integer({ min: 0, max: 1 }),
});

type Spec = typeof arbItem extends fc.Arbitrary<infer T> ? T : never;

function build(spec: Spec): EnvelopeInput {
  return {
    recordId: filled(16, spec.record),
    revision: spec.revision,
    sender: filled(16, spec.sender),
    kind: spec.kind,
    expiryDay: 0,
    bytes: Uint8Array.of(spec.revision, spec.sender, spec.body, spec.kind === 'record' ? 1 : 2),
  };
}

/** The model: a map from record to its winning spec. */
function modelPut(model: Map<number, Spec>, spec: Spec): PutOutcome {
  const current = model.get(spec.record);
  const newer =
    current === undefined ||
    spec.revision > current.revision ||
    (spec.revision === current.revision && spec.sender > current.sender);
  if (newer) {
    model.set(spec.record, spec);
    return 'stored';
  }
  const same =
    current.revision === spec.revision && current.sender === spec.sender && current.kind === spec.kind && current.body === spec.body;
  return same ? 'duplicate' : 'superseded';
}

export function modelSuite(makeStore: MakeStore): void {
  describe('model', () => {
    const store = useStore(makeStore);

    it('matches the reference model on random batches', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(arbItem, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), async (batches) => {
          const s = store();
          const id = await newAccount(s);
          const model = new Map<number, Spec>();
          let bytesUsed = 0;
          for (const batch of batches) {
            const expected = batch.map((spec) => modelPut(model, spec));
            expect(await s.putEnvelopes(id, batch.map(build))).toEqual(expected);
          }
          const pulled = await pullAll(s, id, 0, 2);
          const expectedState = [...model.values()].map(build).sort((a, b) => (a.recordId[0] as number) - (b.recordId[0] as number));
          const state = pulled
            .map(({ cursor: _cursor, ...rest }) => rest)
            .sort((a, b) => (a.recordId[0] as number) - (b.recordId[0] as number));
          expect(state).toEqual(expectedState);
          for (const e of expectedState) bytesUsed += e.bytes.length;
          expect(await s.usage(id)).toEqual({ bytes: bytesUsed, envelopes: model.size });
        }),
        { numRuns: PROPERTY_RUNS },
      );
    });
  });
}
