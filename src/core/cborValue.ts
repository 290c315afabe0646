/**
 * The data model both encoders accept, and the check that walks a value against it.
 *
 * Accepted: `null`, booleans, numbers (integers in the safe range, or non-integral/non-finite
 * floats), well-formed strings, `Uint8Array`, plain arrays and plain objects (any key but
 * `__proto__`). Everything else is refused rather than turned into an extension tag,
 * because another device (or another implementation) must read exactly the value that was
 * written. `undefined` is refused everywhere, even as a property value: CBOR's `undefined` is
 * refused on decode, and dropping it silently would make two different objects encode to the
 * same signed bytes.
 *
 * The walk also enforces the decoder's limits on the value itself (nesting, item count,
 * string sizes), so whatever is written can be read back under the same limits. A refusal
 * names where it happened (`at value.meeting.when`), with keys that are not plain identifiers
 * shown as `[…]` (a key may be data: a phone number, a name) and array indexes as `[3]`.
 */
import { ValidationError } from '../errors.js';
import { limitExceeded, type CborLimits, type StringKind } from './cborLimits.js';

/** The encoders' error for a value outside the data model. */
export function unsupported(what: string): ValidationError {
  return new ValidationError('CBOR_UNSUPPORTED_VALUE', `cannot encode ${what} as CBOR`);
}

/** A plain object of any realm, or a null-prototype one that is not iterable. */
export function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  // The last test accepts plain objects from other realms (iframes, vm contexts). An iterable
  // null-prototype object became an indefinite-length array in cbor-x, the encoder of
  // earlier releases, so it stays out of the data model.
  return (
    (proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null) &&
    !(Symbol.iterator in value)
  );
}

/** Arrays of this realm only (cbor-x, the encoder of earlier releases, wrote any other as an indefinite-length one). */
export function isPlainArray(value: object): value is unknown[] {
  return Array.isArray(value) && value.constructor === Array;
}

/** What a refused value is, with what to store instead, for a message without the value. */
export function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined (leave the field out, or store null)';
  if (typeof value === 'bigint') return 'a bigint (store a number within ±(2^53-1), or a string)';
  if (value === null || typeof value !== 'object') return `a value of type ${typeof value}`;
  if (value instanceof Date) return 'a Date (store date.getTime() or date.toISOString())';
  if (value instanceof Map) return 'a Map (store a plain object, or an array of pairs)';
  if (value instanceof Set) return 'a Set (store an array)';
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return 'a binary value other than Uint8Array (store a Uint8Array)';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return `an object of class ${typeof name === 'string' ? name : 'unknown'} (store a plain object)`;
}

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/** Refuses a string UTF-8 cannot carry. */
export function checkString(s: string): void {
  // UTF-8 cannot carry a lone surrogate; encoders substitute U+FFFD, so two strings would
  // share bytes and the output would not decode to the input.
  if (!isWellFormed(s)) throw unsupported('a string with a lone surrogate');
}

/** Refuses a map key that would not round-trip. */
export function checkKey(key: string): void {
  // Assigning `__proto__` on a plain object sets its prototype (cbor-x renamed it on decode), so
  // it cannot round-trip; the decoder refuses it too.
  if (key === '__proto__') throw unsupported('the map key "__proto__"');
  checkString(key);
}

/** `depth` is that of a container about to be entered; the top-level container has depth 1. */
export function checkDepth(depth: number, limits: Readonly<CborLimits>): void {
  if (depth > limits.maxDepth) {
    throw unsupported(`nesting deeper than ${limits.maxDepth} (or a cycle)`);
  }
}

/**
 * The item budget left after `count` more items. Containers pay for their children (arrays
 * one per element, maps two per entry), so leaves cost nothing to count and an oversized
 * array is refused before its elements are visited.
 */
export function spendItems(left: number, count: number, limits: Readonly<CborLimits>): number {
  left -= count;
  if (left < 0) throw limitExceeded('maxItems', limits);
  return left;
}

/** Refuses a byte or text string whose payload is over `maxStringBytes`. */
export function checkStringBytes(byteLength: number, limits: Readonly<CborLimits>, kind: StringKind): void {
  if (byteLength > limits.maxStringBytes) throw limitExceeded('maxStringBytes', limits, { kind, byteLength });
}

