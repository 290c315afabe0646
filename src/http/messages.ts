/**
 * Request and response bodies of every route, as CBOR maps (deterministic keys, byte strings
 * for all binary values). Request decoders (used by the server) refuse unknown fields; response
 * decoders (used by the client) ignore them, so a newer server can add fields.
 *
 * | route                         | request                     | response                                   |
 * |-------------------------------|-----------------------------|--------------------------------------------|
 * | GET  health                   |                             | {status: "ok", version: 1, time}           |
 * | POST accounts                 | {genesis: bytes}            | 201 {account: bytes32, head: bytes32}      |
 * | GET  chain?from=N             |                             | {entries: [bytes], head, length, more}     |
 * | POST chain                    | {entry: bytes, head: bytes32} | {head: bytes32, length}                  |
 * | POST envelopes                | {envelopes: [bytes]}        | {outcomes: ["stored"/"duplicate"/"superseded"]} |
 * | GET  envelopes, wait          |                             | {envelopes: [bytes], cursor, more}         |
 * | POST purge                    | {recordIds: [bytes16]}      | {purged}                                   |
 * | PUT  mailbox?ttl=MS           | {message: bytes}            | 201 {}                                     |
 * | GET  mailbox                  |                             | {message: bytes}                           |
 * | any error                     |                             | {code, message}                            |
 */
import { CodecError } from '../errors.js';
import type { CborLimits } from '../core/cbor.js';
import { DEFAULT_MAX_ENVELOPE_BYTES } from '../core/envelopeFormat.js';
import { MAX_ENTRY_BYTES } from '../enrollment/chainEntry.js';
import { MAX_MAILBOX_MESSAGE_BYTES, MAX_PAGE_LIMIT, MAX_PURGE_IDS } from './routes.js';
import {
  boolField,
  bytesArrayField,
  bytesField,
  decodeMap,
  onlyKeys,
  textArrayField,
  textField,
  uintField,
} from './shape.js';
import type { ErrorBody } from './wireErrors.js';

const HASH_BYTES = 32;
const RECORD_ID_BYTES = 16;

/** What happened to one pushed envelope (the store's outcome). */
export type PushOutcome = 'stored' | 'duplicate' | 'superseded';
const OUTCOMES: readonly PushOutcome[] = ['stored', 'duplicate', 'superseded'];

export interface HealthResponse {
  status: 'ok';
  version: 1;
  /** The server clock, ms since the epoch. */
  time: number;
}
export interface CreateAccountRequest {
  genesis: Uint8Array;
}
export interface CreateAccountResponse {
  account: Uint8Array;
  head: Uint8Array;
}
export interface ChainPageResponse {
  entries: Uint8Array[];
  head: Uint8Array;
  length: number;
  more: boolean;
}
export interface AppendChainRequest {
  entry: Uint8Array;
  head: Uint8Array;
}
export interface AppendChainResponse {
  head: Uint8Array;
  length: number;
}
export interface PushRequest {
  envelopes: Uint8Array[];
}
export interface PushResponse {
  outcomes: PushOutcome[];
}
export interface PullResponse {
  /** Envelopes with cursor > the requested one, in cursor order. */
  envelopes: Uint8Array[];
  /** The cursor to ask after next time. */
  cursor: number;
  /** True when more envelopes are waiting. */
  more: boolean;
}
export interface PurgeRequest {
  /** Record ids (16 bytes each, 1..MAX_PURGE_IDS) whose envelopes the server deletes. */
  recordIds: Uint8Array[];
}
export interface PurgeResponse {
  /** How many envelopes this request deleted (unknown ids count for nothing). */
  purged: number;
}
export interface MailboxPutRequest {
  message: Uint8Array;
}
export interface MailboxTakeResponse {
  /** The message, or null when none is waiting (an empty poll is a normal answer, not an error). */
  message: Uint8Array | null;
}

const SMALL = { maxDepth: 2, maxItems: 16, maxStringBytes: MAX_ENTRY_BYTES, maxBytes: 8192 };

// ------------------------------------------------------------------ requests (server side)

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodeCreateAccountRequest(bytes: Uint8Array): CreateAccountRequest {
  const map = decodeMap(bytes, { ...SMALL, maxDepth: 1 }, 'account creation');
  onlyKeys(map, ['genesis'], 'account creation');
  const genesis = bytesField(map, 'genesis');
  if (genesis.length > MAX_ENTRY_BYTES) throw new CodecError('WIRE_SHAPE_INVALID', `"genesis" exceeds ${MAX_ENTRY_BYTES} bytes`);
  return { genesis };
}

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodeAppendChainRequest(bytes: Uint8Array): AppendChainRequest {
  const map = decodeMap(bytes, { ...SMALL, maxDepth: 1 }, 'chain append');
  onlyKeys(map, ['entry', 'head'], 'chain append');
  const entry = bytesField(map, 'entry');
  if (entry.length > MAX_ENTRY_BYTES) throw new CodecError('WIRE_SHAPE_INVALID', `"entry" exceeds ${MAX_ENTRY_BYTES} bytes`);
  return { entry, head: bytesField(map, 'head', HASH_BYTES) };
}

