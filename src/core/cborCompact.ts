/**
 * The compact CBOR encoder, for record bodies: one pass over a value that `assertCborValue` has
 * already checked, writing what cbor-x 1.6 wrote for the same value (the body bytes of format 1
 * and 2 envelopes), so that every body sealed before and after reads and hashes the same:
 *
 * - map keys in the object's own order (`Object.keys`), under the shortest head;
 * - integers in [−2³², 2³²) as CBOR integers under the shortest head, `-0` as `0`;
 * - every other number (non-integral, NaN, ±Infinity, integers outside that range) as float64;
 * - everything else as `encodeCanonical` writes it.
 *
 * test/core/cborDifferential.test.ts compares the bytes with cbor-x's on random values.
 */
import { limitExceeded, type CborLimits } from './cborLimits.js';
import { checkDepth, isPlainArray, isPlainObject, kindOf, unsupported } from './cborValue.js';
import { acquireWriter, releaseWriter, type ByteWriter } from './cborWriter.js';

/**
 * Encodes `value`, which must have passed `assertCborValue(value, limits)`. Getters run a
 * second time here; should one now return something outside the data model, or nest deeper
 * than `maxDepth` (a cycle), the value is refused, and the size stays bounded by `maxBytes`.
 *
 * @throws ValidationError `CBOR_LIMIT_EXCEEDED` for an encoding over `maxBytes`;
 *   `CBOR_UNSUPPORTED_VALUE` for a value a getter changed since the check.
 */
export function encodeCompact(value: unknown, limits: Readonly<CborLimits>): Uint8Array {
  const writer = acquireWriter(limits);
  try {
    writeCompact(writer, value, 0);
    if (writer.len > limits.maxBytes) throw limitExceeded('maxBytes', limits);
    return writer.result();
  } finally {
    releaseWriter(writer);
  }
}

function writeCompact(w: ByteWriter, value: unknown, depth: number): void {
  switch (typeof value) {
    case 'string':
      w.text(value);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= -0x100000000 && value < 0x100000000) {
        if (value >= 0) w.head(0, value);
        else w.head(1, -1 - value);
      } else {
        w.float64(value);
      }
      return;
    case 'boolean':
      w.head(7, value ? 21 : 20);
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
      checkDepth(++depth, w.limits);
      if (isPlainArray(value)) {
        const length = value.length;
        w.head(4, length);
        for (let i = 0; i < length; i++) writeCompact(w, value[i], depth);
        return;
      }
      if (isPlainObject(value)) {
        const keys = Object.keys(value);
        w.head(5, keys.length);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          w.text(key);
          writeCompact(w, value[key], depth);
        }
        return;
      }
      throw unsupported(kindOf(value));
    }
    default:
      throw unsupported(kindOf(value));
  }
}
