/**
 * The CBOR codec every record body and signed structure goes through: the public entry points,
 * and cbor-x configured for them.
 *
 * Both encoders accept the data model described in `cborValue.ts` and refuse everything else;
 * `encodeCanonical` (in `cborCanonical.ts`) gives deterministic bytes for anything signed or
 * hashed. Both enforce the same {@link CborLimits} as the decoder (by default
 * {@link DEFAULT_CBOR_LIMITS}), so a device cannot write a value that other devices refuse.
 *
 * `decodeValue` runs the structural scanner (`cborScan.ts`) over the raw bytes before cbor-x
 * sees them, so hostile input is bounded (size, depth, item count, string length) and rejected
 * with a typed error before anything proportional to a declared length is allocated.
 */
import { Decoder, Encoder, type Options } from 'cbor-x';
import { CodecError, UsageError, ValidationError } from '../errors.js';
import { limitExceeded, resolveLimits, type CborLimits } from './cborLimits.js';
import { scanCbor } from './cborScan.js';
import { assertCborValue } from './cborValue.js';

export { encodeCanonical } from './cborCanonical.js';
export { DEFAULT_CBOR_LIMITS, type CborLimits } from './cborLimits.js';

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
 * Enforces `limits` (default {@link DEFAULT_CBOR_LIMITS}, what {@link decodeValue} applies
 * when given none), so the bytes decode under them on any device.
 *
 * Returns a fresh `Uint8Array` that owns its memory: cbor-x returns a view into a shared
 * 8 KiB buffer that also holds earlier encodings, which anyone reading `.buffer` would see.
 *
 * @throws ValidationError `CBOR_UNSUPPORTED_VALUE` for anything outside the data model in
 *   `cborValue.ts`, an unsafe integer, a string with lone surrogates, a `__proto__` key, or
 *   nesting deeper than `maxDepth` (which also stops cycles); `CBOR_LIMIT_EXCEEDED` for more
 *   than `maxItems` items, a string over `maxStringBytes` or an encoding over `maxBytes` (the
 *   message names the limit).
 * @throws UsageError `CBOR_LIMITS_INVALID` if a limit is not a non-negative safe integer.
 */
export function encodeValue(value: unknown, limits?: Partial<CborLimits>): Uint8Array {
  const bounds = resolveLimits(limits);
  assertCborValue(value, bounds);
  let encoded: Uint8Array;
  try {
    encoded = encoder.encode(value);
  } catch (cause) {
    throw new ValidationError('CBOR_UNSUPPORTED_VALUE', 'cbor-x could not encode the value', {
      cause,
    });
  }
  if (encoded.length > bounds.maxBytes) throw limitExceeded('maxBytes', bounds);
  return new Uint8Array(encoded);
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
  scanCbor(bytes, resolveLimits(limits));
  // A fresh plain view, because cbor-x caches a `dataView` property on the array it is given
  // and returns byte strings of that array's class (Buffer in, Buffer out).
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return decoder.decode(view) as unknown;
  } catch (cause) {
    throw new CodecError('CBOR_MALFORMED', 'cbor-x rejected the input', { cause });
  }
}
