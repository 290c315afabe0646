import { randomFillSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CBOR_LIMITS,
  decodeValue,
  encodeCanonical,
  encodeValue,
} from '../../src/core/cbor.js';
import { CodecError, UsageError, ValidationError } from '../../src/errors.js';

const numRuns = Number(process.env.FC_RUNS ?? 200);
const limitRuns = Number(process.env.FC_RUNS ?? 100);

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (h: string): Uint8Array =>
  Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function decodeCode(bytes: Uint8Array, limits?: Parameters<typeof decodeValue>[1]): string {
  const error = errorOf(() => decodeValue(bytes, limits));
  expect(error).toBeInstanceOf(CodecError);
  return (error as CodecError).code;
}

function encodeCode(encode: (v: unknown) => Uint8Array, value: unknown): string {
  const error = errorOf(() => encode(value));
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).code;
}

/** Header of an array/map/string with an 8-byte argument. */
function head64(major: number, high: number, low: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = (major << 5) | 27;
  new DataView(out.buffer).setUint32(1, high);
  new DataView(out.buffer).setUint32(5, low);
  return out;
}

/** Head of a text string shorter than 256 bytes. */
function textHead(length: number): number[] {
  return length < 24 ? [0x60 | length] : [0x78, length];
}

/** `depth` arrays, each holding the next; the innermost is empty. */
function nestedArrays(depth: number): Uint8Array {
  const out = new Uint8Array(depth).fill(0x81);
  out[depth - 1] = 0x80;
  return out;
}

// Values of the data model. -0 is left out because it deliberately encodes as 0; integral
// doubles outside the safe range are refused, so they are left out too.
const key = fc.string({ unit: 'binary', maxLength: 8 }).filter((k) => k !== '__proto__');
const double = fc
  .double()
  .filter((d) => !Object.is(d, -0) && (!Number.isInteger(d) || Number.isSafeInteger(d)));
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  double,
  fc.string({ unit: 'binary' }),
  fc.uint8Array({ maxLength: 40 }),
);
const { value: cborValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    leaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
}));

describe('encodeValue', () => {
  it('writes plain objects as ordinary CBOR maps in insertion order', () => {
    expect(hex(encodeValue({ b: 'x', a: 1 }))).toBe('a261626178616101');
    expect(hex(encodeValue({ a: 1, b: [2, 3] }))).toBe('a26161016162820203');
  });

  it('writes Uint8Array (and Buffer) as an untagged byte string', () => {
    expect(hex(encodeValue(new Uint8Array([1, 2, 3, 4])))).toBe('4401020304');
    expect(hex(encodeValue(Buffer.from([1, 2])))).toBe('420102');
  });

  it('returns a plain Uint8Array that owns its memory', () => {
    const bytes = encodeValue({ a: 1 });
    expect(bytes.constructor).toBe(Uint8Array);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
  });

  it.each([
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set([1])],
    ['a Date', new Date(0)],
    ['a RegExp', /x/],
    ['an Error', new Error('x')],
    ['a class instance', new (class Point { x = 1; })()],
    ['a Uint16Array', new Uint16Array(2)],
    ['an ArrayBuffer', new ArrayBuffer(2)],
    ['a DataView', new DataView(new ArrayBuffer(2))],
    ['an Array subclass', (class List extends Array {}).from([1])],
    [
      'an iterable null-prototype object',
      Object.assign(Object.create(null) as object, { [Symbol.iterator]: [][Symbol.iterator] }),
    ],
    ['a BigInt', 1n],
    ['a symbol', Symbol('s')],
    ['a function', () => 1],
    ['undefined', undefined],
    ['undefined as a property value', { a: undefined }],
    ['an array hole', [1, , 3]],
    ['an integer beyond 2^53-1', 2 ** 53],
    ['a lone surrogate', 'a\ud800'],
    ['a lone surrogate in a key', { '\udc00': 1 }],
    ['an own __proto__ key', JSON.parse('{"__proto__": 1}')],
    ['a Map nested in an object', { a: [{ b: new Map() }] }],
  ])('refuses %s instead of writing a cbor-x extension', (_, value) => {
    expect(encodeCode(encodeValue, value)).toBe('CBOR_UNSUPPORTED_VALUE');
    expect(encodeCode(encodeCanonical, value)).toBe('CBOR_UNSUPPORTED_VALUE');
  });

  it('refuses cycles and nesting deeper than the default decode limit', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    let deep: unknown = 0;
    for (let i = 0; i <= DEFAULT_CBOR_LIMITS.maxDepth; i++) deep = [deep];
    for (const encode of [encodeValue, encodeCanonical]) {
      expect(encodeCode(encode, cycle)).toBe('CBOR_UNSUPPORTED_VALUE');
      expect(encodeCode(encode, deep)).toBe('CBOR_UNSUPPORTED_VALUE');
      expect(() => encode((deep as unknown[])[0])).not.toThrow();
    }
  });

  it('accepts null-prototype objects', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(hex(encodeValue(bare))).toBe('a1616101');
    expect(hex(encodeCanonical(bare))).toBe('a1616101');
  });

  it('round-trips every value of the data model through decodeValue', () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        expect(decodeValue(encodeValue(value))).toEqual(value);
      }),
      { numRuns },
    );
  });
});

