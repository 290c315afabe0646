/**
 * Which sync failures end live sync. A failure that another try can fix (the network, a busy
 * server or store, a chain that moved) is retried with backoff; one that repeats until a person
 * or the code changes something (the account or this device is gone, the server is the wrong
 * one or distrusted, a bug) stops the loop, because retrying it forever only hides it.
 * docs/errors.md lists the codes under "Live sync".
 */
import { CodecError, CryptoError, MultikeySyncError, RemoteError, UsageError, ValidationError } from '../errors.js';

/** Codes that stop live sync whatever their class (the server's, the local store's). */
export const FATAL_SYNC_CODES: ReadonlySet<string> = new Set([
  'ACCOUNT_NOT_FOUND',
  'AUTH_REQUIRED',
  'BAD_REQUEST',
  'BATCH_TOO_LARGE',
  'BODY_TOO_LARGE',
  'CHAIN_CORRUPT',
  'DEPENDENCY_MISSING',
  'DEVICE_REVOKED',
  'ENVELOPE_INVALID',
  'FORK_ALARM',
  'LOCAL_ROW_CORRUPT',
  'LOCAL_SCHEMA_TOO_NEW',
  'LOCAL_STORE_CLOSED',
  'NOT_FOUND',
  'QUOTA_EXCEEDED',
  'SENDER_MISMATCH',
  'SIGNATURE_INVALID',
  'UNSUPPORTED_MEDIA_TYPE',
]);

/** True when live sync should stop on `error` instead of retrying. */
export function isFatalSyncError(error: unknown): boolean {
  // Not ours: a bug in the app's validator or in this library; the same call repeats it.
  if (!(error instanceof MultikeySyncError)) return true;
  if (FATAL_SYNC_CODES.has(error.code)) return true;
  // Another server's 4xx (a proxy, a wrong URL) repeats; its 408, 429 and 5xx may pass.
  if (error instanceof RemoteError && error.code === 'HTTP_ERROR') return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
  return error instanceof ValidationError || error instanceof UsageError || error instanceof CryptoError || error instanceof CodecError;
}
