/** Error codes the storage layer throws, all as `StorageError`. */
import { StorageError } from '../errors.js';

/**
 * Catalogue of storage error codes. "Client" codes are the caller's fault and map to 4xx;
 * `STORE_FAILURE` is the database's and maps to 5xx (log it, never with bodies).
 */
export const STORAGE_ERROR_CODES = {
  INVALID_ARGUMENT: 'client: wrong type, byte length or range of an argument',
  ACCOUNT_EXISTS: 'client: createAccount for an account that exists',
  ACCOUNT_NOT_FOUND: 'client: account-scoped call for an unknown account',
  CHAIN_CONFLICT: 'client: appendChain lost the race or named a stale head; re-read and retry',
  LOG_CONFLICT: "client: the checkpoint neither extends the device's log head nor repeats its own; nothing stored",
  LOG_CUT_STALE: "client: appendChain's cut does not name the device's current log head; nothing written",
  QUOTA_EXCEEDED: 'client: the batch would exceed the account byte or envelope quota; nothing stored',
  MAILBOX_FULL: 'client: a live message already sits under this mailbox id',
  SCHEMA_TOO_NEW: 'fatal: the database was migrated by a newer version of this library',
  STORE_CLOSED: 'usage: the store was closed',
  STORE_FAILURE: 'server: the database failed (I/O, connection, busy); the cause is attached',
} as const;

/** A storage error code. */
export type StorageErrorCode = keyof typeof STORAGE_ERROR_CODES;

/** Creates a `StorageError` with a catalogued code. */
export function storageError(code: StorageErrorCode, message: string, cause?: unknown): StorageError {
  return new StorageError(code, message, cause === undefined ? undefined : { cause });
}

/** Passes our errors through; wraps anything else (a driver error) as `STORE_FAILURE`. */
export function asStorageError(error: unknown, backend: string): StorageError {
  if (error instanceof StorageError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return storageError('STORE_FAILURE', `${backend} failed: ${detail}`, error);
}
