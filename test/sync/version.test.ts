import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMultikeySyncError } from '../../src/errors.js';
import { compareVersions as serverCompare } from '../../src/storage/supersession.js';
import { compareVersions, isNewer, MAX_REVISION, nextRevision, type Version } from '../../src/sync/version.js';

const FC_RUNS = Number(process.env.FC_RUNS ?? 100);

const version: fc.Arbitrary<Version> = fc.record({
  revision: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: MAX_REVISION })),
  sender: fc.uint8Array({ minLength: 16, maxLength: 16 }),
});

describe('version order', () => {
  it('orders by revision first, then by sender bytes', () => {
    const low = new Uint8Array(16).fill(0x01);
    const high = new Uint8Array(16).fill(0x01);
    high[15] = 0x02;
    expect(compareVersions({ revision: 2, sender: low }, { revision: 1, sender: high })).toBe(1);
    expect(compareVersions({ revision: 1, sender: high }, { revision: 1, sender: low })).toBe(1);
    expect(compareVersions({ revision: 1, sender: low }, { revision: 1, sender: high })).toBe(-1);
    expect(compareVersions({ revision: 1, sender: low }, { revision: 1, sender: low.slice() })).toBe(0);
    expect(isNewer({ revision: 1, sender: high }, { revision: 1, sender: low })).toBe(true);
    expect(isNewer({ revision: 1, sender: low }, { revision: 1, sender: low })).toBe(false);
  });

  it('is a total order that agrees with the server', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        const ab = compareVersions(a, b);
        expect(compareVersions(b, a)).toBe(-ab || 0);
        expect(Math.sign(serverCompare(a, b))).toBe(ab);
        if (ab <= 0 && compareVersions(b, c) <= 0) expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: FC_RUNS },
    );
  });

  it('gives a new write a revision that beats every version its writer has seen', () => {
    fc.assert(
      fc.property(fc.array(version, { minLength: 1 }), version, (seen, writer) => {
        const top = seen.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
        fc.pre(top.revision < MAX_REVISION);
        const mine = { revision: nextRevision(top), sender: writer.sender };
        for (const v of seen) expect(isNewer(mine, v)).toBe(true);
      }),
      { numRuns: FC_RUNS },
    );
    expect(nextRevision(null)).toBe(1);
  });

  it('refuses to go past the highest revision a header can carry', () => {
    let caught: unknown;
    try {
      nextRevision({ revision: MAX_REVISION, sender: new Uint8Array(16) });
    } catch (error) {
      caught = error;
    }
    expect(isMultikeySyncError(caught, 'REVISION_EXHAUSTED')).toBe(true);
  });
});
