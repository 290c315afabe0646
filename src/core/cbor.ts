/**
 * The CBOR codec every record body and signed structure goes through.
 *
 * Accepted data model, for encoding and decoding alike: `null`, booleans, numbers (integers in
 * the safe range, or non-integral/non-finite floats), well-formed strings, `Uint8Array`, plain
 * arrays and plain objects (any key but `__proto__`). Everything else is refused rather than
 * turned into a cbor-x extension tag, because another device (or another implementation) must
 * read exactly the value that was written. `undefined` is refused everywhere, even as a
 * property value: CBOR's `undefined` is refused on decode, and dropping it silently would make
 * two different objects encode to the same signed bytes.
 *
 * `decodeValue` runs an iterative structural scanner over the raw bytes before cbor-x sees
 * them, so hostile input is bounded (size, depth, item count, string length) and rejected with
 * a typed error before anything proportional to a declared length is allocated.
 */
import { Decoder, Encoder, type Options } from 'cbor-x';
import { CodecError, UsageError, ValidationError } from '../errors.js';

/** Bounds enforced by {@link decodeValue} before any value is built. */
export interface CborLimits {
  /** Largest accepted input, in bytes. */
  maxBytes: number;
  /** Deepest accepted nesting of arrays and maps; a top-level container has depth 1. */
  maxDepth: number;
  /** Most data items in total: every scalar, string, container, map key and map value. */
  maxItems: number;
  /** Longest accepted byte or text string payload, in bytes. */
  maxStringBytes: number;
}

/** Limits used when {@link decodeValue} gets none: roomy for records, tight for attackers. */
export const DEFAULT_CBOR_LIMITS: Readonly<CborLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 16,
  maxItems: 10_000,
  maxStringBytes: 64 * 1024,
});

const CBOR_OPTIONS: Options = {
  useRecords: false,
  structuredClone: false,
  tagUint8Array: false,
  pack: false,
  mapsAsObjects: true,
  variableMapSize: true,
};

const encoder = new Encoder(CBOR_OPTIONS);

// int64AsNumber is missing from cbor-x's typings; without it every 8-byte integer (even a safe
// one) decodes as a BigInt. copyBuffers keeps decoded byte strings from aliasing the input.
const decoder = new Decoder({
  ...CBOR_OPTIONS,
  copyBuffers: true,
  int64AsNumber: true,
} as Options & { int64AsNumber: boolean });

/**
 * Encodes a record body quickly with cbor-x: plain objects become ordinary CBOR maps and
 * `Uint8Array` becomes an untagged byte string. Key order follows the object, so the bytes are
 * not canonical; use {@link encodeCanonical} for anything signed or hashed.
 *
 * Returns a fresh `Uint8Array` that owns its memory: cbor-x returns a view into a shared
 * 8 KiB buffer that also holds earlier encodings, which anyone reading `.buffer` would see.
 *
 * @throws ValidationError `CBOR_UNSUPPORTED_VALUE` for anything outside the data model in the
 *   module comment, an unsafe integer, a string with lone surrogates, a `__proto__` key, or
 *   nesting deeper than `DEFAULT_CBOR_LIMITS.maxDepth` (which also stops cycles).
 */
export function encodeValue(value: unknown): Uint8Array {
  assertEncodable(value, 0);
  try {
    return new Uint8Array(encoder.encode(value));
  } catch (cause) {
    throw new ValidationError('CBOR_UNSUPPORTED_VALUE', 'cbor-x could not encode the value', {
      cause,
    });
  }
}

/**
 * Encodes deterministically (RFC 8949 §4.2.1 core deterministic encoding) for anything that
 * is signed or hashed: shortest argument forms, definite lengths only, map keys sorted by their
 * encoded bytes, and floats in the shortest of half/single/double that keeps the value.
 * Integral numbers are always CBOR integers (so `-0` encodes as `0`); NaN is `f97e00`.
 *
 * @throws ValidationError `CBOR_UNSUPPORTED_VALUE` in the same cases as {@link encodeValue}.
 */
export function encodeCanonical(value: unknown): Uint8Array {
  return withWriter(value);
}

/**
 * Decodes exactly one CBOR data item after checking its structure against `limits`.
 * Maps become plain objects, byte strings become plain `Uint8Array` copies and integers are
 * always `number`.
 *
 * @throws CodecError `CBOR_TOO_LARGE` (input or a string over its limit), `CBOR_TOO_DEEP`,
 *   `CBOR_TOO_MANY_ITEMS`, `CBOR_TRUNCATED` (input ends early or a length exceeds what is
 *   left), `CBOR_TRAILING_BYTES`, `CBOR_UNSUPPORTED` (tags, indefinite lengths, simple values
 *   other than false/true/null, undefined, integers beyond ±(2^53−1), non-text or `__proto__`
 *   map keys), `CBOR_DUPLICATE_KEY`, `CBOR_MALFORMED` (reserved encodings, invalid UTF-8, a
 *   stray break, or any cbor-x failure, kept as `cause`).
 * @throws UsageError `CBOR_INPUT_INVALID` if `bytes` is not a Uint8Array, `CBOR_LIMITS_INVALID`
 *   if a limit is not a non-negative safe integer.
 */
