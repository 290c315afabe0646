/**
 * Response bodies: CBOR for successes and for every error. Errors the server did not mean to
 * raise become `INTERNAL` with no detail. A failing database becomes `STORE_FULL` (507),
 * `STORE_READ_ONLY` or `STORE_BUSY` (503) when its driver said why, else `UNAVAILABLE` (503);
 * the log line gets the driver's code as the cause, the client only the wire code.
 */
import { CodecError, StorageError } from '../errors.js';
import { encodeValue } from '../core/cbor.js';
import { WIRE_ENCODE_LIMITS } from '../http/messages.js';
import { CBOR_CONTENT_TYPE } from '../http/routes.js';
import type { WireErrorCode } from '../http/wireErrors.js';
import { HttpError } from './httpError.js';
import { databaseFailureNote, isDatabaseFailure } from './storeFailure.js';

const BASE_HEADERS = { 'content-type': CBOR_CONTENT_TYPE, 'cache-control': 'no-store' } as const;

/** A CBOR response. */
export function cborResponse(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(encodeValue(value, WIRE_ENCODE_LIMITS) as Uint8Array<ArrayBuffer>, { status, headers: { ...BASE_HEADERS, ...headers } });
}

const STORAGE_CODES: Readonly<Record<string, [WireErrorCode, string | undefined]>> = {
  ACCOUNT_NOT_FOUND: ['ACCOUNT_NOT_FOUND', undefined],
  ACCOUNT_EXISTS: ['ACCOUNT_EXISTS', undefined],
  CHAIN_CONFLICT: ['CHAIN_CONFLICT', 'the chain head moved; re-read the chain and rebuild the entry'],
  QUOTA_EXCEEDED: ['QUOTA_EXCEEDED', undefined],
  LOG_CONFLICT: ['LOG_CONFLICT', undefined],
  LOG_CUT_STALE: ['LOG_CUT_STALE', undefined],
  REVISION_JUMP: ['REVISION_JUMP', undefined],
  MAILBOX_FULL: ['MAILBOX_FULL', undefined],
  INVALID_ARGUMENT: ['BAD_REQUEST', 'a value is out of range'],
  STORE_CLOSED: ['UNAVAILABLE', 'the server is shutting down'],
  STORE_FULL: ['STORE_FULL', "the server's disk is full"],
  STORE_READ_ONLY: ['STORE_READ_ONLY', "the server's database refuses writes"],
  STORE_BUSY: ['STORE_BUSY', "the server's database is busy"],
  STORE_FAILURE: ['UNAVAILABLE', 'the database is unavailable'],
};

/** What the client is told about `error`: a code, a status, a message and headers. */
export function describeError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof StorageError) {
    const mapped = STORAGE_CODES[error.code];
    // Storage messages are written for clients, except driver failures, which may quote SQL:
    // those keep only the driver's code, for the log.
    if (mapped !== undefined) {
      const logNote = isDatabaseFailure(error) ? databaseFailureNote(error) : undefined;
      return new HttpError(mapped[0], mapped[1] ?? error.message, {}, { cause: error, ...(logNote === undefined ? {} : { logNote }) });
    }
  }
  return new HttpError('INTERNAL', 'internal server error');
}

/** The CBOR error response for `error`. */
export function errorResponse(error: unknown, extraHeaders: Record<string, string> = {}): Response {
  const e = describeError(error);
  return cborResponse({ code: e.code, message: e.message }, e.status, { ...e.headers, ...extraHeaders });
}

/** Runs a wire decoder, turning its CodecError into `BAD_REQUEST` (or `BATCH_TOO_LARGE`). */
export function decodeOrReject<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof CodecError) {
      if (error.code === 'BATCH_TOO_LARGE') throw new HttpError('BATCH_TOO_LARGE', error.message);
      throw new HttpError('BAD_REQUEST', `${error.code}: ${error.message}`);
    }
    throw error;
  }
}
