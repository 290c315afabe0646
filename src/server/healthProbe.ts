/**
 * Whether the store can do its job right now: a real write and a read through the mailbox
 * table every store already has. A scratch message of 64 KiB of random bytes (the largest a
 * mailbox takes, and incompressible, so a nearly full disk fails it as it fails a push) is put
 * under a fresh id and taken back, which also deletes it; it must come back byte for byte. The
 * id is 24 bytes, a length no pairing mailbox id has (32), so it can never collide with one.
 * Probes are coalesced: concurrent callers share one probe, and its answer is reused for
 * `cacheMs`, so a flood of health checks costs the database one probe per period, not one per
 * request.
 */
import { StorageError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { Store } from '../storage/store.js';
import { storageError } from '../storage/storageErrors.js';

/** Bytes of the scratch mailbox id; pairing mailbox ids are 32. */
export const PROBE_ID_BYTES = 24;
/** Bytes of the scratch message. */
export const PROBE_MESSAGE_BYTES = 64 * 1024;
/** How long the scratch message would live if the take never came. */
const PROBE_TTL_MS = 60_000;

/** The answer of one probe. */
export type ProbeResult = { ok: true } | { ok: false; error: StorageError };

/**
 * Writes and reads back one scratch message.
 * @returns `{ok: false, error}` with the store's `StorageError` (`STORE_FULL`, `STORE_READ_ONLY`,
 *   `STORE_BUSY`, `STORE_FAILURE`, `STORE_CLOSED`) instead of throwing.
 */
export async function probeStore(store: Store, now: number): Promise<ProbeResult> {
  const id = globalThis.crypto.getRandomValues(new Uint8Array(PROBE_ID_BYTES));
  const message = new Uint8Array(PROBE_MESSAGE_BYTES);
  for (let at = 0; at < message.length; at += 65_536) globalThis.crypto.getRandomValues(message.subarray(at, at + 65_536));
  try {
    await store.mailboxPut(id, message, now + PROBE_TTL_MS, now);
    const back = await store.mailboxTake(id, now);
    if (back === null || !equalBytes(back, message)) {
      return { ok: false, error: storageError('STORE_FAILURE', 'the store did not give back a write it acknowledged') };
    }
    return { ok: true };
  } catch (error) {
    if (error instanceof StorageError) return { ok: false, error };
    return { ok: false, error: storageError('STORE_FAILURE', 'the store failed its health probe', error) };
  }
}

/**
 * One probe at a time, its answer reused for `cacheMs` of elapsed time (a monotonic clock, not
 * the server's, which tests may stop or move).
 */
export class HealthProbe {
  #last: { at: number; result: ProbeResult } | undefined;
  #running: Promise<ProbeResult> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    private readonly cacheMs = 1000,
    private readonly elapsed: () => number = () => performance.now(),
  ) {}

  /** The store's health, probing only when the last answer is older than `cacheMs`. */
  check(): Promise<ProbeResult> {
    const at = this.elapsed();
    if (this.#last !== undefined && at - this.#last.at < this.cacheMs) return Promise.resolve(this.#last.result);
    this.#running ??= probeStore(this.store, this.clock()).then((result) => {
      this.#last = { at, result };
      this.#running = undefined;
      return result;
    });
    return this.#running;
  }
}