export function decodeValue(bytes: Uint8Array, limits?: Partial<CborLimits>): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw new UsageError('CBOR_INPUT_INVALID', 'decodeValue expects a Uint8Array');
  }
  scan(bytes, limits === undefined ? DEFAULT_CBOR_LIMITS : resolveLimits(limits));
  // A fresh plain view, because cbor-x caches a `dataView` property on the array it is given
  // and returns byte strings of that array's class (Buffer in, Buffer out).
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return decoder.decode(view) as unknown;
  } catch (cause) {
    throw new CodecError('CBOR_MALFORMED', 'cbor-x rejected the input', { cause });
  }
}

function resolveLimits(limits: Partial<CborLimits>): CborLimits {
  const resolved: CborLimits = {
    maxBytes: limits.maxBytes ?? DEFAULT_CBOR_LIMITS.maxBytes,
    maxDepth: limits.maxDepth ?? DEFAULT_CBOR_LIMITS.maxDepth,
    maxItems: limits.maxItems ?? DEFAULT_CBOR_LIMITS.maxItems,
    maxStringBytes: limits.maxStringBytes ?? DEFAULT_CBOR_LIMITS.maxStringBytes,
  };
  // A NaN limit would make every `>` comparison false and switch the check off.
  if (
    !isLimit(resolved.maxBytes) ||
    !isLimit(resolved.maxDepth) ||
    !isLimit(resolved.maxItems) ||
    !isLimit(resolved.maxStringBytes)
  ) {
    throw new UsageError('CBOR_LIMITS_INVALID', 'CBOR limits must be non-negative integers');
  }
  return resolved;
}

