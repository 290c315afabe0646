/**
 * Waiting for the other device in a pairing: poll a mailbox slot until a message arrives, the
 * time runs out, or the caller aborts. Timeouts count real elapsed time (`performance.now`),
 * not the protocol clock, so a test that freezes the protocol clock still ends its waits.
 */
import { UsageError } from '../errors.js';
import type { EnrollmentTransport } from './transport.js';

/** Default wait for the other device: 5 minutes. */
export const DEFAULT_PAIRING_TIMEOUT_MS = 5 * 60_000;
/** Default pause between two polls of the mailbox. */
export const DEFAULT_POLL_MS = 1000;
/** How long a pairing message waits in the mailbox (the server keeps them 15 minutes at most). */
export const PAIRING_MESSAGE_TTL_MS = 10 * 60_000;

/** How long to wait and how often to look. */
export interface WaitOptions {
  /** Give up after this many ms. Default 5 minutes. */
  timeoutMs?: number;
  /** Pause between polls. Default 1 s. */
  pollMs?: number;
  /** Aborting rejects the wait with the signal's reason. */
  signal?: AbortSignal;
}

/** A wait's end, fixed when the pairing starts so that every step shares it. */
export interface Deadline {
  readonly at: number;
  readonly pollMs: number;
  readonly signal: AbortSignal | undefined;
  /** Called before each poll; throws to stop waiting (e.g. the offer expired). */
  readonly check?: () => void;
}

/** Starts the clock of a pairing. */
export function deadline(options: WaitOptions = {}, check?: () => void): Deadline {
  const timeout = options.timeoutMs ?? DEFAULT_PAIRING_TIMEOUT_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  if (!(timeout > 0) || !(pollMs > 0)) throw new UsageError('ARGUMENT_INVALID', 'timeoutMs and pollMs must be positive');
  return { at: performance.now() + timeout, pollMs, signal: options.signal, ...(check === undefined ? {} : { check }) };
}

/**
 * Takes the message under `id`, polling until one arrives.
 * @throws {UsageError} `PAIRING_TIMEOUT` when the deadline passes; whatever `check` throws.
 * @throws {RemoteError} from the transport.
 */
export async function takeWhenReady(transport: EnrollmentTransport, id: Uint8Array, until: Deadline): Promise<Uint8Array> {
  for (;;) {
    if (until.signal?.aborted) throw until.signal.reason;
    until.check?.();
    const message = await transport.mailboxTake(id);
    if (message !== null) return message;
    const left = until.at - performance.now();
    if (left <= 0) throw new UsageError('PAIRING_TIMEOUT', 'the other device did not answer in time: start the pairing again');
    await pause(Math.min(until.pollMs, left), until.signal);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
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
