/**
 * One error hierarchy for the whole library. Every error carries a stable string `code`
 * (catalogued in docs/errors.md) that programs switch on; the message is for people and may
 * change. Messages never contain keys, plaintext or phone numbers.
 */

/** Options accepted by every error constructor. */
export interface ErrorOptions {
  /** The lower-level error that caused this one, if any. */
  cause?: unknown;
}

/** Base class of every error this library throws on purpose. */
export class MultikeySyncError extends Error {
  /** Stable, machine-readable code, e.g. `ENVELOPE_TAMPERED`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A value handed to the library is not acceptable (a call record field, an argument). */
export class ValidationError extends MultikeySyncError {}

/** Bytes could not be parsed: malformed, truncated, oversize or of an unknown version. */
export class CodecError extends MultikeySyncError {}

/** Authentication or verification failed: tampered data, wrong key, bad signature. */
export class CryptoError extends MultikeySyncError {}

/** The library was called in a way it does not support (wrong state, missing setup). */
export class UsageError extends MultikeySyncError {}

/** A store refused or failed an operation (conflict, quota, unknown account). */
export class StorageError extends MultikeySyncError {}

/** True when `error` is one of ours, optionally with the given code. */
export function isMultikeySyncError(error: unknown, code?: string): error is MultikeySyncError {
  return error instanceof MultikeySyncError && (code === undefined || error.code === code);
}

/**
 * The sync server refused a request, or could not be reached. `code` is the server's wire
 * code (`CHAIN_CONFLICT`, `RATE_LIMITED`, … listed in docs/server.md) or, when no server
 * answered, `NETWORK_ERROR`; `status` is the HTTP status (0 when there was no response).
 */
export class RemoteError extends MultikeySyncError {
  /** HTTP status of the response; 0 for `NETWORK_ERROR` and other failures without one. */
  readonly status: number;

  constructor(code: string, message: string, status: number, options?: ErrorOptions) {
    super(code, message, options);
    this.status = status;
  }
}
