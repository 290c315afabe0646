/**
 * Our CBOR codec against cbor-x 1.6, configured as src/core/cbor.ts configured it before the
 * codec was ours (docs/decisions.md): on every value of the data model, `encodeValue` writes
 * the bytes cbor-x wrote (record bodies sealed before and after read and hash the same), and on
 * every input `decodeValue` accepts, cbor-x decodes the same value, down to -0, NaN, key order,
 * prototypes and the class of byte strings. Inputs we refuse and cbor-x accepts (tags,
 * undefined, duplicate keys...) are the data model's business, pinned in cbor.test.ts and
 * test/vectors/cbor.json.
 */
import { Decoder, Encoder, type Options } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeCanonical, encodeValue } from '../../src/core/cbor.js';

const numRuns = Number(process.env.FC_RUNS ?? 300);

const OPTIONS: Options = {
  useRecords: false,
  structuredClone: false,
  tagUint8Array: false,
  pack: false,
  mapsAsObjects: true,
  variableMapSize: true,
};
const cborX = {
  encoder: new Encoder(OPTIONS),
  decoder: new Decoder({ ...OPTIONS, copyBuffers: true, int64AsNumber: true } as Options & { int64AsNumber: boolean }),
  encode(value: unknown): Uint8Array {
    return new Uint8Array(this.encoder.encode(value));
  },
  decode(bytes: Uint8Array): unknown {
    return this.decoder.decode(new Uint8Array(bytes)) as unknown;
  },
};

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Equal as values of the data model, strictly: Object.is on numbers, key order, classes. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Uint8Array) return hex(a) === hex(b as Uint8Array);
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => same(v, other[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(ra[k], rb[k]));
}

// Numbers on both sides of every boundary the two encoders care about: head sizes, the int32
// and uint32 edges where cbor-x switches to float64, and the safe-integer edge.
const edges = [0, 23, 24, 255, 256, 65_535, 65_536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
const edgeNumbers = fc.constantFrom(...edges.flatMap((n) => [n, -n, n + 1, -n - 1]).filter(Number.isSafeInteger), -0, NaN, Infinity, -Infinity);
const number = fc.oneof(
  fc.integer(),
  fc.integer({ min: -(2 ** 34), max: 2 ** 34 }),
  fc.maxSafeInteger(),
  fc.double(),
  fc.float(),
  edgeNumbers,
).filter((d) => !Number.isInteger(d) || Number.isSafeInteger(d)); // the data model refuses the rest
// Text from every UTF-8 width, at lengths that cross the head sizes the encoder reserves.
const textUnit = fc.constantFrom('a', '\u00e9', '\u4e00', '\u{1f600}', '\ufeff');
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.tuple(textUnit, fc.constantFrom(7, 8, 23, 24, 31, 32, 33, 63, 64, 85, 86, 100, 255, 256, 300)).map(([u, n]) => u.repeat(n)),
  fc.string({ unit: 'binary', minLength: 60, maxLength: 400 }),
);
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.constantFrom('', '0', '1', '10', '4294967295', '-1', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'),
).filter((k) => k !== '__proto__');
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  number,
  text,
  fc.uint8Array({ maxLength: 300 }),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    leaf,
    fc.array(tie('value'), { maxLength: 30 }),
    fc.dictionary(key, tie('value'), { maxKeys: 30 }), // null-prototype objects included
  ),
}));

describe('our CBOR codec against cbor-x', () => {
  it('encodeValue writes the bytes cbor-x wrote, and both decoders read them back alike', () => {
    fc.assert(
      fc.property(value, (v) => {
        const ours = encodeValue(v);
        expect(hex(ours)).toBe(hex(cborX.encode(v)));
        expect(same(decodeValue(ours), cborX.decode(ours))).toBe(true);
      }),
      { numRuns },
    );
  });

  it('decodes canonical bytes (half and single floats, sorted keys) as cbor-x does', () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encodeCanonical(v);
        expect(same(decodeValue(bytes), cborX.decode(bytes))).toBe(true);
      }),
      { numRuns },
    );
  });

  it('whatever it accepts of random and mutated input, cbor-x decodes to the same value', () => {
    const mutated = fc
      .tuple(value, fc.boolean(), fc.nat(), fc.nat(255), fc.constantFrom('flip', 'cut', 'insert'))
      .map(([v, canonical, at, byte, how]) => {
        const bytes = canonical ? encodeCanonical(v) : encodeValue(v);
        const i = at % (bytes.length + 1);
        if (how === 'cut') return bytes.subarray(0, i);
        if (how === 'insert') return Uint8Array.from([...bytes.subarray(0, i), byte, ...bytes.subarray(i)]);
        const copy = bytes.slice();
        if (i < copy.length) copy[i] = byte;
        return copy;
      });
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 24 }), mutated), (bytes) => {
        let ours: unknown;
        try {
          ours = decodeValue(bytes);
        } catch {
          return;
        }
        accepted++;
        expect(same(ours, cborX.decode(bytes))).toBe(true);
      }),
      { numRuns: numRuns * 5 },
    );
    // Not vacuous: about a tenth of the inputs decode (141 to 200 of 1,500 seen); a fifth of
    // numRuns leaves room for an unlucky draw.
    expect(accepted).toBeGreaterThan(numRuns / 5);
  });

  it('agrees on text around the 64 KiB string limit and the 16-bit head, in every UTF-8 width', () => {
    const limits = { maxStringBytes: 1 << 20, maxBytes: 1 << 22 };
    for (const unit of ['a', '\u00e9', '\u4e00', '\u{1f600}']) {
      const width = new TextEncoder().encode(unit).length;
      for (const bytes of [21_845, 21_846, 65_535, 65_536, 65_537, 200_000]) {
        const s = unit.repeat(Math.floor(bytes / width));
        const ours = encodeValue({ s }, limits);
        expect(hex(ours)).toBe(hex(cborX.encode({ s })));
        expect(decodeValue(ours, limits)).toEqual({ s });
      }
    }
  });
});
