import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPaddedLength, pad, paddedLength, unpad } from '../../src/core/padding.js';
import { CodecError, ValidationError } from '../../src/errors.js';

const numRuns = Number(process.env.FC_RUNS ?? 200);

/** Padmé exactly as the PURBs paper writes it, in BigInt so nothing can round. */
function padmeReference(n: number): number {
  const m = BigInt(n) + 1n;
  if (m <= 256n) return 256;
  const e = BigInt(m.toString(2).length - 1);
  const s = BigInt(e.toString(2).length);
  const mask = (1n << (e - s)) - 1n;
  return Number((m + mask) & ~mask);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return (error as CodecError).code;
  }
  throw new Error('expected a throw');
}

describe('paddedLength', () => {
  it.each([
    [0, 256],
    [1, 256],
    [120, 256],
    [254, 256],
    [255, 256],
    [256, 272],
    [271, 272],
    [272, 288],
    [511, 512],
    [512, 544],
    [1000, 1024],
    [1023, 1024],
    [1024, 1088],
    [65_535, 65_536],
    [65_536, 67_584],
    [1_000_000, 1_015_808],
    [64 * 1024 * 1024, 69_206_016],
    [2 ** 31 - 1, 2 ** 31],
    [2 ** 31, 2_214_592_512],
    [2 ** 32, 4_362_076_160],
    [2 ** 40 + 12_345, 1_116_691_496_960],
  ])('pads %i bytes of data to %i', (n, expected) => {
    expect(paddedLength(n)).toBe(expected);
    expect(padmeReference(n)).toBe(expected);
  });

  it('matches the paper formula, including above 2^31', () => {
    const n = fc.oneof(fc.nat(70_000), fc.nat(), fc.integer({ min: 0, max: 2 ** 48 }));
    fc.assert(
      fc.property(n, (len) => {
        expect(paddedLength(len)).toBe(padmeReference(len));
      }),
      { numRuns },
    );
  });

  it('always leaves room for the marker and never shrinks as data grows', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 30), fc.nat(1000), (n, extra) => {
        expect(paddedLength(n)).toBeGreaterThan(n);
        expect(paddedLength(n + extra)).toBeGreaterThanOrEqual(paddedLength(n));
      }),
      { numRuns },
    );
  });

  it('costs at most 12% (in fact 6.25%) above 256 bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 256, max: 64 * 1024 * 1024 }), (n) => {
        const overhead = (paddedLength(n) - n) / n;
        expect(overhead).toBeLessThanOrEqual(0.12);
        expect(overhead).toBeLessThanOrEqual(0.0625);
      }),
      { numRuns },
    );
  });

  it.each([-1, 0.5, NaN, Infinity, Number.MAX_SAFE_INTEGER])('refuses %s', (n) => {
    let error: unknown;
    try {
      paddedLength(n);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('PADDING_LENGTH_INVALID');
  });
});

describe('isPaddedLength', () => {
  it('is true exactly for the sizes paddedLength produces', () => {
    const image = new Set<number>();
    for (let n = 0; n < 20_000; n++) image.add(paddedLength(n));
    for (let len = 0; len <= paddedLength(19_999); len++) {
      expect(isPaddedLength(len)).toBe(image.has(len));
    }
  });

  it('is false for non-integers without throwing', () => {
    for (const len of [-256, 256.5, NaN, Infinity]) expect(isPaddedLength(len)).toBe(false);
  });
});

describe('pad and unpad', () => {
  it('makes every small record the same size', () => {
    for (const n of [0, 1, 96, 122, 255]) expect(pad(new Uint8Array(n)).length).toBe(256);
  });

  it('appends 0x80 then zeros', () => {
    const padded = pad(Uint8Array.of(1, 2, 3));
    expect(Array.from(padded.subarray(0, 5))).toEqual([1, 2, 3, 0x80, 0]);
    expect(padded.subarray(4).every((b) => b === 0)).toBe(true);
  });

  it('gets back data that itself ends in 0x80 and zeros', () => {
    const data = Uint8Array.of(7, 0x80, 0, 0);
    expect(unpad(pad(data))).toEqual(data);
  });

  it('round-trips any data, and unpad returns a view rather than a copy', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
        const padded = pad(data);
        expect(padded.length).toBe(paddedLength(data.length));
        const out = unpad(padded);
        expect(out).toEqual(data);
        expect(out.buffer).toBe(padded.buffer);
      }),
      { numRuns },
    );
  });

  describe('unpad refuses', () => {
    it('a length pad cannot produce', () => {
      for (const len of [0, 1, 255, 257, 300]) {
        const bytes = new Uint8Array(len);
        if (len > 0) bytes[0] = 0x80;
        expect(codeOf(() => unpad(bytes))).toBe('PADDING_INVALID');
      }
    });

    it('all zeros (no marker)', () => {
      expect(codeOf(() => unpad(new Uint8Array(256)))).toBe('PADDING_INVALID');
    });

    it('a last non-zero byte other than 0x80', () => {
      const padded = pad(Uint8Array.of(1, 2, 3));
      padded[3] = 0x81;
      expect(codeOf(() => unpad(padded))).toBe('PADDING_INVALID');
      padded[3] = 0x80;
      padded[200] = 1;
      expect(codeOf(() => unpad(padded))).toBe('PADDING_INVALID');
    });

    it('more padding than the data length calls for', () => {
      // 10 bytes of data pad to 256, so a 272-byte buffer with its marker at 10 is forged.
      const forged = new Uint8Array(272);
      forged[10] = 0x80;
      expect(codeOf(() => unpad(forged))).toBe('PADDING_INVALID');
    });

    it('a padding byte corrupted into anything but 0x80', () => {
      // Writing 0x80 into the padding moves the marker and can still parse: padding is no
      // integrity check, the AEAD around it is.
      const flip = fc.integer({ min: 1, max: 255 }).filter((x) => x !== 0x80);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), flip, (data, at, mask) => {
          const padded = pad(data);
          const i = data.length + (at % (padded.length - data.length));
          padded[i] = padded[i]! ^ mask;
          expect(codeOf(() => unpad(padded))).toBe('PADDING_INVALID');
        }),
        { numRuns },
      );
    });
  });
});
