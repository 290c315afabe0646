/**
 * What a local write queues for the server: the write itself, unsealed. Sealing happens at push
 * time, for the devices that are recipients then and under the pair keys current then, in the
 * same step that logs it; so a queued write never carries a recipient removed meanwhile, a key
 * from an ended epoch, or a stale card, and there is nothing to "re-seal".
 *
 * The bytes are compact CBOR of `{c: collection, r: record id, n: revision, k: 0 record | 1 tombstone,
 * b: body (the record body's wire map), x: retention in days or absent}`. They stay on this
 * device (the outbox is local), so they are not part of the wire protocol; they are as private
 * as the records table beside them.
 */
import { CodecError } from '../errors.js';
import { decodeValue, encodeValue } from '../core/cbor.js';
import type { EnvelopeKind } from '../core/envelopeFormat.js';

import { BODY_LIMITS } from './collectionLimits.js';

// A body within the ceiling, and the few bytes and items of the wrapper around it.
const OUTBOX_LIMITS = { maxBytes: BODY_LIMITS.maxBytes + 1024, maxItems: BODY_LIMITS.maxItems + 16, maxStringBytes: BODY_LIMITS.maxStringBytes, maxDepth: BODY_LIMITS.maxDepth + 1 };

/** A queued write. */
export interface OutboxWrite {
  readonly collection: string;
  readonly recordId: Uint8Array;
  readonly revision: number;
  readonly kind: EnvelopeKind;
  /** The record body's wire map (recordBody.ts), sealed as is. */
  readonly body: Record<string, unknown>;
  /** The collection's retention in days when written: the envelope's expiry day counts from the push. */
  readonly retentionDays?: number;
}

/** Encodes a write for the outbox. */
export function encodeOutboxWrite(write: OutboxWrite): Uint8Array {
  const map: Record<string, unknown> = {
    c: write.collection,
    r: write.recordId,
    n: write.revision,
    k: write.kind === 'record' ? 0 : 1,
    b: write.body,
  };
  if (write.retentionDays !== undefined) map.x = write.retentionDays;
  // The body is within the record limits already (its value was checked when written); the
  // wrapper around it adds a few items and bytes.
  return encodeValue(map, OUTBOX_LIMITS);
}

/**
 * Decodes an outbox item this library wrote.
 * @throws {CodecError} `OUTBOX_ITEM_CORRUPT`.
 */
export function decodeOutboxWrite(bytes: Uint8Array): OutboxWrite {
  const bad = (cause?: unknown) => new CodecError('OUTBOX_ITEM_CORRUPT', 'a queued write does not decode', cause === undefined ? undefined : { cause });
  let value: unknown;
  try {
    // Written by this library under the record limits, so only size bounds are needed here.
    value = decodeValue(bytes, OUTBOX_LIMITS);
  } catch (cause) {
    throw bad(cause);
  }
  const o = value as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad();
  const { c, r, n, k, b, x } = o;
  if (typeof c !== 'string' || !(r instanceof Uint8Array) || r.length !== 16 || typeof n !== 'number' || (k !== 0 && k !== 1)) throw bad();
  if (typeof b !== 'object' || b === null || Array.isArray(b) || (x !== undefined && typeof x !== 'number')) throw bad();
  return {
    collection: c,
    recordId: r,
    revision: n,
    kind: k === 0 ? 'record' : 'tombstone',
    body: b as Record<string, unknown>,
    ...(x === undefined ? {} : { retentionDays: x as number }),
  };
}
