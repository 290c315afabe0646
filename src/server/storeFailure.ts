/** Telling a failing database apart from a refused call, for the log, the metrics and the status. */
import { StorageError } from '../errors.js';
import { storageCause } from '../storage/storageErrors.js';
import type { ServerContext } from './context.js';

const DATABASE_FAILURES: ReadonlySet<string> = new Set(['STORE_FULL', 'STORE_READ_ONLY', 'STORE_BUSY', 'STORE_FAILURE']);

/** True when `error` says the database failed (as opposed to refusing a call). */
export function isDatabaseFailure(error: unknown): error is StorageError {
  return error instanceof StorageError && DATABASE_FAILURES.has(error.code);
}

/** What the log says about a database failure: its code and the driver's cause. */
export function databaseFailureNote(error: StorageError): string {
  return `StorageError:${error.code} cause=${storageCause(error)}`;
}

/** Counts a database failure in the metrics, if `error` is one. */
export function countStoreFailure(ctx: ServerContext, error: unknown): void {
  if (isDatabaseFailure(error)) ctx.metrics?.storeError(error.code, storageCause(error));
}
