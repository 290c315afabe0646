/**
 * The total time limit of one `sync()`. Each request already has its own limit and retries,
 * but a round makes many requests, so without a bound a frozen server kept `sync()` waiting
 * for minutes (60 s × 4 attempts per request). At the deadline `sync()` rejects with
 * `SYNC_TIMEOUT`; what the round already applied stays applied (each page is stored with its
 * cursor), and the next `sync()` resumes from there.
 */
import { RemoteError, UsageError } from '../errors.js';

/** Default total time limit of one `sync()`, in ms: a full request timeout (60 s) and a retry. */
export const DEFAULT_SYNC_TIMEOUT_MS = 90_000;

/**
 * Checks a time limit: a positive integer of ms, or `Infinity` for none.
 * @throws {UsageError} `SYNC_OPTIONS_INVALID`.
 */
export function checkSyncTimeout(ms: unknown): number {
  if (ms !== Infinity && !(Number.isSafeInteger(ms) && (ms as number) > 0)) {
    throw new UsageError('SYNC_OPTIONS_INVALID', 'syncTimeoutMs must be a positive integer of milliseconds, or Infinity');
  }
  return ms as number;
}

/**
 * Runs `work`, rejecting with `SYNC_TIMEOUT` if it has not settled after `ms`. The work itself
 * is not cancelled: it ends on its own requests' time limits.
 * @throws {RemoteError} `SYNC_TIMEOUT`; whatever `work` throws first.
 */
export function withSyncDeadline<T>(ms: number, work: () => Promise<T>): Promise<T> {
  if (ms === Infinity) return work();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new RemoteError('SYNC_TIMEOUT', `sync did not finish within ${ms} ms (syncTimeoutMs): the server is slow or does not answer`, 0)),
      ms,
    );
    work().then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
