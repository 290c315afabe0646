/**
 * The structural scanner that bounds untrusted CBOR before cbor-x decodes it. It is iterative,
 * so hostile nesting cannot exhaust the call stack, and it checks every declared length and
 * count against what is left of the input, so nothing proportional to a lie is allocated.
 * Beyond well-formedness it enforces what the decoder promises: no tags, no indefinite
 * lengths, only false/true/null simple values, safe integers, strict UTF-8, unique text map
 * keys other than `__proto__`, and the limits.
 */
import { CodecError } from '../errors.js';
import type { CborLimits } from './cborLimits.js';

const PROTO_KEY = new TextEncoder().encode('__proto__');

function malformed(code: string, message: string, offset: number): CodecError {
  return new CodecError(code, `${message} (at byte ${offset})`);
}

/**
 * Checks that `bytes` hold exactly one data item that is well-formed, inside the accepted data
 * model and within `limits`, in a single pass that allocates nothing proportional to a
 * declared length.
 *
 * @throws CodecError with the codes listed on `decodeValue`, except `CBOR_MALFORMED` for
 *   anything cbor-x itself refuses.
 */
export function scanCbor(bytes: Uint8Array, limits: Readonly<CborLimits>): void {
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
        throw malformed('CBOR_TOO_LARGE', `${major === 2 ? 'a byte string' : 'a text string'} is over ${limits.maxStringBytes} bytes (maxStringBytes)`, start);
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
