/**
 * The CBOR decoder for untrusted input: one pass that checks each item and builds the value as
 * it goes. It is iterative, so hostile nesting cannot exhaust the call stack, and it checks
 * every declared length and count against what is left of the input, so nothing proportional
 * to a lie is allocated. Beyond well-formedness it enforces the data model: no tags, no
 * indefinite lengths, only false/true/null simple values, safe integers, strict UTF-8, unique
 * text map keys other than `__proto__`, and the limits. Where an input breaks several rules,
 * the order of the checks below decides the code (docs/protocol.md §7, pinned by the "order:"
 * cases of test/vectors/cbor.json).
 */
import { CodecError } from '../errors.js';
import type { CborLimits } from './cborLimits.js';

function malformed(code: string, message: string, offset: number): CodecError {
  return new CodecError(code, `${message} (at byte ${offset})`);
}

// fatal: invalid UTF-8 throws instead of becoming U+FFFD; ignoreBOM: a leading U+FEFF is text.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Up to this many bytes, text is tried as ASCII in JavaScript before calling TextDecoder. */
const SHORT_TEXT = 32;
/** Float bits go through here: an 8-byte view instead of one over every input. */
const floatView = new DataView(new ArrayBuffer(8));

/**
 * Decodes the one data item `input` holds, checking it is well-formed, inside the data model
 * and within `limits`. Maps become plain objects, arrays plain arrays, byte strings plain
 * `Uint8Array` copies, integers `number`.
 *
 * @throws CodecError with the codes listed on `decodeValue`.
 */
