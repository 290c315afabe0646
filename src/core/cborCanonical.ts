/**
 * The canonical CBOR encoder, for anything signed or hashed: RFC 8949 §4.2.1 core
 * deterministic encoding, written by hand because cbor-x's key order follows the object.
 */
import {
  DEFAULT_CBOR_LIMITS,
  limitExceeded,
  resolveLimits,
  type CborLimits,
} from './cborLimits.js';
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
  const owner = !scratchBusy;
  const writer = owner ? scratch : new ByteWriter();
  scratchBusy = true;
  writer.limits = bounds;
  try {
    writeCanonical(writer, value, 0, spendItems(bounds.maxItems, 1, bounds));
    if (writer.len > bounds.maxBytes) throw limitExceeded('maxBytes', bounds);
    return writer.buf.slice(0, writer.len);
  } finally {
    writer.buf.fill(0, 0, writer.len);
    writer.len = 0;
    if (owner) {
      scratchBusy = false;
      if (writer.buf.length > 64 * 1024) scratch = new ByteWriter();
    }
  }
}

class ByteWriter {
  buf = new Uint8Array(1024);
  view = new DataView(this.buf.buffer);
  len = 0;
  limits: Readonly<CborLimits> = DEFAULT_CBOR_LIMITS;

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    // Stop before growing past what could be accepted anyway.
    if (this.len + n > this.limits.maxBytes) {
      throw limitExceeded('maxBytes', this.limits);
    }
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf.fill(0);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Initial byte plus argument in its shortest form (RFC 8949 §4.2.1). */
  head(major: number, arg: number): void {
    this.reserve(9);
    const m = major << 5;
    if (arg < 24) {
      this.buf[this.len++] = m | arg;
    } else if (arg < 0x100) {
      this.buf[this.len++] = m | 24;
      this.buf[this.len++] = arg;
    } else if (arg < 0x10000) {
      this.buf[this.len++] = m | 25;
      this.view.setUint16(this.len, arg);
      this.len += 2;
    } else if (arg < 0x100000000) {
      this.buf[this.len++] = m | 26;
      this.view.setUint32(this.len, arg);
      this.len += 4;
    } else {
      this.buf[this.len++] = m | 27;
      this.view.setUint32(this.len, Math.floor(arg / 0x100000000));
      this.view.setUint32(this.len + 4, arg >>> 0);
      this.len += 8;
    }
  }

  /** A text string; `s` must be well-formed and `utf8Bytes` its UTF-8 length. */
  text(s: string, utf8Bytes: number): void {
    this.head(3, utf8Bytes);
    this.reserve(utf8Bytes);
    const buf = this.buf;
    let at = this.len;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        buf[at++] = c;
      } else if (c < 0x800) {
        buf[at++] = 0xc0 | (c >> 6);
        buf[at++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdbff) {
        buf[at++] = 0xe0 | (c >> 12);
        buf[at++] = 0x80 | ((c >> 6) & 0x3f);
        buf[at++] = 0x80 | (c & 0x3f);
      } else {
        c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
        buf[at++] = 0xf0 | (c >> 18);
        buf[at++] = 0x80 | ((c >> 12) & 0x3f);
        buf[at++] = 0x80 | ((c >> 6) & 0x3f);
        buf[at++] = 0x80 | (c & 0x3f);
      }
    }
    this.len = at;
  }

  float(value: number): void {
    this.reserve(9);
    const single = Math.fround(value) === value; // false for NaN
    const half = Number.isNaN(value) ? 0x7e00 : single ? toExactHalf(value) : -1;
    if (half >= 0) {
      this.buf[this.len++] = 0xf9;
      this.view.setUint16(this.len, half);
      this.len += 2;
    } else if (single) {
      this.buf[this.len++] = 0xfa;
      this.view.setFloat32(this.len, value);
      this.len += 4;
    } else {
      this.buf[this.len++] = 0xfb;
      this.view.setFloat64(this.len, value);
      this.len += 8;
    }
  }
}

// One scratch writer avoids allocating per call; a getter that re-enters encodeCanonical
// gets its own. Used bytes are zeroed afterwards (best effort: JavaScript promises nothing).
let scratch = new ByteWriter();
let scratchBusy = false;

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
      w.text(value, utf8Bytes);
      return left;
    }
    case 'number':
      if (!Number.isInteger(value)) w.float(value);
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
        w.text(entry.key, entry.utf8Bytes);
        left = writeCanonical(w, entry.value, depth + 1, left);
      }
      return left;
    }
    default:
      throw unsupported(kindOf(value));
  }
}
