/**
 * The persisted form of a device's verified chain, so that it notices a rollback across
 * restarts: canonical CBOR `{v: 1, self: device id (16), at: ms, e: [entry bytes…], fa?: reason}`,
 * where `at` is when the server last confirmed this head and `fa` an unacknowledged fork alarm.
 * It holds only public data (the chain is public to the server), but it is the device's memory
 * of what it has seen: store it where the server cannot rewrite it.
 */
import { CodecError } from '../errors.js';
import { decodeValue, encodeCanonical } from '../core/cbor.js';
import { MAX_ENTRY_BYTES } from './chainEntry.js';
import type { ForkAlarmReason } from './forkAlarm.js';

/** Most entries a persisted chain may hold. */
export const MAX_CHAIN_ENTRIES = 100_000;

const REASONS: ReadonlySet<string> = new Set(['rollback', 'diverged', 'unknown-head', 'invalid-entry', 'backdated', 'postdated']);

/** The decoded persisted form (entries not yet verified). */
export interface ChainSnapshot {
  self: Uint8Array;
  verifiedAt: number;
  entries: Uint8Array[];
  alarm?: ForkAlarmReason;
}

/** Encodes a snapshot. */
export function encodeChainSnapshot(snapshot: ChainSnapshot): Uint8Array {
  const map: Record<string, unknown> = { v: 1, self: snapshot.self, at: snapshot.verifiedAt, e: snapshot.entries };
  if (snapshot.alarm !== undefined) map.fa = snapshot.alarm;
  return encodeCanonical(map);
}

/**
 * Decodes and shape-checks a snapshot; the caller replays the entries.
 * @throws {CodecError} `DEVICE_CHAIN_MALFORMED`.
 */
export function decodeChainSnapshot(bytes: Uint8Array): ChainSnapshot {
  const malformed = (cause?: unknown) =>
    new CodecError('DEVICE_CHAIN_MALFORMED', 'the saved device chain is damaged or not a device chain', cause === undefined ? undefined : { cause });
  if (!(bytes instanceof Uint8Array)) throw malformed();
  let value: unknown;
  try {
    value = decodeValue(bytes, {
      maxDepth: 2,
      maxItems: MAX_CHAIN_ENTRIES + 16,
      maxStringBytes: MAX_ENTRY_BYTES,
      maxBytes: MAX_CHAIN_ENTRIES * (MAX_ENTRY_BYTES + 8),
    });
  } catch (cause) {
    throw malformed(cause);
  }
  const o = value as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o) || o.v !== 1) throw malformed();
  const keys = Object.keys(o).length;
  const { self, at, e, fa } = o;
  const ok =
    self instanceof Uint8Array && self.length === 16 &&
    typeof at === 'number' && Number.isSafeInteger(at) && at >= 0 &&
    Array.isArray(e) && e.length >= 1 && e.every((x) => x instanceof Uint8Array) &&
    (fa === undefined || (typeof fa === 'string' && REASONS.has(fa))) &&
    keys === (fa === undefined ? 4 : 5);
  if (!ok) throw malformed();
  return { self, verifiedAt: at, entries: e as Uint8Array[], ...(fa === undefined ? {} : { alarm: fa as ForkAlarmReason }) };
}