/**
 * Decodes a push. More than `maxBatch` envelopes fails with `BATCH_TOO_LARGE` (a CodecError
 * code the server maps to 413), even when the item count is what stopped the decoder.
 * @throws {CodecError} `BATCH_TOO_LARGE`, `CBOR_*`, `WIRE_SHAPE_INVALID`.
 */
export function decodePushRequest(bytes: Uint8Array, maxBatch: number, maxEnvelopeBytes: number): PushRequest {
  let map;
  try {
    map = decodeMap(bytes, { maxDepth: 2, maxItems: 2 * maxBatch + 8, maxStringBytes: maxEnvelopeBytes, maxBytes: bytes.length }, 'push');
  } catch (error) {
    if (error instanceof CodecError && error.code === 'CBOR_TOO_MANY_ITEMS') throw batchTooLarge(maxBatch);
    throw error;
  }
  onlyKeys(map, ['envelopes'], 'push');
  const envelopes = bytesArrayField(map, 'envelopes');
  if (envelopes.length > maxBatch) throw batchTooLarge(maxBatch);
  if (envelopes.length === 0) throw new CodecError('WIRE_SHAPE_INVALID', 'a push carries at least one envelope');
  return { envelopes };
}

function batchTooLarge(maxBatch: number): CodecError {
  return new CodecError('BATCH_TOO_LARGE', `a push carries at most ${maxBatch} envelopes`);
}

/** Largest purge body: MAX_PURGE_IDS ids of 17 encoded bytes each, plus the map around them. */
export const PURGE_BODY_BYTES = MAX_PURGE_IDS * (RECORD_ID_BYTES + 1) + 64;

/**
 * Decodes a purge. More than `MAX_PURGE_IDS` ids fails with `BATCH_TOO_LARGE`, as a push does.
 * @throws {CodecError} `BATCH_TOO_LARGE`, `CBOR_*`, `WIRE_SHAPE_INVALID`.
 */
export function decodePurgeRequest(bytes: Uint8Array): PurgeRequest {
  let map;
  try {
    map = decodeMap(bytes, { maxDepth: 2, maxItems: MAX_PURGE_IDS + 8, maxStringBytes: 64, maxBytes: PURGE_BODY_BYTES }, 'purge');
  } catch (error) {
    if (error instanceof CodecError && error.code === 'CBOR_TOO_MANY_ITEMS') throw purgeTooLarge();
    throw error;
  }
  onlyKeys(map, ['recordIds'], 'purge');
  const recordIds = bytesArrayField(map, 'recordIds');
  if (recordIds.length > MAX_PURGE_IDS) throw purgeTooLarge();
  if (recordIds.length === 0) throw new CodecError('WIRE_SHAPE_INVALID', 'a purge names at least one record id');
  for (const id of recordIds) {
    if (id.length !== RECORD_ID_BYTES) throw new CodecError('WIRE_SHAPE_INVALID', `"recordIds" must hold ${RECORD_ID_BYTES}-byte ids`);
  }
  return { recordIds };
}

function purgeTooLarge(): CodecError {
  return new CodecError('BATCH_TOO_LARGE', `a purge names at most ${MAX_PURGE_IDS} record ids`);
}

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodeMailboxPutRequest(bytes: Uint8Array): MailboxPutRequest {
  const map = decodeMap(
    bytes,
    { maxDepth: 1, maxItems: 4, maxStringBytes: MAX_MAILBOX_MESSAGE_BYTES, maxBytes: MAX_MAILBOX_MESSAGE_BYTES + 64 },
    'mailbox message',
  );
  onlyKeys(map, ['message'], 'mailbox message');
  const message = bytesField(map, 'message');
  if (message.length === 0) throw new CodecError('WIRE_SHAPE_INVALID', '"message" must not be empty');
  return { message };
}

// ------------------------------------------------------------------ responses (client side)

/** Limits the client applies to response bodies. */
export interface ResponseLimits {
  /** Largest response body, in bytes. Default 64 MiB. */
  maxResponseBytes: number;
  /** Largest single envelope, in bytes. Default 4 MiB. */
  maxEnvelopeBytes: number;
}