describe('encoding limits', () => {
  const { maxBytes, maxItems, maxStringBytes } = DEFAULT_CBOR_LIMITS;
  const encoders = [
    ['encodeValue', encodeValue],
    ['encodeCanonical', encodeCanonical],
  ] as const;
  const UNLIMITED = {
    maxBytes: Number.MAX_SAFE_INTEGER,
    maxItems: Number.MAX_SAFE_INTEGER,
    maxStringBytes: Number.MAX_SAFE_INTEGER,
  };

  /** The limit named by a CBOR_LIMIT_EXCEEDED error, checking its class and code. */
  function limitOf(fn: () => unknown): string | undefined {
    const error = errorOf(fn);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('CBOR_LIMIT_EXCEEDED');
    return /\((max\w+)\)/.exec((error as Error).message)?.[1];
  }

  describe.each(encoders)('%s', (_, encode) => {
    it('counts items as the decoder does, keys included', () => {
      // {"a": [1, 2]}: map, key, array, 1, 2 = 5 items.
      expect(decodeValue(encode({ a: [1, 2] }, { maxItems: 5 }), { maxItems: 5 })).toEqual({
        a: [1, 2],
      });
      expect(limitOf(() => encode({ a: [1, 2] }, { maxItems: 4 }))).toBe('maxItems');
      expect(limitOf(() => encode(0, { maxItems: 0 }))).toBe('maxItems');
      expect(decodeValue(encode(new Array(maxItems - 1).fill(0)))).toHaveLength(maxItems - 1);
      expect(limitOf(() => encode(new Array(maxItems).fill(0)))).toBe('maxItems');
      // A map of 4 999 entries is 9 999 items; `last: [0]` brings it to exactly 10 000.
      const entries = Array.from({ length: (maxItems - 2) / 2 - 1 }, (_, i) => [`k${i}`, i]);
      const fits = { ...Object.fromEntries(entries), last: [0] };
      expect(Object.keys(decodeValue(encode(fits)) as object)).toHaveLength(entries.length + 1);
      expect(limitOf(() => encode({ ...fits, last: [0, 0] }))).toBe('maxItems');
    });

    it('refuses a huge array by its length, before visiting its elements', () => {
      const huge = new Array(100_000_000);
      let visited = 0;
      Object.defineProperty(huge, 0, { get: () => ((visited += 1), 0), enumerable: true });
      expect(limitOf(() => encode(huge))).toBe('maxItems');
      expect(visited).toBe(0);
    });

    it.each([
      ['ASCII', 'x', 1],
      ['two-byte', '\u00e9', 2],
      ['three-byte', '\u4e00', 3],
      ['four-byte (a surrogate pair)', '\u{1f600}', 4],
    ])('bounds %s text strings and keys by their UTF-8 bytes', (_, unit, width) => {
      const fits = unit.repeat(Math.floor(maxStringBytes / width));
      const over = fits + unit;
      expect(decodeValue(encode(fits))).toBe(fits);
      expect(limitOf(() => encode(over))).toBe('maxStringBytes');
      expect(decodeValue(encode({ [fits]: 1 }))).toEqual({ [fits]: 1 });
      expect(limitOf(() => encode({ [over]: 1 }))).toBe('maxStringBytes');
    });

    it('bounds byte strings', () => {
      expect(decodeValue(encode(new Uint8Array(maxStringBytes)))).toHaveLength(maxStringBytes);
      expect(limitOf(() => encode([new Uint8Array(maxStringBytes + 1)]))).toBe('maxStringBytes');
    });

    it('bounds the encoded size', () => {
      // Each element takes 5 + 65 536 bytes, so 16 of them pass 1 MiB and 15 do not.
      const chunk = new Uint8Array(maxStringBytes);
      const fits = encode(new Array(15).fill(chunk));
      expect(fits.length).toBeLessThanOrEqual(maxBytes);
      expect(decodeValue(fits)).toHaveLength(15);
      expect(limitOf(() => encode(new Array(16).fill(chunk)))).toBe('maxBytes');
      const small = encode({ a: 'xyz' });
      expect(encode({ a: 'xyz' }, { maxBytes: small.length })).toEqual(small);
      expect(limitOf(() => encode({ a: 'xyz' }, { maxBytes: small.length - 1 }))).toBe(
        'maxBytes',
      );
    });

    it('takes the depth limit from the limits, still as CBOR_UNSUPPORTED_VALUE', () => {
      expect(encode([[1]], { maxDepth: 2 })).toBeInstanceOf(Uint8Array);
      expect(encodeCode((v) => encode(v, { maxDepth: 1 }), [[1]])).toBe('CBOR_UNSUPPORTED_VALUE');
    });

    it('accepts raised limits and refuses nonsense ones', () => {
      const big = 'x'.repeat(maxStringBytes + 1);
      expect(decodeValue(encode(big, UNLIMITED), UNLIMITED)).toBe(big);
      for (const bad of [NaN, -1, 1.5, Infinity]) {
        const error = errorOf(() => encode(0, { maxItems: bad }));
        expect(error).toBeInstanceOf(UsageError);
        expect((error as UsageError).code).toBe('CBOR_LIMITS_INVALID');
      }
    });

    it('never puts the value in the error message', () => {
      const secret = '+14155550123'.repeat(10_000);
      expect((errorOf(() => encode({ peer: secret })) as Error).message).not.toContain('4155');
    });
  });

  // Values that cross each default limit from either side: strings and byte strings around
  // 64 KiB, arrays around 10 000 items, and lists of big strings around 1 MiB.
  const unit = fc.string({ unit: 'binary', minLength: 1, maxLength: 3 });
  const nearLimitText = fc
    .tuple(unit, fc.integer({ min: -4, max: 4 }))
    .map(([u, d]) => u.repeat(Math.max(1, Math.floor(maxStringBytes / utf8(u).length) + d)));
  const nearLimitBytes = fc
    .integer({ min: maxStringBytes - 4, max: maxStringBytes + 4 })
    .map((n) => new Uint8Array(n));
  const bigLeaf = fc.oneof(nearLimitText, nearLimitBytes);
  const nearLimitList = fc
    .tuple(
      fc.integer({ min: maxStringBytes - 16, max: maxStringBytes }),
      fc.integer({ min: 15, max: 17 }),
      fc.boolean(),
    )
    .map(([size, n, text]) => {
      const chunk = text ? 'x'.repeat(size) : new Uint8Array(size);
      return new Array<unknown>(n).fill(chunk);
    });
  const count = fc.oneof(fc.nat(300), fc.integer({ min: maxItems - 40, max: maxItems + 10 }));
  const jsonLike = fc.oneof(
    cborValue,
    bigLeaf,
    fc.array(fc.oneof(cborValue, bigLeaf), { maxLength: 18 }),
    fc.dictionary(key, fc.oneof(cborValue, bigLeaf), { maxKeys: 4, noNullPrototype: true }),
    nearLimitList,
    fc.tuple(leaf, count).map(([v, n]) => new Array<unknown>(n).fill(v)),
    fc.tuple(cborValue, count).map(([v, n]) => ({ list: new Array<unknown>(n).fill(v) })),
  );

  it.each(encoders)(
    'whatever %s accepts, decodeValue with default limits accepts, and the converse',
    (_, encode) => {
      fc.assert(
        fc.property(jsonLike, (value) => {
          let bytes: Uint8Array;
          try {
            bytes = encode(value);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            expect((error as ValidationError).code).toBe('CBOR_LIMIT_EXCEEDED');
            // Not over-strict: the same value written without limits is refused on reading.
            const code = decodeCode(encode(value, UNLIMITED));
            expect(['CBOR_TOO_LARGE', 'CBOR_TOO_MANY_ITEMS']).toContain(code);
            return;
          }
          // Canonical bytes stand in for deep equality, which is slow on megabyte values.
          const decoded = encodeCanonical(decodeValue(bytes), UNLIMITED);
          expect(Buffer.from(decoded).equals(encodeCanonical(value, UNLIMITED))).toBe(true);
        }),
        { numRuns: limitRuns },
      );
    },
  );
});

