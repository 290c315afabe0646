/**
 * The CBOR codec every record body and signed structure goes through: the public entry points.
 *
 * Both encoders accept the data model described in `cborValue.ts` and refuse everything else;
 * `encodeCanonical` (in `cborCanonical.ts`) gives deterministic bytes for anything signed or
 * hashed, `encodeValue` (in `cborCompact.ts`) fast bytes for record bodies. Both enforce the
 * same {@link CborLimits} as the decoder (by default {@link DEFAULT_CBOR_LIMITS}), so a device
 * cannot write a value that other devices refuse.
 *
 * `decodeValue` (in `cborDecode.ts`) checks hostile input as it builds the value: bounded
 * (size, depth, item count, string length) and rejected with a typed error before anything
 * proportional to a declared length is allocated.
 */
import { UsageError } from '../errors.js';
import { resolveLimits, type CborLimits } from './cborLimits.js';
import { encodeCompact } from './cborCompact.js';
import { decodeCbor } from './cborDecode.js';
import { assertCborValue } from './cborValue.js';

export { encodeCanonical } from './cborCanonical.js';
export { DEFAULT_CBOR_LIMITS, type CborLimits } from './cborLimits.js';

/**
 * Encodes a record body quickly: plain objects become ordinary CBOR maps and `Uint8Array`
 * becomes an untagged byte string. Key order follows the object and integers outside
 * [−2³², 2³²) are written as float64 (docs/protocol.md §7), so the bytes are not canonical;
 * use {@link encodeCanonical} for anything signed or hashed.
 *
 * Enforces `limits` (default {@link DEFAULT_CBOR_LIMITS}, what {@link decodeValue} applies
 * when given none), so the bytes decode under them on any device.
 *
 * Returns a fresh `Uint8Array` that owns its memory.
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
  return encodeCompact(value, bounds);
}

/**
 * Decodes exactly one CBOR data item, checking its structure against `limits` as it goes.
 * Maps become plain objects, byte strings become plain `Uint8Array` copies and integers are
 * always `number`.
 *
 * @throws CodecError `CBOR_TOO_LARGE` (input or a string over its limit), `CBOR_TOO_DEEP`,
 *   `CBOR_TOO_MANY_ITEMS`, `CBOR_TRUNCATED` (input ends early or a length exceeds what is
 *   left), `CBOR_TRAILING_BYTES`, `CBOR_UNSUPPORTED` (tags, indefinite lengths, simple values
 *   other than false/true/null, undefined, integers beyond ±(2^53−1), non-text or `__proto__`
 *   map keys), `CBOR_DUPLICATE_KEY`, `CBOR_MALFORMED` (reserved encodings, invalid UTF-8, a
 *   stray break).
 * @throws UsageError `CBOR_INPUT_INVALID` if `bytes` is not a Uint8Array, `CBOR_LIMITS_INVALID`
 *   if a limit is not a non-negative safe integer.
 */
export function decodeValue(bytes: Uint8Array, limits?: Partial<CborLimits>): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw new UsageError('CBOR_INPUT_INVALID', 'decodeValue expects a Uint8Array');
  }
  return decodeCbor(bytes, resolveLimits(limits));
}
