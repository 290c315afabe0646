/**
 * Bounds on a CBOR data item, shared by the decoder and both encoders. The encoders enforce
 * the same limits the decoder does, so a device never writes a value (a sealed record body,
 * say) that every other device would then refuse to read.
 */
import { UsageError, ValidationError } from '../errors.js';

/** Bounds on a CBOR data item, enforced when decoding and when encoding. */
export interface CborLimits {
  /** Largest accepted encoding, in bytes. */
  maxBytes: number;
  /** Deepest accepted nesting of arrays and maps; a top-level container has depth 1. */
  maxDepth: number;
  /** Most data items in total: every scalar, string, container, map key and map value. */
  maxItems: number;
  /** Longest accepted byte or text string payload, in bytes. */
  maxStringBytes: number;
}

/** Limits used when none are given: roomy for records, tight for attackers. */
export const DEFAULT_CBOR_LIMITS: Readonly<CborLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 16,
  maxItems: 10_000,
  maxStringBytes: 64 * 1024,
});

/**
 * The limits to enforce: {@link DEFAULT_CBOR_LIMITS} when none are given, otherwise `limits`
 * with each missing (or `undefined`) bound taken from the defaults.
 *
 * @throws UsageError `CBOR_LIMITS_INVALID` if a limit is not a non-negative safe integer.
 */
export function resolveLimits(limits: Partial<CborLimits> | undefined): Readonly<CborLimits> {
  if (limits === undefined) return DEFAULT_CBOR_LIMITS;
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

const EXCEEDED: Record<'maxBytes' | 'maxItems' | 'maxStringBytes', (n: number) => string> = {
  maxBytes: (n) => `the encoding is over ${n} bytes (maxBytes)`,
  maxItems: (n) => `the value has more than ${n} data items (maxItems)`,
  maxStringBytes: (n) => `a string is over ${n} bytes (maxStringBytes)`,
};

/** What a string over `maxStringBytes` was, for its message. */
export type StringKind = 'text' | 'bytes';

/**
 * The encoders' error for a value over a limit. (Nesting over `maxDepth` is reported as
 * `CBOR_UNSUPPORTED_VALUE` instead, because the same check is what stops cycles.)
 */
export function limitExceeded(
  limit: keyof typeof EXCEEDED,
  limits: Readonly<CborLimits>,
  string?: { kind: StringKind; byteLength: number },
): ValidationError {
  const what =
    string === undefined
      ? EXCEEDED[limit](limits[limit])
      : string.kind === 'bytes'
        ? `a byte string (Uint8Array) of ${string.byteLength} bytes is over ${limits.maxStringBytes} bytes (maxStringBytes)`
        : `a text string of ${string.byteLength} UTF-8 bytes is over ${limits.maxStringBytes} bytes (maxStringBytes)`;
  return new ValidationError('CBOR_LIMIT_EXCEEDED', `cannot encode as CBOR: ${what}`);
}