function isLimit(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

// ---------------------------------------------------------------------------------------------
// Data model shared by both encoders

function unsupported(what: string): ValidationError {
  return new ValidationError('CBOR_UNSUPPORTED_VALUE', `cannot encode ${what} as CBOR`);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  // The last test accepts plain objects from other realms (iframes, vm contexts). An iterable
  // null-prototype object would become an indefinite-length array in cbor-x.
  return (
    (proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null) &&
    !(Symbol.iterator in value)
  );
}

/** Arrays of this realm only: cbor-x writes any other array as an indefinite-length one. */
function isPlainArray(value: object): value is unknown[] {
  return Array.isArray(value) && value.constructor === Array;
}

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

function checkString(s: string): void {
  // UTF-8 cannot carry a lone surrogate; encoders substitute U+FFFD, so two strings would
  // share bytes and cbor-x's output would not decode to the input.
  if (!isWellFormed(s)) throw unsupported('a string with a lone surrogate');
}

function checkKey(key: string): void {
  // cbor-x renames `__proto__` on decode (prototype-pollution guard), so it cannot round-trip.
  if (key === '__proto__') throw unsupported('the map key "__proto__"');
  checkString(key);
}

function checkDepth(depth: number): void {
  if (depth > DEFAULT_CBOR_LIMITS.maxDepth) {
    throw unsupported(`nesting deeper than ${DEFAULT_CBOR_LIMITS.maxDepth} (or a cycle)`);
  }
}

function kindOf(value: unknown): string {
  if (value === null || typeof value !== 'object') return `a value of type ${typeof value}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return `an object of class ${typeof name === 'string' ? name : 'unknown'}`;
}

/** The cheap pre-pass of encodeValue: cbor-x would tag Map/Set/Date and flatten classes. */
function assertEncodable(value: unknown, depth: number): void {
  switch (typeof value) {
    case 'boolean':
      return;
    case 'string':
      return checkString(value);
    case 'number':
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw unsupported('an integer beyond 2^53-1');
      }
      return;
    case 'object': {
      if (value === null || value instanceof Uint8Array) return;
      checkDepth(depth + 1);
      if (isPlainArray(value)) {
        for (let i = 0; i < value.length; i++) assertEncodable(value[i], depth + 1);
        return;
      }
      if (!isPlainObject(value)) throw unsupported(kindOf(value));
      // for-in is several times faster than Object.keys here and also covers inherited
      // enumerable keys, so it checks a superset of what cbor-x writes.
      for (const key in value) {
        checkKey(key);
        assertEncodable(value[key], depth + 1);
      }
      return;
    }
    default:
      throw unsupported(kindOf(value));
  }
}

// ---------------------------------------------------------------------------------------------
// Canonical encoder

class ByteWriter {
  buf = new Uint8Array(1024);
  view = new DataView(this.buf.buffer);
  len = 0;

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
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

function withWriter(value: unknown): Uint8Array {
  const owner = !scratchBusy;
  const writer = owner ? scratch : new ByteWriter();
  scratchBusy = true;
  try {
    writeCanonical(writer, value, 0);
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

/** UTF-8 length of a well-formed string. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
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

function writeCanonical(w: ByteWriter, value: unknown, depth: number): void {
  switch (typeof value) {
    case 'boolean':
      w.head(7, value ? 21 : 20);
      return;
    case 'string':
      checkString(value);
      w.text(value, utf8Length(value));
      return;
    case 'number':
      if (!Number.isInteger(value)) w.float(value);
      else if (!Number.isSafeInteger(value)) throw unsupported('an integer beyond 2^53-1');
      else if (value >= 0) w.head(0, value);
      else w.head(1, -1 - value);
      return;
    case 'object': {
      if (value === null) {
        w.head(7, 22);
        return;
      }
      if (value instanceof Uint8Array) {
        w.head(2, value.length);
        w.bytes(value);
        return;
      }
      checkDepth(depth + 1);
      if (isPlainArray(value)) {
        w.head(4, value.length);
        for (let i = 0; i < value.length; i++) writeCanonical(w, value[i], depth + 1);
        return;
      }
      if (!isPlainObject(value)) throw unsupported(kindOf(value));
      const entries: Entry[] = [];
      for (const key of Object.keys(value)) {
        checkKey(key);
        entries.push({ key, utf8Bytes: utf8Length(key), value: value[key] });
      }
      // Encoded text keys sort by length first (the head), then by their UTF-8 bytes.
      entries.sort((a, b) => a.utf8Bytes - b.utf8Bytes || compareUtf8(a.key, b.key));
      w.head(5, entries.length);
      for (const entry of entries) {
        w.text(entry.key, entry.utf8Bytes);
        writeCanonical(w, entry.value, depth + 1);
      }
      return;
    }
    default:
      throw unsupported(kindOf(value));
  }
}

// ---------------------------------------------------------------------------------------------
// Structural scanner: iterative, so hostile nesting cannot exhaust the call stack

const PROTO_KEY = new TextEncoder().encode('__proto__');

function malformed(code: string, message: string, offset: number): CodecError {
  return new CodecError(code, `${message} (at byte ${offset})`);
}

function scan(bytes: Uint8Array, limits: CborLimits): void {
  const end = bytes.length;
  if (end > limits.maxBytes) {
    throw new CodecError('CBOR_TOO_LARGE', `input exceeds ${limits.maxBytes} bytes`);
  }
  // The open container lives in locals; enclosing ones are saved on `stack` as triples. The
  // top level acts as an array of one item. Maps count keys and values, so an even
  // `remaining` means a key comes next. `keys` holds [start, end) offsets of every open
  // map's keys; `keysFrom` is where the current map's begin.
  const stack: number[] = [];
  const keys: number[] = [];
  let remaining = 1;
  let inMap = false;
  let keysFrom = 0;
  let depth = 0;
  let pos = 0;
  let items = 0;
  for (;;) {
    const start = pos;
    if (pos >= end) throw malformed('CBOR_TRUNCATED', 'input ends inside an item', pos);
    if (++items > limits.maxItems) {
      throw malformed('CBOR_TOO_MANY_ITEMS', `more than ${limits.maxItems} items`, pos);
    }
    const isKey = inMap && remaining % 2 === 0;
    const initial = bytes[pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;

    if (major === 6) throw malformed('CBOR_UNSUPPORTED', 'tags are not accepted', start);
    if (info >= 28 && info <= 30) {
      throw malformed('CBOR_MALFORMED', 'reserved additional information', start);
    }
    if (info === 31) {
      throw major >= 2 && major <= 5
        ? malformed('CBOR_UNSUPPORTED', 'indefinite lengths are not accepted', start)
        : malformed('CBOR_MALFORMED', 'unexpected break or indefinite marker', start);
    }
    if (isKey && major !== 3) {
      throw malformed('CBOR_UNSUPPORTED', 'map keys must be text strings', start);
    }
    if (major === 7 && info < 25 && (info < 20 || info > 22)) {
      throw malformed('CBOR_UNSUPPORTED', 'only false, true and null simple values', start);
    }

    // The argument: a value, a length, a count or float bits. 8-byte arguments are kept as
    // an inexact double above 2^53; `high` tells whether an integer is still exact.
    let arg = info;
    let high = 0;
    if (info >= 24) {
      const size = 1 << (info - 24);
      if (end - pos < size) throw malformed('CBOR_TRUNCATED', 'input ends inside a head', start);
      if (size === 1) arg = bytes[pos]!;
      else if (size === 2) arg = (bytes[pos]! << 8) | bytes[pos + 1]!;
      else if (size === 4) arg = readUint32(bytes, pos);
      else {
        high = readUint32(bytes, pos);
        arg = high * 0x100000000 + readUint32(bytes, pos + 4);
      }
      pos += size;
    }

    if (major <= 1) {
      // 2^53-1 = 0x1fffff_ffffffff; the negative range stops at -(2^53-1).
      if (high > 0x1fffff || (major === 1 && arg >= Number.MAX_SAFE_INTEGER)) {
        throw malformed('CBOR_UNSUPPORTED', 'integer beyond ±(2^53-1)', start);
      }
    } else if (major <= 3) {
      if (arg > end - pos) throw malformed('CBOR_TRUNCATED', 'string longer than the input', start);
      if (arg > limits.maxStringBytes) {
        throw malformed('CBOR_TOO_LARGE', `string over ${limits.maxStringBytes} bytes`, start);
      }
      if (major === 3 && !isValidUtf8(bytes, pos, pos + arg)) {
        throw malformed('CBOR_MALFORMED', 'text string is not valid UTF-8', start);
      }
      if (isKey) {
        if (rangeEquals(bytes, pos, pos + arg, PROTO_KEY)) {
          throw malformed('CBOR_UNSUPPORTED', 'the map key "__proto__" is not accepted', start);
        }
        keys.push(pos, pos + arg);
      }
      pos += arg;
    } else if (major <= 5) {
      // Every item takes at least one byte, so a count beyond what is left is a lie.
      const count = major === 5 ? arg * 2 : arg;
      if (count > end - pos) throw malformed('CBOR_TRUNCATED', 'count exceeds the input', start);
      if (depth >= limits.maxDepth) {
        throw malformed('CBOR_TOO_DEEP', `nesting deeper than ${limits.maxDepth}`, start);
      }
      if (count > 0) {
        stack.push(remaining, inMap ? 1 : 0, keysFrom);
        remaining = count;
        inMap = major === 5;
        keysFrom = keys.length;
        depth++;
        continue;
      }
    }
    // Major 7 (false, true, null or a float) needs nothing more.

    // An item is complete: close every container it completes.
    while (--remaining === 0) {
      if (depth === 0) {
        if (pos !== end) {
          throw malformed('CBOR_TRAILING_BYTES', 'bytes after the top-level item', pos);
        }
        return;
      }
      if (inMap) {
        if (hasDuplicate(bytes, keys, keysFrom)) {
          throw malformed('CBOR_DUPLICATE_KEY', 'duplicate map key', pos);
        }
        keys.length = keysFrom;
      }
      keysFrom = stack.pop()!;
      inMap = stack.pop() === 1;
      remaining = stack.pop()!;
      depth--;
    }
  }
}

function readUint32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function rangeEquals(b: Uint8Array, start: number, end: number, other: Uint8Array): boolean {
  if (end - start !== other.length) return false;
  for (let i = 0; i < other.length; i++) if (b[start + i] !== other[i]) return false;
  return true;
}

/** Compares keys i and j (indices into `keys` pairs) length-first, then bytewise. */
function compareKeys(b: Uint8Array, keys: number[], i: number, j: number): number {
  const aStart = keys[i]!;
  const aLen = keys[i + 1]! - aStart;
  const bStart = keys[j]!;
  const bLen = keys[j + 1]! - bStart;
  if (aLen !== bLen) return aLen - bLen;
  for (let k = 0; k < aLen; k++) {
    const d = b[aStart + k]! - b[bStart + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Whether the map whose key offsets start at `keys[from]` repeats a key. Keys are valid UTF-8
 * by now, so equal bytes is the same as equal strings.
 */
function hasDuplicate(b: Uint8Array, keys: number[], from: number): boolean {
  const count = (keys.length - from) / 2;
  if (count <= 16) {
    for (let i = from + 2; i < keys.length; i += 2) {
      for (let j = from; j < i; j += 2) if (compareKeys(b, keys, i, j) === 0) return true;
    }
    return false;
  }
  // Large maps: sort instead of comparing every pair, which a hostile input could make slow.
  const order = Array.from({ length: count }, (_, n) => from + 2 * n);
  order.sort((i, j) => compareKeys(b, keys, i, j));
  for (let n = 1; n < count; n++) {
    if (compareKeys(b, keys, order[n - 1]!, order[n]!) === 0) return true;
  }
  return false;
}

/** Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF. */
function isValidUtf8(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return false;
    if (end - i <= need) return false;
    const c1 = b[i + 1]!;
    if (c1 < lo || c1 > hi) return false;
    for (let k = 2; k <= need; k++) {
      const ck = b[i + k]!;
      if (ck < 0x80 || ck > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}