export function decodeCbor(input: Uint8Array, limits: Readonly<CborLimits>): unknown {
  const end = input.length;
  if (end > limits.maxBytes) {
    throw new CodecError('CBOR_TOO_LARGE', `input exceeds ${limits.maxBytes} bytes`);
  }
  // Byte strings are sliced from a plain view: a Buffer's own slice would share its memory.
  const bytes = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, end);
  // The open container lives in locals (`array` or `map`; neither at the top level, which acts
  // as an array of one item); enclosing ones are saved on `stack`, five entries each. Maps count
  // keys and values, so an even `remaining` means a key comes next; `key` waits for its value.
  const stack: unknown[] = [];
  let array: unknown[] | undefined;
  let map: Record<string, unknown> | undefined;
  let remaining = 1;
  let key = '';
  let duplicate = false;
  let result: unknown;
  let depth = 0;
  let pos = 0;
  let items = 0;
  for (;;) {
    const start = pos;
    if (pos >= end) throw malformed('CBOR_TRUNCATED', 'input ends inside an item', pos);
    if (++items > limits.maxItems) {
      throw malformed('CBOR_TOO_MANY_ITEMS', `more than ${limits.maxItems} items`, pos);
    }
    const isKey = map !== undefined && (remaining & 1) === 0;
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
    let low = 0;
    if (info >= 24) {
      const size = 1 << (info - 24);
      if (end - pos < size) throw malformed('CBOR_TRUNCATED', 'input ends inside a head', start);
      if (size === 1) arg = bytes[pos]!;
      else if (size === 2) arg = (bytes[pos]! << 8) | bytes[pos + 1]!;
      else if (size === 4) arg = readUint32(bytes, pos);
      else {
        high = readUint32(bytes, pos);
        low = readUint32(bytes, pos + 4);
        arg = high * 0x100000000 + low;
      }
      pos += size;
    }

    let value: unknown;
    let count = 0;
    if (major <= 1) {
      // 2^53-1 = 0x1fffff_ffffffff; the negative range stops at -(2^53-1).
      if (high > 0x1fffff || (major === 1 && arg >= Number.MAX_SAFE_INTEGER)) {
        throw malformed('CBOR_UNSUPPORTED', 'integer beyond ±(2^53-1)', start);
      }
      value = major === 0 ? arg : -1 - arg;
    } else if (major <= 3) {
      if (arg > end - pos) throw malformed('CBOR_TRUNCATED', 'string longer than the input', start);
      if (arg > limits.maxStringBytes) {
        throw malformed('CBOR_TOO_LARGE', `${major === 2 ? 'a byte string' : 'a text string'} is over ${limits.maxStringBytes} bytes (maxStringBytes)`, start);
      }
      if (major === 2) {
        value = bytes.slice(pos, pos + arg);
      } else {
        const text = decodeText(bytes, pos, pos + arg, start);
        if (isKey && text === '__proto__') {
          throw malformed('CBOR_UNSUPPORTED', 'the map key "__proto__" is not accepted', start);
        }
        value = text;
      }
      pos += arg;
    } else if (major <= 5) {
      // Every item takes at least one byte, so a count beyond what is left is a lie.
      count = major === 5 ? arg * 2 : arg;
      if (count > end - pos) throw malformed('CBOR_TRUNCATED', 'count exceeds the input', start);
      if (depth >= limits.maxDepth) {
        throw malformed('CBOR_TOO_DEEP', `nesting deeper than ${limits.maxDepth}`, start);
      }
      value = major === 4 ? [] : {};
    } else if (info <= 22) {
      value = info === 22 ? null : info === 21;
    } else if (info === 25) {
      value = halfToNumber(arg);
    } else if (info === 26) {
      floatView.setUint32(0, arg);
      value = floatView.getFloat32(0);
    } else {
      floatView.setUint32(0, high);
      floatView.setUint32(4, low);
      value = floatView.getFloat64(0);
    }

    // Into the open container. Map keys are valid UTF-8 by now, so equal strings are equal
    // bytes; a repeated key is reported when its map closes, as the order of checks requires.
    if (array !== undefined) array.push(value);
    else if (map === undefined) result = value;
    else if (isKey) key = value as string;
    else {
      if (Object.hasOwn(map, key)) duplicate = true;
      map[key] = value;
    }

    if (count > 0) {
      stack.push(array, map, remaining, key, duplicate);
      if (major === 4) {
        array = value as unknown[];
        map = undefined;
      } else {
        array = undefined;
        map = value as Record<string, unknown>;
      }
      remaining = count;
      duplicate = false;
      depth++;
      continue;
    }

    // An item is complete: close every container it completes.
    while (--remaining === 0) {
      if (depth === 0) {
        if (pos !== end) {
          throw malformed('CBOR_TRAILING_BYTES', 'bytes after the top-level item', pos);
        }
        return result;
      }
      if (duplicate) throw malformed('CBOR_DUPLICATE_KEY', 'duplicate map key', pos);
      duplicate = stack.pop() as boolean;
      key = stack.pop() as string;
      remaining = stack.pop() as number;
      map = stack.pop() as Record<string, unknown> | undefined;
      array = stack.pop() as unknown[] | undefined;
      depth--;
    }
  }
}

function readUint32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** IEEE 754 half precision (RFC 8949 Appendix D). */
function halfToNumber(half: number): number {
  const exp = (half >> 10) & 0x1f;
  const mant = half & 0x3ff;
  const magnitude =
    exp === 0 ? mant * 2 ** -24 : exp === 31 ? (mant === 0 ? Infinity : NaN) : (1024 + mant) * 2 ** (exp - 25);
  return half & 0x8000 ? -magnitude : magnitude;
}

/**
 * Strict UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), as TextDecoder
 * with `fatal` decodes it; short ASCII text, most map keys, skips the call.
 */
function decodeText(b: Uint8Array, from: number, to: number, start: number): string {
  if (to - from <= SHORT_TEXT) {
    let ascii = true;
    for (let i = from; i < to; i++) {
      if (b[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, b.subarray(from, to) as unknown as number[]);
  }
  try {
    return utf8.decode(b.subarray(from, to));
  } catch {
    throw malformed('CBOR_MALFORMED', 'text string is not valid UTF-8', start);
  }
}
