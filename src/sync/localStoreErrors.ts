/** Error codes a `LocalStore` throws, all as `StorageError`. */
import { StorageError } from '../errors.js';

/**
 * Catalogue of local store codes. "client" codes are the caller's mistake and change nothing;
 * "fatal" ones need a person or a repair (the app may drop the row and re-pull it).
 */
export const LOCAL_STORE_ERROR_CODES = {
  INVALID_ARGUMENT: 'client: wrong type, length or range of an argument; nothing was changed',
  LOCAL_VERSION_STALE: 'client: applyLocal with a version not newer than the stored one; re-read and retry',
  LOCAL_ROW_CORRUPT:
    'fatal: a stored row does not decode; the message names its collection and record id (a version entry: its record id), never a key',
  LOCAL_SCHEMA_TOO_NEW: 'fatal: the file was migrated by a newer version of this library',
  LOCAL_STORE_CLOSED: 'usage: the store was closed',
  LOCAL_STORE_FAILURE: 'fatal: the database failed (I/O, disk full, locked); the cause is attached',
} as const;

/** A local store error code. */
export type LocalStoreErrorCode = keyof typeof LOCAL_STORE_ERROR_CODES;

/** Creates a `StorageError` with a catalogued code. */
export function localStoreError(code: LocalStoreErrorCode, message: string, cause?: unknown): StorageError {
  return new StorageError(code, message, cause === undefined ? undefined : { cause });
}

/** Passes our errors through; wraps anything else (a driver error) as `LOCAL_STORE_FAILURE`. */
export function asLocalStoreError(error: unknown, backend: string): StorageError {
  if (error instanceof StorageError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return localStoreError('LOCAL_STORE_FAILURE', `${backend} failed: ${detail}`, error);
}
