/**
 * Retry policy: exponential backoff with full jitter (a uniformly random delay below the
 * exponential cap, so many clients retrying after the same outage spread out), a bounded number
 * of attempts, and the server's Retry-After honoured as a floor.
 */

/** How a client retries idempotent calls. */
export interface RetryOptions {
  /** Total attempts, the first included. Default 4; 1 disables retries. */
  attempts?: number;
  /** Cap of the first retry's delay, in ms. Default 100. */
  baseDelayMs?: number;
  /** Largest delay between attempts, in ms (Retry-After may ask for more, up to 60 s). Default 5000. */
  maxDelayMs?: number;
}

/** {@link RetryOptions} with defaults. */
export type RetryPolicy = Readonly<Required<RetryOptions>>;

const MAX_RETRY_AFTER_MS = 60_000;

/** Fills in defaults. */
export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  if (options === false) return { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
  return {
    attempts: Math.max(1, Math.floor(options?.attempts ?? 4)),
    baseDelayMs: Math.max(0, options?.baseDelayMs ?? 100),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 5000),
  };
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1), given the server's Retry-After
 * header (seconds) if any. `random` returns a number in [0, 1).
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfter: string | null, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = random() * cap;
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  const floor = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : 0;
  return Math.max(jittered, floor);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
