/**
 * What the sync layer puts inside an envelope body (a CBOR map, encrypted; the server never
 * sees any of it):
 *
 * | key | meaning                                                             |
 * |-----|---------------------------------------------------------------------|
 * | c   | collection name (text, 1..64 bytes; names starting with `$` are reserved) |
 * | v   | the record's value (absent in a tombstone)                          |
 * | t   | sort time, ms since the epoch (for a call: when it started)         |
 * | x   | local expiry, ms since the epoch (absent = keep)                    |
 * | g   | history grants (only in the reserved `$grants` collection)          |
 * | k   | the record's string key, when it has one (absent in a tombstone)    |
 * | h   | the write's clock, 8 bytes (`hlc.ts`); in every body but `$grants`' |
 * | b   | base: the clock of the version the write replaced (absent for a new record) |
 *
 * Grant bundles (`$grants`) carry no clock: each is written once, at revision 1, to one device,
 * and never replaced, so there is nothing to order. Every other collection, reserved or not,
 * carries `h`, because its records can have versions that compete.
 *
 * The record id of a string-keyed record is derived from its collection and key (recordKey.ts),
 * so the key itself travels only here, inside the encrypted body.
 */
import { CodecError, ValidationError } from '../errors.js';
import { compareClocks, isClock } from './hlc.js';
import { utf8Length } from '../core/cborValue.js';

/** Collection of the envelopes that carry history grants to a newly enrolled device. */
export const GRANTS_COLLECTION = '$grants';
/** Collection of the account's own records: the naming key (namingKey.ts). */
export const ACCOUNT_COLLECTION = '$account';
/** Collection of attachment chunks (attachment.ts). */
export const CHUNKS_COLLECTION = '$chunk';

/** Longest string key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** A decoded record body. */
export interface RecordBody {
  collection: string;
  value?: unknown;
  sortTime: number;
  expiresAt?: number;
  grants?: Uint8Array[];
  /** The write's clock (8 bytes); absent only in `$grants`. */
  clock?: Uint8Array;
  /** The clock of the version the write replaced; absent for a new record. */
  base?: Uint8Array;
  /** The string key the record id was derived from. */
  key?: string;
}

/**
 * Checks an app-chosen collection name.
 * @throws {ValidationError} `COLLECTION_NAME_INVALID`.
 */
export function checkCollectionName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64 || name.startsWith('$')) {
    throw new ValidationError('COLLECTION_NAME_INVALID', 'a collection name is 1..64 characters and does not start with "$"');
  }
  return name;
}

/** The CBOR-ready map for a body. */
export function bodyToWire(body: RecordBody): Record<string, unknown> {
  const wire: Record<string, unknown> = { c: body.collection, t: body.sortTime };
  if (body.value !== undefined) wire.v = body.value;
  if (body.expiresAt !== undefined) wire.x = body.expiresAt;
  if (body.grants !== undefined) wire.g = body.grants;
  if (body.clock !== undefined) wire.h = body.clock;
  if (body.base !== undefined) wire.b = body.base;
  if (body.key !== undefined) wire.k = body.key;
  return wire;
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Checks a decoded body's shape.
 * @throws {CodecError} `RECORD_BODY_INVALID`.
 */
export function bodyFromWire(wire: unknown): RecordBody {
  const bad = (why: string) => new CodecError('RECORD_BODY_INVALID', `record body: ${why}`);
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) throw bad('not a map');
  const w = wire as Record<string, unknown>;
  for (const key of Object.keys(w)) if (!'cvtxghbk'.includes(key) || key.length !== 1) throw bad(`unknown field "${key}"`);
  if (typeof w.c !== 'string' || w.c.length === 0 || w.c.length > 64) throw bad('collection name');
  if (!isTime(w.t)) throw bad('sort time');
  if (w.x !== undefined && !isTime(w.x)) throw bad('expiry');
  const body: RecordBody = { collection: w.c, sortTime: w.t };
  if ('v' in w) body.value = w.v;
  if (w.x !== undefined) body.expiresAt = w.x;
  if (w.k !== undefined) {
    if (typeof w.k !== 'string' || w.k.length === 0 || utf8Length(w.k) > MAX_KEY_BYTES) throw bad('key');
    body.key = w.k;
  }
  if (w.g !== undefined) {
    if (w.c !== GRANTS_COLLECTION || !Array.isArray(w.g) || !w.g.every((g) => g instanceof Uint8Array)) throw bad('grants');
    body.grants = w.g as Uint8Array[];
  }
  if (w.c === GRANTS_COLLECTION) {
    if (w.h !== undefined || w.b !== undefined) throw bad('a grant bundle has no clock');
    return body;
  }
  if (!isClock(w.h)) throw bad('clock');
  body.clock = w.h;
  if (w.b !== undefined) {
    if (!isClock(w.b) || compareClocks(w.b, w.h) > 0) throw bad('base');
    body.base = w.b;
  }
  return body;
}
