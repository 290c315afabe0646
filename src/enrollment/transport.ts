/**
 * What enrollment needs from the server, and nothing more: account creation, the chain, and the
 * pairing mailbox. `HttpClient` satisfies it structurally, so this layer never imports the HTTP
 * code, and tests can run the same flows over any implementation. Every method may reject with
 * `RemoteError` carrying the server's wire code (`CHAIN_CONFLICT`, `MAILBOX_FULL`, …).
 */
import type { Device } from '../core/device.js';

/** A run of chain entries as the server returned it. Nothing in it is trusted. */
export interface ChainPage {
  /** Encoded entries, in index order, starting at the requested index. */
  entries: Uint8Array[];
  /** What the server says is the hash of its newest entry. */
  head: Uint8Array;
  /** What the server says is the number of entries in its chain. */
  length: number;
}

/** The subset of `HttpClient` that enrollment uses. */
export interface EnrollmentTransport {
  /**
   * Server time minus device time, as learned from the server's answers (optional: without it
   * the device clock is used as it is). Enrollment corrects every time check by it (deviceTime.ts).
   */
  readonly clockOffsetMs?: number;
  /** Creates the account whose genesis entry is `genesis`; afterwards the transport acts on it. */
  createAccount(genesis: Uint8Array): Promise<{ account: Uint8Array; head: Uint8Array }>;
  /** Entries from index `from` to the head (signed request: the device must be active). */
  readChain(from?: number): Promise<ChainPage>;
  /** Compare-and-swap append: fails with `CHAIN_CONFLICT` unless `expectedHead` is still the head. */
  appendChain(entry: Uint8Array, expectedHead: Uint8Array): Promise<{ head: Uint8Array; length: number }>;
  /** Leaves `message` under mailbox `id` (first writer wins: `MAILBOX_FULL`). Unsigned. */
  mailboxPut(id: Uint8Array, message: Uint8Array, ttlMs: number): Promise<void>;
  /** Takes (and so deletes) the message under `id`; null when there is none. Unsigned. */
  mailboxTake(id: Uint8Array): Promise<Uint8Array | null>;
}

/**
 * Makes a transport that signs as `device` on `accountId`: how a device that just learned its
 * account (pairing, recovery) starts talking to it, e.g.
 * `(device, accountId) => new HttpClient({ baseUrl, device, accountId })`.
 */
export type TransportFactory<T extends EnrollmentTransport = EnrollmentTransport> = (device: Device, accountId: Uint8Array) => T;
