/**
 * Shape checks for wire maps: decode a CBOR map under tight limits, then read typed fields.
 * Every failure is a `CodecError`: `CBOR_*` from the decoder, `WIRE_SHAPE_INVALID` for a
 * wrong field. The server turns both into `BAD_REQUEST`, the client into `RESPONSE_INVALID`.
 */
import { CodecError } from '../errors.js';
import { decodeValue, type CborLimits } from '../core/cbor.js';

/** A decoded wire map. */
export type WireMap = Readonly<Record<string, unknown>>;

function invalid(message: string): CodecError {
  return new CodecError('WIRE_SHAPE_INVALID', message);
}

/**
 * Decodes `bytes` as one CBOR map.
 * @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`.
 */
export function decodeMap(bytes: Uint8Array, limits: Partial<CborLimits>, what: string): WireMap {
  const value = decodeValue(bytes, limits);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw invalid(`${what} must be a CBOR map`);
  }
  return value as WireMap;
}

/** Requests are strict: a key the server does not know is refused, so nothing is silently ignored. */
export function onlyKeys(map: WireMap, keys: readonly string[], what: string): void {
  for (const key of Object.keys(map)) if (!keys.includes(key)) throw invalid(`${what} has an unknown field "${key}"`);
}

/** A byte-string field, optionally of an exact length. */
export function bytesField(map: WireMap, key: string, length?: number): Uint8Array {
  const value = map[key];
  if (!(value instanceof Uint8Array)) throw invalid(`"${key}" must be a byte string`);
  if (length !== undefined && value.length !== length) throw invalid(`"${key}" must be ${length} bytes`);
  return value;
}

/** A non-negative safe integer field. */
export function uintField(map: WireMap, key: string): number {
  const value = map[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`"${key}" must be a non-negative integer`);
  }
  return value;
}

/** A boolean field. */
export function boolField(map: WireMap, key: string): boolean {
  const value = map[key];
  if (typeof value !== 'boolean') throw invalid(`"${key}" must be a boolean`);
  return value;
}

/** A text field limited to `allowed` values, or any string when `allowed` is omitted. */
export function textField<T extends string>(map: WireMap, key: string, allowed?: readonly T[]): T {
  const value = map[key];
  if (typeof value !== 'string' || (allowed !== undefined && !(allowed as readonly string[]).includes(value))) {
    throw invalid(`"${key}" must be ${allowed === undefined ? 'a text string' : `one of ${allowed.join(', ')}`}`);
  }
  return value as T;
}

/** An array field whose items are all byte strings. */
export function bytesArrayField(map: WireMap, key: string): Uint8Array[] {
  const value = map[key];
  if (!Array.isArray(value)) throw invalid(`"${key}" must be an array`);
  for (const item of value) if (!(item instanceof Uint8Array)) throw invalid(`"${key}" must hold byte strings only`);
  return value as Uint8Array[];
}

/** An array field whose items are all drawn from `allowed`. */
export function textArrayField<T extends string>(map: WireMap, key: string, allowed: readonly T[]): T[] {
  const value = map[key];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && (allowed as readonly string[]).includes(v))) {
    throw invalid(`"${key}" must be an array of ${allowed.join(' | ')}`);
  }
  return value as T[];
}
