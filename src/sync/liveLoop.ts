/**
 * The live-sync loop: sync, then wait on the server's change feed (or a local write) and sync
 * again, until stopped. Every error is reported; a transient one is retried with jittered
 * exponential backoff, and a fatal one (`isFatalSyncError`: the account or device is gone, a
 * fork alarm, the wrong server, a bug) ends the loop.
 */
import { isFatalSyncError } from './syncFailure.js';

/** A running live sync. */
export interface LiveSync {
  /** Stops after the current step; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Resolves when the loop ends: with the fatal error that ended it, or undefined after `stop()`. */
  readonly ended: Promise<unknown>;
}

/** Options of a live loop. */
export interface LiveLoopOptions {
  /** Longest long-poll, in ms (default 25 000). */
  waitMs?: number;
  /** Called with every error (the replica's `error` event carries the same ones). */
  onError?: (error: unknown) => void;
}

/** What the loop drives. */
export interface LiveLoopHost {
  /** One sync round. */
  sync(): Promise<unknown>;
  /** True while local writes wait to be pushed (then the loop syncs again instead of waiting). */
  hasPending(): Promise<boolean>;
  /** Long-polls the server until something new arrives, the timeout passes, or `signal` aborts. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<unknown>;
  /** Receives the function that wakes the loop early (or undefined when the loop ends). */
  setWake(wake: (() => void) | undefined): void;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 30_000;

/** Starts the loop; see {@link LiveSync}. */
export function startLiveLoop(
  host: LiveLoopHost,
  options: LiveLoopOptions = {},
  report: (error: unknown, fatal: boolean) => void = () => undefined,
): LiveSync {
  const waitMs = options.waitMs ?? 25_000;
  let stopped = false;
  let wake: AbortController | undefined;
  host.setWake(() => wake?.abort());
  const loop = async (): Promise<unknown> => {
    let delay = FIRST_DELAY_MS;
    while (!stopped) {
      wake = new AbortController();
      try {
        await host.sync();
        delay = FIRST_DELAY_MS;
        if (stopped) break;
        if (!(await host.hasPending())) await host.wait(waitMs, wake.signal);
      } catch (error) {
        if (stopped) break;
        if (wake.signal.aborted) continue; // woken by a local write, not an error
        const fatal = isFatalSyncError(error);
        report(error, fatal);
        try {
          options.onError?.(error);
        } catch {
          // The app's handler must not end the loop.
        }
        if (fatal) return error;
        await sleep(delay * (0.5 + Math.random() / 2), wake.signal);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
    }
    return undefined;
  };
  const done = loop();
  return {
    ended: done,
    stop: async () => {
      stopped = true;
      wake?.abort();
      await done;
      host.setWake(undefined);
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
