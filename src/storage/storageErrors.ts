/**
 * Error codes the storage layer throws, all as `StorageError`, and how a driver's failure is
 * classified. An operator needs to know *why* the database failed, and a client whether to
 * wait: a full disk, a read-only file or database, and a busy database each get their own
 * code; anything else stays `STORE_FAILURE`. The classification reads only the driver's error
 * code (SQLite's `SQLITE_*`, PostgreSQL's SQLSTATE, Node's `E*`), never its message, which may
 * quote SQL or values; {@link storageCause} gives that code for the log.
 */
import { StorageError } from '../errors.js';

/**
 * Catalogue of storage error codes. "Client" codes are the caller's fault and map to 4xx;
 * "server" codes are the database's and map to 5xx (log them with their cause, never with bodies).
 */
export const STORAGE_ERROR_CODES = {
  INVALID_ARGUMENT: 'client: wrong type, byte length or range of an argument',
  ACCOUNT_EXISTS: 'client: createAccount for an account that exists',
  ACCOUNT_NOT_FOUND: 'client: account-scoped call for an unknown account',
  CHAIN_CONFLICT: 'client: appendChain lost the race or named a stale head; re-read and retry',
  LOG_CONFLICT: "client: the checkpoint neither extends the device's log head nor repeats its own; nothing stored",
  LOG_CUT_STALE: "client: appendChain's cut does not name the device's current log head; nothing written",
  QUOTA_EXCEEDED: 'client: the batch would exceed the account byte or envelope quota; nothing stored',
  REVISION_JUMP: 'client: a pushed version jumps more than 65,536 revisions over the stored one; nothing stored',
  MAILBOX_FULL: 'client: a live message already sits under this mailbox id',
  SCHEMA_TOO_NEW: 'fatal: the database was migrated by a newer version of this library',
  STORE_CLOSED: 'usage: the store was closed',
  STORE_FULL: 'server: the disk (or the database file size limit) is full; the write was rolled back',
  STORE_READ_ONLY: 'server: the database refuses writes (a read-only file, directory or database, a standby)',
  STORE_BUSY: 'server: the database stayed locked or out of connections past its wait; retry',
  STORE_FAILURE: 'server: the database failed otherwise (I/O, connection lost); the cause is attached',
} as const;

/** A storage error code. */
export type StorageErrorCode = keyof typeof STORAGE_ERROR_CODES;

/** The storage codes that describe a failing database rather than a refused call. */
export type StoreFailureCode = 'STORE_FULL' | 'STORE_READ_ONLY' | 'STORE_BUSY' | 'STORE_FAILURE';

/** Creates a `StorageError` with a catalogued code. */
export function storageError(code: StorageErrorCode, message: string, cause?: unknown): StorageError {
  return new StorageError(code, message, cause === undefined ? undefined : { cause });
}

/** SQLite primary result codes (extended codes such as `SQLITE_READONLY_DBMOVED` start with them). */
const SQLITE_CLASSES: readonly [string, StoreFailureCode][] = [
  ['SQLITE_FULL', 'STORE_FULL'],
  ['SQLITE_READONLY', 'STORE_READ_ONLY'],
  ['SQLITE_BUSY', 'STORE_BUSY'],
  ['SQLITE_LOCKED', 'STORE_BUSY'],
];

/** PostgreSQL SQLSTATEs (exact codes first, then two-character classes). */
const POSTGRES_CODES: Readonly<Record<string, StoreFailureCode>> = {
  '53100': 'STORE_FULL', // disk_full
  '25006': 'STORE_READ_ONLY', // read_only_sql_transaction (a standby, default_transaction_read_only)
  '55P03': 'STORE_BUSY', // lock_not_available (lock_timeout)
  '57014': 'STORE_BUSY', // query_canceled (statement_timeout)
  '53300': 'STORE_BUSY', // too_many_connections
  '57P03': 'STORE_BUSY', // cannot_connect_now (starting up, recovering)
  '40001': 'STORE_BUSY', // serialization_failure
  '40P01': 'STORE_BUSY', // deadlock_detected
};

/** Node system error codes a driver may pass through (file systems, sockets). */
const SYSTEM_CODES: Readonly<Record<string, StoreFailureCode>> = {
  ENOSPC: 'STORE_FULL',
  EDQUOT: 'STORE_FULL',
  EROFS: 'STORE_READ_ONLY',
};

/** The driver's own error code of `error`, if it has a short, safe one (never its message). */
export function driverCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_]{1,48}$/.test(code) ? code : undefined;
}

/** Which failure `error` (a driver error, or one of ours with a driver error as cause) is. */
export function classifyStoreFailure(error: unknown): StoreFailureCode {
  const code = driverCode(error);
  if (code === undefined) return 'STORE_FAILURE';
  for (const [prefix, kind] of SQLITE_CLASSES) if (code === prefix || code.startsWith(`${prefix}_`)) return kind;
  return POSTGRES_CODES[code] ?? SYSTEM_CODES[code] ?? 'STORE_FAILURE';
}

/**
 * What a log line may say about why the store failed: the driver's code (`SQLITE_READONLY`,
 * `PG 25006`, `ENOSPC`) found on the error or its causes, or `unknown`.
 */
export function storageCause(error: unknown): string {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StorageError) continue;
    const code = driverCode(e);
    if (code !== undefined) return /^[0-9A-Z]{5}$/.test(code) && /[0-9]/.test(code) ? `PG ${code}` : code;
  }
  return 'unknown';
}

/**
 * Passes our errors through; classifies anything else (a driver error) as `STORE_FULL`,
 * `STORE_READ_ONLY`, `STORE_BUSY` or `STORE_FAILURE`, keeping it as the cause.
 */
export function asStorageError(error: unknown, backend: string): StorageError {
  if (error instanceof StorageError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const kind = classifyStoreFailure(error);
  const what = kind === 'STORE_FULL' ? 'is full' : kind === 'STORE_READ_ONLY' ? 'refuses writes' : kind === 'STORE_BUSY' ? 'is busy' : 'failed';
  return storageError(kind, `${backend} ${what}: ${detail}`, error);
}