describe('encodeCanonical', () => {
  // Expected bytes from RFC 8949 Appendix A, except that integral numbers are integers here.
  it.each([
    [0, '00'],
    [23, '17'],
    [24, '1818'],
    [100, '1864'],
    [1000, '1903e8'],
    [1_000_000, '1a000f4240'],
    [1_000_000_000_000, '1b000000e8d4a51000'],
    [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    [-1, '20'],
    [-1000, '3903e7'],
    [-Number.MAX_SAFE_INTEGER, '3b001ffffffffffffe'],
    [-0, '00'],
    [-4, '23'],
    [65504, '19ffe0'],
    [1.1, 'fb3ff199999999999a'],
    [1.5, 'f93e00'],
    [100000.5, 'fa47c35040'],
    [5.960464477539063e-8, 'f90001'],
    [0.00006103515625, 'f90400'],
    [-4.1, 'fbc010666666666666'],
    [Infinity, 'f97c00'],
    [-Infinity, 'f9fc00'],
    [NaN, 'f97e00'],
    [false, 'f4'],
    [true, 'f5'],
    [null, 'f6'],
    ['', '60'],
    ['IETF', '6449455446'],
    ['"\\', '62225c'],
    ['\u00fc', '62c3bc'],
    ['\u6c34', '63e6b0b4'],
    ['\ud800\udd51', '64f0908591'],
    [new Uint8Array(0), '40'],
    [unhex('01020304'), '4401020304'],
    [[], '80'],
    [[1, [2, 3], [4, 5]], '8301820203820405'],
    [
      Array.from({ length: 25 }, (_, i) => i + 1),
      '98190102030405060708090a0b0c0d0e0f101112131415161718181819',
    ],
    [{}, 'a0'],
    [['a', { b: 'c' }], '826161a161626163'],
    [{ e: 'E', d: 'D', c: 'C', b: 'B', a: 'A' }, 'a56161614161626142616361436164614461656145'],
  ])('encodes %o as %s', (value, expected) => {
    expect(hex(encodeCanonical(value))).toBe(expected);
  });

  it('sorts keys length-first, then bytewise, whatever JavaScript does with integer keys', () => {
    // JavaScript iterates "10" first; canonical order is a, b, 10, aa.
    const value = { aa: 4, b: 2, a: 1, 10: 3 };
    expect(hex(encodeCanonical(value))).toBe('a46161016162026231300362616104');
  });

  it('sorts by UTF-8 bytes, not UTF-16 units (U+E000 sorts before U+10000)', () => {
    const value = { '\u{10000}': 1, '\ue000a': 2 };
    expect(hex(encodeCanonical(value))).toBe('a264ee8080610264f090808001');
  });

  it('gives the same bytes whatever the key insertion order', () => {
    const entries = fc.uniqueArray(fc.tuple(key, cborValue), {
      selector: ([k]) => k,
      maxLength: 8,
    });
    fc.assert(
      fc.property(entries, fc.nat(), (pairs, seed) => {
        const shuffled = [...pairs].sort(
          (a, b) => ((hashOf(a[0]) ^ seed) >>> 0) - ((hashOf(b[0]) ^ seed) >>> 0),
        );
        expect(encodeCanonical(Object.fromEntries(shuffled))).toEqual(
          encodeCanonical(Object.fromEntries(pairs)),
        );
      }),
      { numRuns },
    );
  });

  it('orders keys exactly as sorting their encoded bytes would', () => {
    const keys = fc.uniqueArray(key, { maxLength: 10 });
    fc.assert(
      fc.property(keys, (ks) => {
        const sorted = ks
          .map(utf8)
          .sort((a, b) => a.length - b.length || Buffer.compare(a, b));
        const expected = [0xa0 | ks.length];
        for (const k of sorted) expected.push(...textHead(k.length), ...k, 0x00);
        const value = Object.fromEntries(ks.map((k) => [k, 0]));
        expect(hex(encodeCanonical(value))).toBe(hex(Uint8Array.from(expected)));
      }),
      { numRuns },
    );
  });

  it('uses the shortest float that keeps the value', () => {
    const halves = allHalfValues();
    fc.assert(
      fc.property(fc.double().filter((d) => !Number.isInteger(d)), (d) => {
        const bytes = encodeCanonical(d);
        expect(Object.is(decodeValue(bytes), d)).toBe(true);
        if (Number.isNaN(d)) expect(hex(bytes)).toBe('f97e00');
        else if (bytes[0] === 0xf9) expect(halves.has(d)).toBe(true);
        else if (bytes[0] === 0xfa) expect(halves.has(d)).toBe(false);
        else expect(Math.fround(d)).not.toBe(d);
      }),
      { numRuns: numRuns * 5 },
    );
    for (const d of halves) {
      if (!Number.isInteger(d)) expect(encodeCanonical(d)[0]).toBe(0xf9);
    }
  });

  it('is a fixed point of decode then re-encode, and agrees with encodeValue', () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        const canonical = encodeCanonical(value);
        expect(decodeValue(canonical)).toEqual(value);
        expect(encodeCanonical(decodeValue(canonical))).toEqual(canonical);
        expect(encodeCanonical(decodeValue(encodeValue(value)))).toEqual(canonical);
      }),
      { numRuns },
    );
  });

  it('returns a fresh array each time, even when called from inside a getter', () => {
    const inner = { get x() { return hex(encodeCanonical({ y: 1 })); } };
    expect(hex(encodeCanonical(inner))).toBe(hex(encodeCanonical({ x: 'a1617901' })));
    const a = encodeCanonical({ a: 1 });
    encodeCanonical({ b: 2 });
    expect(hex(a)).toBe('a1616101');
  });
});