/** UTF-8 length of a well-formed string. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** The size check of a well-formed string, measuring it only when it might be too long. */
function checkTextBytes(s: string, limits: Readonly<CborLimits>): void {
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so typical strings skip the measuring.
  if (s.length * 3 > limits.maxStringBytes) checkStringBytes(utf8Length(s), limits, 'text');
}

/**
 * Checks that `value` is in the data model and within `limits` (except `maxBytes`, which only
 * the encoding can tell). This is the pre-pass before the compact encoder, which trusts its
 * input.
 *
 * @throws ValidationError `CBOR_UNSUPPORTED_VALUE` for a value outside the data model or
 *   nesting deeper than `maxDepth` (which also stops cycles); `CBOR_LIMIT_EXCEEDED` for more
 *   than `maxItems` items or a string over `maxStringBytes`.
 */
export function assertCborValue(value: unknown, limits: Readonly<CborLimits>): void {
  try {
    walk(value, 0, spendItems(limits.maxItems, 1, limits), limits);
  } catch (error) {
    if (error instanceof ValidationError && !refusedAt.has(error)) refusedAt.set(error, { message: error.message, path: [] });
    throw relocateCborError(error, 'value');
  }
}

type Segment = string | number;

/** Where inside the value each refusal happened, innermost segment last. */
const refusedAt = new WeakMap<object, { message: string; path: Segment[] }>();

/** Adds the container's segment to a refusal passing through it. */
function within(error: unknown, segment: Segment): unknown {
  if (!(error instanceof ValidationError)) return error;
  const at = refusedAt.get(error) ?? { message: error.message, path: [] };
  at.path.unshift(segment);
  refusedAt.set(error, at);
  return error;
}

function formatPath(root: string, path: readonly Segment[]): string {
  return path.reduce<string>(
    (text, s) => text + (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/.test(s) ? `.${s}` : '[…]'),
    root,
  );
}

/**
 * A refusal from the walk (anything else is returned as it is), named by its place under `root` (`cannot encode a Date as CBOR … (at
 * value.meeting.when)`); with `skip`, leading segments that match it are dropped first, so a
 * caller that wrapped the app's value (the sync layer puts it under `v`) names it as the app sees it.
 */
export function relocateCborError(error: unknown, root: string, skip: readonly Segment[] = []): unknown {
  const at = error instanceof ValidationError ? refusedAt.get(error) : undefined;
  if (at === undefined) return error; // not a refusal of the walk: the app's validator, say
  const path = skip.every((s, i) => at.path[i] === s) ? at.path.slice(skip.length) : at.path;
  const { code, cause } = error as ValidationError;
  const located = new ValidationError(code, `${at.message} (at ${formatPath(root, path)})`, { cause });
  refusedAt.set(located, { message: at.message, path: at.path.slice() });
  return located;
}

function walk(value: unknown, depth: number, left: number, limits: Readonly<CborLimits>): number {
  switch (typeof value) {
    case 'boolean':
      return left;
    case 'string':
      checkString(value);
      checkTextBytes(value, limits);
      return left;
    case 'number':
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw unsupported('an integer beyond 2^53-1');
      }
      return left;
    case 'object': {
      if (value === null) return left;
      if (value instanceof Uint8Array) {
        checkStringBytes(value.length, limits, 'bytes');
        return left;
      }
      checkDepth(depth + 1, limits);
      if (isPlainArray(value)) {
        left = spendItems(left, value.length, limits);
        for (let i = 0; i < value.length; i++) {
          try {
            left = walk(value[i], depth + 1, left, limits);
          } catch (error) {
            throw within(error, i);
          }
        }
        return left;
      }
      if (!isPlainObject(value)) throw unsupported(kindOf(value));
      // for-in is several times faster than Object.keys here and also covers inherited
      // enumerable keys, so it checks (and counts) a superset of what the encoders write.
      for (const key in value) {
        left = spendItems(left, 2, limits);
        try {
          checkKey(key);
          checkTextBytes(key, limits);
          left = walk(value[key], depth + 1, left, limits);
        } catch (error) {
          throw within(error, key);
        }
      }
      return left;
    }
    default:
      throw unsupported(kindOf(value));
  }
}
