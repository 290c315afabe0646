/**
 * How large one record's value may be. A collection may raise the defaults (a notes app that
 * keeps 1 MiB of text in one string, say) up to the protocol ceiling: a value whose body still
 * fits an envelope of 4 MiB for the most recipients an envelope may have (core/bodyCeiling.ts).
 *
 * Writers check a value against its collection's limits; readers decode every body against
 * the ceiling, never against their own collection's limits, so a device that raised a limit
 * syncs to one that did not (or has not opened the collection at all).
 */
import { UsageError } from '../errors.js';
import { MAX_BODY_BYTES } from '../core/bodyCeiling.js';
import { DEFAULT_CBOR_LIMITS, type CborLimits } from '../core/cborLimits.js';

/** Limits of a collection's values; each defaults to {@link DEFAULT_CBOR_LIMITS}. */
export interface CollectionLimits {
  /** Largest encoded value, in bytes (default 1 MiB). */
  maxBytes?: number;
  /** Longest text string (UTF-8 bytes) or byte string in a value (default 64 KiB). */
  maxStringBytes?: number;
  /** Most data items in a value: every scalar, string, container, map key and map value (default 10,000). */
  maxItems?: number;
}

/**
 * What the record body holds besides the value (collection name, times, the string key of at
 * most 1 KiB, and the fields later versions add), bounded generously.
 */
const BODY_RESERVE_BYTES = 4096;
/** Items the body adds around the value (its map and the other fields). */
const BODY_RESERVE_ITEMS = 64;

/** The highest limits a collection may set. */
export const LIMITS_CEILING: Readonly<Required<CollectionLimits>> = Object.freeze({
  /** 4,059,135 bytes: {@link MAX_BODY_BYTES} less the body's own fields. */
  maxBytes: MAX_BODY_BYTES - BODY_RESERVE_BYTES,
  maxStringBytes: MAX_BODY_BYTES - BODY_RESERVE_BYTES,
  /** Bounds what decoding one body may build in memory (about 100 MB at worst). */
  maxItems: 1_000_000,
});

/** The CBOR limits of a value at the ceiling: what a replica's store accepts from any device. */
export const VALUE_CEILING_LIMITS: Readonly<CborLimits> = Object.freeze({
  maxBytes: LIMITS_CEILING.maxBytes,
  maxDepth: DEFAULT_CBOR_LIMITS.maxDepth,
  maxItems: LIMITS_CEILING.maxItems,
  maxStringBytes: LIMITS_CEILING.maxStringBytes,
});

/**
 * The limits every reader decodes a record body with, and every writer seals one under: any
 * value within {@link LIMITS_CEILING}, in its body. One more level of nesting than a value may
 * use, for the body's own map.
 */
export const BODY_LIMITS: Readonly<CborLimits> = Object.freeze({
  maxBytes: MAX_BODY_BYTES,
  maxDepth: DEFAULT_CBOR_LIMITS.maxDepth + 1,
  maxItems: LIMITS_CEILING.maxItems + BODY_RESERVE_ITEMS,
  maxStringBytes: LIMITS_CEILING.maxStringBytes,
});

/** The CBOR limits of a value under `limits`. */
export type ValueLimits = Readonly<CborLimits>;

/**
 * Checks a collection's limits and returns the CBOR limits its values are written under.
 * @throws {UsageError} `COLLECTION_LIMITS_INVALID` for a limit that is not an integer from 1 to
 *   its ceiling, or an unknown one.
 */
export function resolveCollectionLimits(limits: CollectionLimits | undefined): ValueLimits {
  if (limits === undefined) return DEFAULT_CBOR_LIMITS;
  if (typeof limits !== 'object' || limits === null) throw invalid('limits must be an object');
  for (const name of Object.keys(limits)) {
    if (!(name in LIMITS_CEILING)) throw invalid(`unknown limit "${name}" (maxBytes, maxStringBytes, maxItems)`);
  }
  const pick = (name: keyof CollectionLimits, fallback: number): number => {
    const value = limits[name];
    if (value === undefined) return fallback;
    const ceiling = LIMITS_CEILING[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > ceiling) {
      throw invalid(`${name} must be an integer from 1 to ${ceiling}`);
    }
    return value;
  };
  return {
    maxBytes: pick('maxBytes', DEFAULT_CBOR_LIMITS.maxBytes),
    maxDepth: DEFAULT_CBOR_LIMITS.maxDepth,
    maxItems: pick('maxItems', DEFAULT_CBOR_LIMITS.maxItems),
    maxStringBytes: pick('maxStringBytes', DEFAULT_CBOR_LIMITS.maxStringBytes),
  };
}

function invalid(why: string): UsageError {
  return new UsageError('COLLECTION_LIMITS_INVALID', `collection limits: ${why}`);
}
