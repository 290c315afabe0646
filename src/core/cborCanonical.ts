/**
 * The canonical CBOR encoder, for anything signed or hashed: RFC 8949 §4.2.1 core
 * deterministic encoding, for anything signed or hashed.
 */
import { limitExceeded, resolveLimits, type CborLimits } from './cborLimits.js';
import {
  checkDepth,
  checkKey,
  checkString,
  checkStringBytes,
  isPlainArray,
  isPlainObject,
  kindOf,
  spendItems,
  unsupported,
  utf8Length,
} from './cborValue.js';
import { acquireWriter, releaseWriter, type ByteWriter } from './cborWriter.js';

/**
 * Encodes deterministically (RFC 8949 §4.2.1 core deterministic encoding) for anything that
 * is signed or hashed: shortest argument forms, definite lengths only, map keys sorted by their
 * encoded bytes, and floats in the shortest of half/single/double that keeps the value.
 * Integral numbers are always CBOR integers (so `-0` encodes as `0`); NaN is `f97e00`.
 *
 * Enforces `limits` (default {@link DEFAULT_CBOR_LIMITS}), so the bytes decode under them.
 *
 * @throws ValidationError `CBOR_UNSUPPORTED_VALUE` for anything outside the data model (see
 *   `cbor.ts`), an unsafe integer, a string with lone surrogates, a `__proto__` key, or nesting
 *   deeper than `maxDepth` (which also stops cycles); `CBOR_LIMIT_EXCEEDED` for more than
 *   `maxItems` items, a string over `maxStringBytes` or an encoding over `maxBytes`.
 * @throws UsageError `CBOR_LIMITS_INVALID` if a limit is not a non-negative safe integer.
 */
export function encodeCanonical(value: unknown, limits?: Partial<CborLimits>): Uint8Array {
  const bounds = resolveLimits(limits);
  const writer = acquireWriter(bounds);
  try {
    writeCanonical(writer, value, 0, spendItems(bounds.maxItems, 1, bounds));
    if (writer.len > bounds.maxBytes) throw limitExceeded('maxBytes', bounds);
    return writer.result();
  } finally {
    releaseWriter(writer);
  }
}

/** The shortest of half, single and double precision that keeps `value` (NaN as `f97e00`). */
function writeFloat(w: ByteWriter, value: number): void {
  w.reserve(9, 3);
  const single = Math.fround(value) === value; // false for NaN
  const half = Number.isNaN(value) ? 0x7e00 : single ? toExactHalf(value) : -1;
  if (half >= 0) {
    w.buf[w.len++] = 0xf9;
    w.view.setUint16(w.len, half);
    w.len += 2;
  } else if (single) {
    w.buf[w.len++] = 0xfa;
    w.view.setFloat32(w.len, value);
    w.len += 4;
  } else {
    w.float64(value);
  }
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** Half-precision bits of a float32-exact, non-NaN value, or -1 if half would lose precision. */
function toExactHalf(value: number): number {
  f32[0] = value;
  const bits = f32Bits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00; // ±Infinity; NaN never gets here
  if (exp === 0) return mant === 0 ? sign : -1; // float32 subnormals are below half's range
  const e = exp - 127;
  if (e >= -14 && e <= 15) {
    return (mant & 0x1fff) === 0 ? sign | ((e + 15) << 10) | (mant >>> 13) : -1;
  }
  if (e >= -24 && e < -14) {
    // Half subnormal: value = m * 2^-24 with m < 1024.
    const sig = 0x800000 | mant;
    const shift = -1 - e;
    return (sig & ((1 << shift) - 1)) === 0 ? sign | (sig >>> shift) : -1;
  }
  return -1;
}

/**
 * Orders well-formed strings as their UTF-8 bytes would sort. UTF-16 units already sort by
 * code point except surrogates against U+E000..U+FFFF, which the shift below puts right.
 */
function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

interface Entry {
  key: string;
  utf8Bytes: number;
  value: unknown;
}

/** Writes `value` and returns the item budget left (see `spendItems`). */
function writeCanonical(w: ByteWriter, value: unknown, depth: number, left: number): number {
  const limits = w.limits;
  switch (typeof value) {
    case 'boolean':
      w.head(7, value ? 21 : 20);
      return left;
    case 'string': {
      checkString(value);
      const utf8Bytes = utf8Length(value);
      checkStringBytes(utf8Bytes, limits, 'text');
      w.text(value);
      return left;
    }
    case 'number':
      if (!Number.isInteger(value)) writeFloat(w, value);
      else if (!Number.isSafeInteger(value)) throw unsupported('an integer beyond 2^53-1');
      else if (value >= 0) w.head(0, value);
      else w.head(1, -1 - value);
      return left;
    case 'object': {
      if (value === null) {
        w.head(7, 22);
        return left;
      }
      if (value instanceof Uint8Array) {
        checkStringBytes(value.length, limits, 'bytes');
        w.head(2, value.length);
        w.bytes(value);
        return left;
      }
      checkDepth(depth + 1, limits);
      if (isPlainArray(value)) {
        left = spendItems(left, value.length, limits);
        w.head(4, value.length);
        for (let i = 0; i < value.length; i++) {
          left = writeCanonical(w, value[i], depth + 1, left);
        }
        return left;
      }
      if (!isPlainObject(value)) throw unsupported(kindOf(value));
      const keys = Object.keys(value);
      left = spendItems(left, 2 * keys.length, limits);
      const entries: Entry[] = [];
      for (const key of keys) {
        checkKey(key);
        const utf8Bytes = utf8Length(key);
        checkStringBytes(utf8Bytes, limits, 'text');
        entries.push({ key, utf8Bytes, value: value[key] });
      }
      // Encoded text keys sort by length first (the head), then by their UTF-8 bytes.
      entries.sort((a, b) => a.utf8Bytes - b.utf8Bytes || compareUtf8(a.key, b.key));
      w.head(5, entries.length);
      for (const entry of entries) {
        w.text(entry.key);
        left = writeCanonical(w, entry.value, depth + 1, left);
      }
      return left;
    }
    default:
      throw unsupported(kindOf(value));
  }
}
