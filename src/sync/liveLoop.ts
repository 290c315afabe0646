/**
 * The live-sync loop: sync, then wait on the server's change feed (or a local write) and sync
 * again, until stopped. Errors are reported and retried with jittered exponential backoff, except
 * a fork alarm or a revocation, which end the loop.
 */
import { isMultikeySyncError } from '../errors.js';

/** A running live sync. */
export interface LiveSync {
  /** Stops after the current step; resolves when the loop has ended. */
  stop(): Promise<void>;
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
export function startLiveLoop(host: LiveLoopHost, options: { waitMs?: number; onError?: (error: unknown) => void } = {}): LiveSync {
  const waitMs = options.waitMs ?? 25_000;
  let stopped = false;
  let wake: AbortController | undefined;
  host.setWake(() => wake?.abort());
  const loop = async () => {
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
        options.onError?.(error);
        if (isMultikeySyncError(error, 'FORK_ALARM') || isMultikeySyncError(error, 'DEVICE_REVOKED')) break;
        await sleep(delay * (0.5 + Math.random() / 2), wake.signal);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
    }
  };
  const done = loop();
  return {
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
