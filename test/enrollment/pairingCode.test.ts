import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { createPairingCode, pairingCodeSecret, parsePairingCode } from '../../src/enrollment/pairingCode.js';
import { FC_RUNS } from '../support/devices.js';

const codes = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => {
  let first = true;
  // The first draw is the property's bytes; later draws (rarely needed) are fixed.
  return createPairingCode((n) => (first ? ((first = false), bytes) : new Uint8Array(n)));
});

describe('pairing code', () => {
  it('is 10 digits shown as 4-4-2, and parses back whatever the separators', () => {
    const code = createPairingCode();
    expect(code).toMatch(/^\d{4}-\d{4}-\d{2}$/);
    const digits = code.replace(/-/g, '');
    expect(parsePairingCode(code)).toBe(digits);
    expect(parsePairingCode(` ${digits.slice(0, 5)} ${digits.slice(5)} `)).toBe(digits);
  });

  it('every single-digit typo and every swap of neighbours is caught', () => {
    fc.assert(
      fc.property(codes, fc.nat(9), fc.integer({ min: 1, max: 9 }), (code, at, delta) => {
        const d = code.replace(/-/g, '');
        const typo = d.slice(0, at) + String((Number(d[at]) + delta) % 10) + d.slice(at + 1);
        expect(() => parsePairingCode(typo)).toThrowError(expect.objectContaining({ code: 'PAIRING_CODE_INVALID' }));
        if (at < 9 && d[at] !== d[at + 1]) {
          const swapped = d.slice(0, at) + d[at + 1] + d[at] + d.slice(at + 2);
          expect(() => parsePairingCode(swapped)).toThrowError(expect.objectContaining({ code: 'PAIRING_CODE_INVALID' }));
        }
      }),
      { numRuns: FC_RUNS },
    );
  });

  it('refuses what is not a code, and keys the mailbox by the digits alone', async () => {
    for (const bad of ['', '123', '12345678901', 'abcd-efgh-ij', 42 as unknown as string]) {
      expect(() => parsePairingCode(bad)).toThrowError(expect.objectContaining({ code: 'PAIRING_CODE_INVALID' }));
    }
    const { suite } = await Device.generate();
    const code = createPairingCode();
    expect(pairingCodeSecret(suite, code)).toEqual(pairingCodeSecret(suite, code.replace(/-/g, ' ')));
    expect(pairingCodeSecret(suite, code)).toHaveLength(32);
  });
});