/** Defaults of {@link ResponseLimits}. */
/**
 * Bounds for encoding request and response bodies. Bodies carry whole envelopes (up to
 * DEFAULT_MAX_ENVELOPE_BYTES each) in pages, so the record-body defaults of encodeValue would
 * refuse legitimate traffic; each side's decoder enforces the limits that matter.
 */
export const WIRE_ENCODE_LIMITS: Readonly<CborLimits> = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 4,
  maxItems: 4 * MAX_PAGE_LIMIT + 64,
  maxStringBytes: DEFAULT_MAX_ENVELOPE_BYTES,
});

export const DEFAULT_RESPONSE_LIMITS: Readonly<ResponseLimits> = Object.freeze({
  maxResponseBytes: 64 * 1024 * 1024,
  maxEnvelopeBytes: DEFAULT_MAX_ENVELOPE_BYTES,
});

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodeErrorBody(bytes: Uint8Array): ErrorBody {
  const map = decodeMap(bytes, { ...SMALL, maxDepth: 1 }, 'error');
  return { code: textField(map, 'code'), message: textField(map, 'message') };
}

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodeHealthResponse(bytes: Uint8Array): HealthResponse {
  const map = decodeMap(bytes, SMALL, 'health');
  textField(map, 'status', ['ok']);
  if (map.version !== 1) throw new CodecError('WIRE_SHAPE_INVALID', 'unsupported API version');
  return { status: 'ok', version: 1, time: uintField(map, 'time') };
}

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodeCreateAccountResponse(bytes: Uint8Array): CreateAccountResponse {
  const map = decodeMap(bytes, SMALL, 'account');
  return { account: bytesField(map, 'account', HASH_BYTES), head: bytesField(map, 'head', HASH_BYTES) };
}

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodeChainPageResponse(bytes: Uint8Array): ChainPageResponse {
  const map = decodeMap(
    bytes,
    { maxDepth: 2, maxItems: 2 * MAX_PAGE_LIMIT + 16, maxStringBytes: MAX_ENTRY_BYTES, maxBytes: MAX_PAGE_LIMIT * (MAX_ENTRY_BYTES + 8) + 1024 },
    'chain page',
  );
  return {
    entries: bytesArrayField(map, 'entries'),
    head: bytesField(map, 'head', HASH_BYTES),
    length: uintField(map, 'length'),
    more: boolField(map, 'more'),
  };
}

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodeAppendChainResponse(bytes: Uint8Array): AppendChainResponse {
  const map = decodeMap(bytes, SMALL, 'chain append result');
  return { head: bytesField(map, 'head', HASH_BYTES), length: uintField(map, 'length') };
}

/**
 * Decodes a push result, which must hold one outcome per pushed envelope.
 * @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`.
 */
export function decodePushResponse(bytes: Uint8Array, pushed: number): PushResponse {
  const map = decodeMap(bytes, { maxDepth: 2, maxItems: pushed + 16, maxStringBytes: 64, maxBytes: 16 * pushed + 1024 }, 'push result');
  const outcomes = textArrayField(map, 'outcomes', OUTCOMES);
  if (outcomes.length !== pushed) throw new CodecError('WIRE_SHAPE_INVALID', 'the push result does not match the batch');
  return { outcomes };
}

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodePullResponse(bytes: Uint8Array, limits: ResponseLimits = DEFAULT_RESPONSE_LIMITS): PullResponse {
  const map = decodeMap(
    bytes,
    { maxDepth: 2, maxItems: 2 * MAX_PAGE_LIMIT + 16, maxStringBytes: limits.maxEnvelopeBytes, maxBytes: limits.maxResponseBytes },
    'pull page',
  );
  return { envelopes: bytesArrayField(map, 'envelopes'), cursor: uintField(map, 'cursor'), more: boolField(map, 'more') };
}

/**
 * Decodes a purge result; it cannot count more deletions than ids were sent.
 * @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`.
 */
export function decodePurgeResponse(bytes: Uint8Array, requested: number): PurgeResponse {
  const map = decodeMap(bytes, SMALL, 'purge result');
  const purged = uintField(map, 'purged');
  if (purged > requested) throw new CodecError('WIRE_SHAPE_INVALID', 'the purge result counts more envelopes than were named');
  return { purged };
}

/** @throws {CodecError} `CBOR_*`, `WIRE_SHAPE_INVALID`. */
export function decodeMailboxTakeResponse(bytes: Uint8Array): MailboxTakeResponse {
  const map = decodeMap(
    bytes,
    { maxDepth: 1, maxItems: 8, maxStringBytes: MAX_MAILBOX_MESSAGE_BYTES, maxBytes: MAX_MAILBOX_MESSAGE_BYTES + 256 },
    'mailbox message',
  );
  return { message: map.message === null ? null : bytesField(map, 'message') };
}