describe('decodeValue', () => {
  it('decodes every accepted kind of item', () => {
    expect(decodeValue(unhex('a56161f4616280616340616420616563616263'))).toEqual({
      a: false,
      b: [],
      c: new Uint8Array(0),
      d: -1,
      e: 'abc',
    });
    expect(decodeValue(unhex('f6'))).toBeNull();
    expect(decodeValue(unhex('f93e00'))).toBe(1.5);
    expect(decodeValue(unhex('fa47c35040'))).toBe(100000.5);
    expect(decodeValue(unhex('fb3ff199999999999a'))).toBe(1.1);
    // Not canonical, still accepted: decodeValue checks structure, not canonical form.
    expect(decodeValue(unhex('1b0000000000000001'))).toBe(1);
  });

  it('decodes integers up to ±(2^53-1) as numbers and refuses larger ones', () => {
    expect(decodeValue(unhex('1b001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeValue(unhex('3b001ffffffffffffe'))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(decodeValue(unhex('1a00010000'))).toBe(65536);
    expect(decodeCode(unhex('1b0020000000000000'))).toBe('CBOR_UNSUPPORTED');
    expect(decodeCode(unhex('3b001fffffffffffff'))).toBe('CBOR_UNSUPPORTED');
    expect(decodeCode(unhex('1bffffffffffffffff'))).toBe('CBOR_UNSUPPORTED');
  });

  it('returns byte strings as plain Uint8Array copies, even from a Buffer', () => {
    const input = Buffer.from('a1616142aabb', 'hex');
    const decoded = decodeValue(input) as { a: Uint8Array };
    expect(decoded.a.constructor).toBe(Uint8Array);
    expect(hex(decoded.a)).toBe('aabb');
    input.fill(0);
    expect(hex(decoded.a)).toBe('aabb');
  });

  it('refuses anything but a Uint8Array as input', () => {
    for (const input of ['a1616101', [0xa0], new ArrayBuffer(1), null]) {
      const error = errorOf(() => decodeValue(input as unknown as Uint8Array));
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).code).toBe('CBOR_INPUT_INVALID');
    }
  });

  it('leaves its input untouched (cbor-x would cache a dataView property on it)', () => {
    const input = unhex('a1616142aabb');
    decodeValue(input);
    expect(Object.keys(input)).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it.each([
    ['empty input', '', 'CBOR_TRUNCATED'],
    ['a head cut short', '19ff', 'CBOR_TRUNCATED'],
    ['a string cut short', '63616263'.slice(0, 6), 'CBOR_TRUNCATED'],
    ['an array missing items', '830102', 'CBOR_TRUNCATED'],
    ['a map missing its last value', 'a2616101616202'.slice(0, 12), 'CBOR_TRUNCATED'],
    ['a second top-level item', '0000', 'CBOR_TRAILING_BYTES'],
    ['a tag', 'c11a00000000', 'CBOR_UNSUPPORTED'],
    ['a tagged byte string (cbor-x typed array)', 'd8404101', 'CBOR_UNSUPPORTED'],
    ['a nested tag', '81d90103a0', 'CBOR_UNSUPPORTED'],
    ['an indefinite byte string', '5f4101ff', 'CBOR_UNSUPPORTED'],
    ['an indefinite text string', '7f6161ff', 'CBOR_UNSUPPORTED'],
    ['an indefinite array', '9f01ff', 'CBOR_UNSUPPORTED'],
    ['an indefinite map', 'bf616101ff', 'CBOR_UNSUPPORTED'],
    ['undefined', 'f7', 'CBOR_UNSUPPORTED'],
    ['an unassigned simple value', 'f0', 'CBOR_UNSUPPORTED'],
    ['a one-byte simple value', 'f820', 'CBOR_UNSUPPORTED'],
    ['an integer map key', 'a10101', 'CBOR_UNSUPPORTED'],
    ['a byte-string map key', 'a1416101', 'CBOR_UNSUPPORTED'],
    ['an array map key', 'a18001', 'CBOR_UNSUPPORTED'],
    ['a __proto__ key', 'a1695f5f70726f746f5f5fa0', 'CBOR_UNSUPPORTED'],
    ['a duplicate key', 'a2616101616102', 'CBOR_DUPLICATE_KEY'],
    ['a duplicate key in a nested map', '81a3616101616202616103', 'CBOR_DUPLICATE_KEY'],
    ['reserved additional information 28', '1c', 'CBOR_MALFORMED'],
    ['reserved additional information 29', '5d', 'CBOR_MALFORMED'],
    ['reserved additional information 30', 'fe', 'CBOR_MALFORMED'],
    ['a stray break', 'ff', 'CBOR_MALFORMED'],
    ['an indefinite integer', '1f', 'CBOR_MALFORMED'],
    ['a lone continuation byte', '6180', 'CBOR_MALFORMED'],
    ['an overlong encoding', '62c080', 'CBOR_MALFORMED'],
    ['a UTF-8 surrogate', '63eda080', 'CBOR_MALFORMED'],
    ['a code point above U+10FFFF', '64f4908080', 'CBOR_MALFORMED'],
    ['a truncated UTF-8 sequence', '62e282', 'CBOR_MALFORMED'],
  ])('refuses %s', (_, input, code) => {
    expect(decodeCode(unhex(input))).toBe(code);
  });

  it('tells a duplicate key apart from the same key in sibling and nested maps', () => {
    expect(decodeValue(unhex('82a1616101a1616102'))).toEqual([{ a: 1 }, { a: 2 }]);
    expect(decodeValue(unhex('a26161a1616101616202'))).toEqual({
      a: { a: 1 },
      b: 2,
    });
    expect(decodeCode(unhex('a26161a1616201616102'))).toBe('CBOR_DUPLICATE_KEY');
  });

  it('finds a duplicate key in a large map as well as in a small one', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const unique = encodeCanonical(Object.fromEntries(keys.map((k) => [k, 0])));
    expect(Object.keys(decodeValue(unique) as object)).toHaveLength(40);
    // Rename the last key to an earlier one of the same length: k39 -> k12.
    const duplicate = unique.slice();
    const at = hex(duplicate).lastIndexOf('636b3339') / 2;
    duplicate.set(utf8('k12'), at + 1);
    expect(decodeCode(duplicate)).toBe('CBOR_DUPLICATE_KEY');
  });

  it('never puts values in error messages', () => {
    const error = errorOf(() => decodeValue(encodeDuplicate('+14155550123'))) as Error;
    expect(error.message).not.toContain('4155550123');
  });

  describe('limits', () => {
    it('counts nesting from 1 at the top-level container', () => {
      expect(decodeValue(nestedArrays(16))).toBeDefined();
      expect(decodeCode(nestedArrays(17))).toBe('CBOR_TOO_DEEP');
      expect(decodeValue(unhex('a1616180'), { maxDepth: 2 })).toEqual({ a: [] });
      expect(decodeCode(unhex('a1616180'), { maxDepth: 1 })).toBe('CBOR_TOO_DEEP');
      expect(decodeValue(unhex('01'), { maxDepth: 0 })).toBe(1);
      expect(decodeCode(unhex('80'), { maxDepth: 0 })).toBe('CBOR_TOO_DEEP');
    });

    it('counts every item, keys included', () => {
      // {"a": [1, 2]}: map, key, array, 1, 2 = 5 items.
      const bytes = unhex('a16161820102');
      expect(decodeValue(bytes, { maxItems: 5 })).toEqual({ a: [1, 2] });
      expect(decodeCode(bytes, { maxItems: 4 })).toBe('CBOR_TOO_MANY_ITEMS');
      const many = encodeValue(new Array(10_000).fill(0), { maxItems: 10_001 });
      expect(decodeCode(many)).toBe('CBOR_TOO_MANY_ITEMS');
      expect(decodeValue(encodeValue(new Array(9_999).fill(0)))).toHaveLength(9_999);
    });

    it('bounds the input size and each string', () => {
      const bytes = encodeValue('x'.repeat(100));
      expect(decodeValue(bytes, { maxBytes: bytes.length })).toHaveLength(100);
      expect(decodeCode(bytes, { maxBytes: bytes.length - 1 })).toBe('CBOR_TOO_LARGE');
      expect(decodeValue(bytes, { maxStringBytes: 100 })).toHaveLength(100);
      expect(decodeCode(bytes, { maxStringBytes: 99 })).toBe('CBOR_TOO_LARGE');
      const over = DEFAULT_CBOR_LIMITS.maxStringBytes + 1;
      const blob = encodeValue(new Uint8Array(over), { maxStringBytes: over });
      expect(decodeCode(blob)).toBe('CBOR_TOO_LARGE');
    });

    it('fills in defaults for missing or undefined limits and refuses nonsense', () => {
      expect(decodeCode(nestedArrays(17), { maxDepth: undefined })).toBe('CBOR_TOO_DEEP');
      for (const bad of [NaN, -1, 1.5, Infinity]) {
        const error = errorOf(() => decodeValue(unhex('00'), { maxItems: bad }));
        expect(error).toBeInstanceOf(UsageError);
        expect((error as UsageError).code).toBe('CBOR_LIMITS_INVALID');
      }
    });
  });

  describe('hostile input', () => {
    it('refuses a 64 MiB random blob by its size before reading it', () => {
      const blob = randomFillSync(new Uint8Array(64 * 1024 * 1024));
      expect(decodeCode(blob)).toBe('CBOR_TOO_LARGE');
      // Read first, 0x1c (a reserved additional value) would be CBOR_MALFORMED.
      blob[0] = 0x1c;
      expect(decodeCode(blob)).toBe('CBOR_TOO_LARGE');
      expect(decodeCode(blob.subarray(0, 16))).toBe('CBOR_MALFORMED');
    });

    it('refuses 100k nested arrays without overflowing the stack', () => {
      expect(decodeCode(nestedArrays(100_000))).toBe('CBOR_TOO_DEEP');
    });

    it('fails cleanly when a caller raises maxDepth past what cbor-x can recurse', () => {
      const limits = { maxDepth: 200_000, maxItems: 200_000 };
      const error = errorOf(() => decodeValue(nestedArrays(100_000), limits));
      expect(error).toBeInstanceOf(CodecError);
      expect((error as CodecError).code).toBe('CBOR_MALFORMED');
      expect(decodeValue(unhex('a1616101'))).toEqual({ a: 1 });
    });

    it.each([
      ['a 2^32-item array', head64(4, 1, 0)],
      ['a 2^63-entry map', head64(5, 0x80000000, 0)],
      ['a 2^60-byte byte string', head64(2, 0x10000000, 0)],
      ['a 2^60-byte text string', head64(3, 0x10000000, 0)],
      ['a 2^32-1 byte string with a 4-byte head', unhex('5affffffff00')],
    ])('calls %s in a 10-byte input truncated', (_, header) => {
      const input = new Uint8Array(10);
      input.set(header);
      expect(decodeCode(input)).toBe('CBOR_TRUNCATED');
    });

    it('throws nothing but CodecError on random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
          expectCleanDecode(bytes);
        }),
        { numRuns: numRuns * 5 },
      );
    });

    it('throws nothing but CodecError on mutated valid encodings, and cbor-x never fails', () => {
      const mutated = fc
        .tuple(cborValue, fc.nat(), fc.nat(255), fc.constantFrom('flip', 'cut', 'insert'))
        .map(([value, at, byte, how]) => {
          const bytes = encodeValue(value);
          const i = at % (bytes.length + 1);
          if (how === 'cut') return bytes.subarray(0, i);
          if (how === 'insert') {
            return Uint8Array.from([...bytes.subarray(0, i), byte, ...bytes.subarray(i)]);
          }
          const copy = bytes.slice();
          if (i < copy.length) copy[i] = byte;
          return copy;
        });
      fc.assert(fc.property(mutated, expectCleanDecode), { numRuns: numRuns * 5 });
    });

    it('accepts a text string exactly when strict UTF-8 decoding does', () => {
      const fatal = new TextDecoder('utf-8', { fatal: true });
      const bytesOrText = fc.oneof(
        fc.uint8Array({ maxLength: 12 }),
        fc.string({ unit: 'binary', maxLength: 6 }).map(utf8),
      );
      fc.assert(
        fc.property(bytesOrText, (payload) => {
          const input = Uint8Array.from([...textHead(payload.length), ...payload]);
          let expected: string | undefined;
          try {
            expected = fatal.decode(payload);
          } catch {
            expected = undefined;
          }
          if (expected === undefined) expect(decodeCode(input)).toBe('CBOR_MALFORMED');
          else expect(decodeValue(input)).toBe(expected);
        }),
        { numRuns: numRuns * 5 },
      );
    });
  });
});

/** Decoding either succeeds or throws a CodecError that the scanner (not cbor-x) raised. */
function expectCleanDecode(bytes: Uint8Array): void {
  try {
    decodeValue(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).cause).toBeUndefined();
  }
}

function encodeDuplicate(k: string): Uint8Array {
  const once = encodeValue({ [k]: 1 }).subarray(1);
  return Uint8Array.from([0xa2, ...once, ...once]);
}

function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** Every finite and infinite half-precision value, computed from the IEEE 754 definition. */
function allHalfValues(): Set<number> {
  const values = new Set<number>();
  for (let bits = 0; bits < 0x10000; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exp = (bits >> 10) & 0x1f;
    const mant = bits & 0x3ff;
    if (exp === 0x1f) {
      if (mant === 0) values.add(sign * Infinity);
    } else if (exp === 0) {
      values.add(sign * mant * 2 ** -24);
    } else {
      values.add(sign * (1 + mant / 1024) * 2 ** (exp - 15));
    }
  }
  return values;
}
