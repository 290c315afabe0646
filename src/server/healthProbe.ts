/**
 * Whether the store can do its job right now: one real write and one read, through the nonce
 * table every store already has. A scratch key is remembered until 1 ms from now (a write) and
 * remembered again (a read: the store must answer "seen"); the next nonce write sweeps it. The
 * key is 24 bytes, a length no request nonce key has (16-byte device id ‖ 16-byte nonce), so it
 * can never collide with one. Probes are coalesced: concurrent callers share one probe, and its
 * answer is reused for `cacheMs`, so a flood of health checks costs the database one write per
 * period, not one per request.
 */
import { StorageError } from '../errors.js';
import type { Store } from '../storage/store.js';
import { storageError } from '../storage/storageErrors.js';

/** Bytes of the scratch key; request nonce keys are 32. */
export const PROBE_KEY_BYTES = 24;

/** The answer of one probe. */
export type ProbeResult = { ok: true } | { ok: false; error: StorageError };

/**
 * Writes and reads back one scratch key.
 * @returns `{ok: false, error}` with the store's `StorageError` (`STORE_FULL`, `STORE_READ_ONLY`,
 *   `STORE_BUSY`, `STORE_FAILURE`, `STORE_CLOSED`) instead of throwing.
 */
export async function probeStore(store: Store, now: number): Promise<ProbeResult> {
  const key = globalThis.crypto.getRandomValues(new Uint8Array(PROBE_KEY_BYTES));
  try {
    const wrote = await store.rememberNonce(key, now + 1, now);
    const readBack = await store.rememberNonce(key, now + 1, now);
    if (!wrote || readBack) return { ok: false, error: storageError('STORE_FAILURE', 'the store did not keep a write it acknowledged') };
    return { ok: true };
  } catch (error) {
    if (error instanceof StorageError) return { ok: false, error };
    return { ok: false, error: storageError('STORE_FAILURE', 'the store failed its health probe', error) };
  }
}

/** One probe at a time, its answer reused for `cacheMs`. */
export class HealthProbe {
  #last: { at: number; result: ProbeResult } | undefined;
  #running: Promise<ProbeResult> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    private readonly cacheMs = 1000,
  ) {}

  /** The store's health, probing only when the last answer is older than `cacheMs`. */
  check(): Promise<ProbeResult> {
    const now = this.clock();
    if (this.#last !== undefined && now - this.#last.at < this.cacheMs && now >= this.#last.at) return Promise.resolve(this.#last.result);
    this.#running ??= probeStore(this.store, now).then((result) => {
      this.#last = { at: now, result };
      this.#running = undefined;
      return result;
    });
    return this.#running;
  }
}
