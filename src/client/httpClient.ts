/**
 * `HttpClient`: the device side of the HTTP API, on `fetch` alone (Node 20, browsers, workers).
 * It signs every request that needs it, retries what is safe to retry, and turns every refusal
 * into a `RemoteError` with the server's code and HTTP status.
 *
 * Retried (network errors, 429, and 5xx except the final `CHAIN_CORRUPT` and `QUOTA_EXCEEDED`;
 * fresh nonce and signature each time): health, readChain, pull, wait, and push and purge,
 * which the server makes idempotent. Never retried: createAccount, appendChain (a lost
 * response may hide a success; re-read the chain instead), mailboxPut and mailboxTake (a take
 * that reached the server deleted the message). Every method reports
 * failures by rejecting, never by throwing synchronously.
 *
 * Every response's `mks-server-time` teaches the client the server's clock (bounded to ±24 h,
 * core/serverClock.ts). Any call is re-sent once, at once, after `REQUEST_STALE`, with the
 * corrected clock (a stale request had no effect); when the server's clock is more than 24 h
 * away it is not adopted, and the call fails with `CLOCK_OFFSET_TOO_LARGE`.
 */
import { RemoteError, UsageError } from '../errors.js';
import { MAX_CHAIN_ENTRIES } from '../enrollment/chainSnapshot.js';
import { toHex } from '../crypto/bytes.js';
import type { Device } from '../core/device.js';
import { ServerClock } from '../core/serverClock.js';
import {
  DEFAULT_RESPONSE_LIMITS,
  decodeAppendChainResponse,
  decodeChainPageResponse,
  decodeCreateAccountResponse,
  decodeHealthResponse,
  decodeLogHeadResponse,
  decodeMailboxTakeResponse,
  decodePullResponse,
  decodePurgeResponse,
  decodePushResponse,
  type AppendChainResponse,
  type CreateAccountResponse,
  type HealthResponse,
  type PullResponse,
  type PushOutcome,
  type ResponseLimits,
} from '../http/messages.js';
import { MAX_PAGE_LIMIT, MAX_PURGE_IDS, MAX_WAIT_MS, paths } from '../http/routes.js';
import { requestOrigin } from '../http/signing.js';
import { Requester } from './requester.js';
import { parseServerUrl } from './serverUrl.js';
import { retryPolicy, type RetryOptions } from './retry.js';

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  /**
   * The server's root, e.g. `https://sync.example` or `http://127.0.0.1:8787` (or the path it
   * is mounted under); http or https, without `/v1` (the client appends `/v1/...`), credentials,
   * query or fragment.
   */
  baseUrl: string;
  /** The device that signs requests. */
  device: Device;
  /** The account; may be left out until {@link HttpClient.createAccount} sets it. */
  accountId?: Uint8Array;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof globalThis.fetch;
  /** Retry policy of idempotent calls, or `false` for none. */
  retry?: RetryOptions | false;
  /** Per-attempt time limit in ms (a wait adds its own timeout). Default 60 s. */
  timeoutMs?: number;
  /** Ceilings on response bodies. */
  limits?: Partial<ResponseLimits>;
  /** The device clock, ms since the epoch. Default `Date.now`. */
  clock?: () => number;
  /**
   * The device's view of the server clock, to share between the clients of one device (so an
   * offset one learned serves all). A new one over `clock` by default.
   */
  serverClock?: ServerClock;
  /**
   * The server operator's admission token, sent as `Authorization: Bearer …` when creating an
   * account (servers started with `--admission-token` refuse others with `ADMISSION_DENIED`).
   */
  admissionToken?: string;
}

/** The whole chain from some index on. */
export interface ChainRead {
  /** Encoded entries, in index order, starting at the requested index. */
  entries: Uint8Array[];
  /** Hash of the newest entry. */
  head: Uint8Array;
  /** Number of entries in the chain. */
  length: number;
}

/** A signed HTTP client for one device. */
export class HttpClient {
  /** The account this client acts on. */
  accountId: Uint8Array | undefined;
  readonly #requests: Requester;
  readonly #limits: ResponseLimits;
  readonly #admission: Record<string, string>;
  /**
   * The device clock and the offset learned from the server's `mks-server-time` on every
   * response, bounded to ±24 h (core/serverClock.ts). Requests are signed with its time.
   */
  readonly serverClock: ServerClock;

  /**
   * @throws {UsageError} `CLIENT_OPTIONS_INVALID` for a missing device, a base URL that is not
   *   an absolute http(s) URL, ends in `/v1`, or carries credentials, a query or a fragment (the
   *   message names the URL and the mistake), an admission token that is not printable ASCII, or
   *   a `serverClock` that is not a `ServerClock`.
   */
  constructor(options: HttpClientOptions) {
    if (options?.device === undefined) throw new UsageError('CLIENT_OPTIONS_INVALID', 'HttpClient needs a device');
    const base = parseServerUrl(options.baseUrl);
    // The origin every request is signed for (docs/protocol.md §22); the base parsed above.
    const origin = requestOrigin(base);
    this.accountId = options.accountId;
    if (options.admissionToken !== undefined && (typeof options.admissionToken !== 'string' || !/^[\x21-\x7e]+$/.test(options.admissionToken))) {
      throw new UsageError('CLIENT_OPTIONS_INVALID', 'admissionToken must be printable ASCII without spaces');
    }
    this.#admission = options.admissionToken === undefined ? {} : { authorization: `Bearer ${options.admissionToken}` };
    this.#limits = { ...DEFAULT_RESPONSE_LIMITS, ...options.limits };
    if (options.serverClock !== undefined && !(options.serverClock instanceof ServerClock)) {
      throw new UsageError('CLIENT_OPTIONS_INVALID', 'serverClock must be a ServerClock');
    }
    this.serverClock = options.serverClock ?? new ServerClock(options.clock ?? Date.now);
    this.#requests = new Requester({
      base,
      origin,
      device: options.device,
      // Bound to globalThis: some browsers throw "Illegal invocation" for an unbound fetch.
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      retry: retryPolicy(options.retry),
      timeoutMs: options.timeoutMs ?? 60_000,
      limits: this.#limits,
      serverClock: this.serverClock,
    });
  }

  /** Server time minus device time as last learned (see {@link HttpClient.serverClock}); what enrollment corrects its clock by. */
  get clockOffsetMs(): number {
    return this.serverClock.offsetMs;
  }

  /**
   * Liveness and the server clock.
   * @throws {RemoteError} `NETWORK_ERROR`, `RESPONSE_INVALID`, or a server code.
   */
  async health(): Promise<HealthResponse> {
    return this.#requests.run({ method: 'GET', path: paths.health(), retry: true, decode: decodeHealthResponse });
  }

  /**
   * Creates the account whose genesis entry is `genesis`; from then on this client acts on it.
   * Not retried. Sends the admission token, if the client has one.
   * @throws {RemoteError} `ACCOUNT_EXISTS`, `ADMISSION_DENIED`, `CHAIN_ENTRY_REJECTED`, `RATE_LIMITED`, `NETWORK_ERROR`, ….
   */
  async createAccount(genesis: Uint8Array): Promise<CreateAccountResponse> {
    const created = await this.#requests.run({
      method: 'POST',
      path: paths.accounts(),
      headers: this.#admission,
      body: { genesis: bytesArg(genesis, 'genesis') },
      retry: false,
      decode: decodeCreateAccountResponse,
    });
    this.accountId = created.account;
    return created;
  }

  /**
   * The chain from index `from` (default 0) to the head, page by page. The caller verifies it
   * (replayChain): the server is not trusted.
   * @throws {RemoteError} `ACCOUNT_NOT_FOUND`, `DEVICE_REVOKED`, `NETWORK_ERROR`, ….
   */
  async readChain(from = 0): Promise<ChainRead> {
    const account = this.#account();
    uintArg(from, 'from');
    const entries: Uint8Array[] = [];
    for (;;) {
      const page = await this.#requests.run({
        method: 'GET',
        path: paths.chain(account, from + entries.length),
        signFor: this.accountId,
        retry: true,
        decode: decodeChainPageResponse,
      });
      entries.push(...page.entries);
      if (!page.more || page.entries.length === 0) return { entries, head: page.head, length: page.length };
      // A chain is at most MAX_CHAIN_ENTRIES long: a server that keeps saying "more" past that is lying.
      if (from + entries.length > MAX_CHAIN_ENTRIES) {
        throw new RemoteError('RESPONSE_INVALID', `the server sent more than ${MAX_CHAIN_ENTRIES} chain entries`, 200);
      }
    }
  }

  /**
   * Appends an encoded entry that extends `expectedHead`. Never retried: after a network error,
   * re-read the chain to learn whether it landed.
   * @throws {RemoteError} `CHAIN_CONFLICT` (rebuild on the new head), `CHAIN_ENTRY_REJECTED`, `NETWORK_ERROR`, ….
   */
  async appendChain(entry: Uint8Array, expectedHead: Uint8Array): Promise<AppendChainResponse> {
    return this.#requests.run({
      method: 'POST',
      path: paths.chain(this.#account()),
      body: { entry: bytesArg(entry, 'entry'), head: bytesArg(expectedHead, 'expectedHead') },
      signFor: this.accountId,
      retry: false,
      decode: decodeAppendChainResponse,
    });
  }

  /**
   * Pushes a batch of sealed envelopes (each naming this device as sender) with this device's
   * log checkpoint that claims them, in order; one outcome per envelope. A checkpoint may claim
   * nothing (it then carries only key business: a new epoch's statement, pair keys, a history
   * request). Retried: the server takes a byte-identical checkpoint at its position again as a
   * duplicate, and an envelope pushed twice is stored once.
   * @throws {RemoteError} `LOG_CONFLICT` (the server's log of this device is elsewhere: read it
   *   with {@link HttpClient.logHead}), `LOG_INVALID`, `LOG_MISMATCH`, `DEVICE_CANNOT_WRITE`,
   *   `SENDER_MISMATCH`, `ENVELOPE_INVALID`, `RECIPIENT_REVOKED`, `BATCH_TOO_LARGE`,
   *   `BODY_TOO_LARGE`, `QUOTA_EXCEEDED`, `NETWORK_ERROR`, ….
   */
  async push(envelopes: readonly Uint8Array[], log: Uint8Array): Promise<PushOutcome[]> {
    if (!Array.isArray(envelopes)) throw new UsageError('ARGUMENT_INVALID', 'push needs an array of envelopes');
    const list = envelopes.map((e, i) => bytesArg(e, `envelopes[${i}]`));
    return this.#requests.run({
      method: 'POST',
      path: paths.envelopes(this.#account()),
      body: { envelopes: list, log: bytesArg(log, 'log') },
      signFor: this.accountId,
      retry: true,
      decode: (bytes) => decodePushResponse(bytes, list.length).outcomes,
    });
  }

  /**
   * "Delete my server copy": sends this device's log checkpoint whose purges name the records
   * (and, for each, the highest revision) the server deletes, without leaving a tombstone. Local
   * copies on every device stay, and the log tells them the records were purged, not withheld.
   * Retried: a byte-identical checkpoint is a duplicate, and a second attempt deletes nothing more.
   * @returns how many envelopes the server deleted.
   * @throws {RemoteError} `LOG_CONFLICT`, `LOG_INVALID`, `LOG_MISMATCH`, `DEVICE_CANNOT_WRITE`,
   *   `DEVICE_REVOKED`, `CHAIN_CORRUPT`, `NETWORK_ERROR`, ….
   */
  async purge(log: Uint8Array): Promise<number> {
    return this.#requests.run({
      method: 'POST',
      path: paths.purge(this.#account()),
      body: { log: bytesArg(log, 'log') },
      signFor: this.accountId,
      retry: true,
      decode: (bytes) => decodePurgeResponse(bytes, MAX_PURGE_IDS).purged,
    });
  }

  /**
   * The newest log checkpoint the server holds for `device` (16 bytes), or null. The server's
   * word: verify its signature before relying on it.
   * @throws {RemoteError} `DEVICE_REVOKED`, `NETWORK_ERROR`, ….
   */
  async logHead(device: Uint8Array): Promise<Uint8Array | null> {
    const response = await this.#requests.run({
      method: 'GET',
      path: paths.logs(this.#account(), toHex(bytesArg(device, 'device', 16))),
      signFor: this.accountId,
      retry: true,
      decode: decodeLogHeadResponse,
    });
    return response.checkpoint;
  }

  /**
   * One page of envelopes and log checkpoints with cursor > `after` (at most `limit`, 1..1000, default 500).
   * @throws {RemoteError} `DEVICE_REVOKED`, `NETWORK_ERROR`, ….
   */
  async pull(after: number, limit = 500): Promise<PullResponse> {
    return this.#requests.run({
      method: 'GET',
      path: paths.envelopes(this.#account(), { after: uintArg(after, 'after'), limit: pageLimit(limit) }),
      signFor: this.accountId,
      retry: true,
      decode: (bytes) => decodePullResponse(bytes, this.#limits),
    });
  }

  /**
   * Long-poll: resolves with a page as soon as an envelope with cursor > `after` exists, or an
   * empty page after `timeoutMs` (at most 30 000). Aborting `signal` rejects with its reason.
   * @throws {RemoteError} `DEVICE_REVOKED`, `RATE_LIMITED` (too many waits), `NETWORK_ERROR`, ….
   */
  async wait(after: number, timeoutMs: number, signal?: AbortSignal, limit = 500): Promise<PullResponse> {
    const timeout = Math.min(uintArg(timeoutMs, 'timeoutMs'), MAX_WAIT_MS);
    return this.#requests.run({
      method: 'GET',
      path: paths.wait(this.#account(), uintArg(after, 'after'), timeout, pageLimit(limit)),
      signFor: this.accountId,
      retry: true,
      decode: (bytes) => decodePullResponse(bytes, this.#limits),
      signal,
      extraTimeoutMs: timeout,
    });
  }

  /**
   * Leaves `message` under mailbox `id` (32 bytes) for `ttlMs` (1..900 000). Not retried.
   * @throws {RemoteError} `MAILBOX_FULL`, `BODY_TOO_LARGE`, `RATE_LIMITED`, `NETWORK_ERROR`, ….
   */
  async mailboxPut(id: Uint8Array, message: Uint8Array, ttlMs: number): Promise<void> {
    await this.#requests.run({
      method: 'PUT',
      path: paths.mailbox(toHex(bytesArg(id, 'id', 32)), uintArg(ttlMs, 'ttlMs')),
      body: { message: bytesArg(message, 'message') },
      retry: false,
      decode: () => undefined,
    });
  }

  /**
   * Takes (and so deletes) the message under mailbox `id`; null when there is none. Never retried.
   * @throws {RemoteError} `RATE_LIMITED`, `NETWORK_ERROR`, ….
   */
  async mailboxTake(id: Uint8Array): Promise<Uint8Array | null> {
    const taken = await this.#requests.run({
      method: 'GET',
      path: paths.mailbox(toHex(bytesArg(id, 'id', 32))),
      retry: false,
      decode: decodeMailboxTakeResponse,
    });
    return taken.message;
  }

  #account(): string {
    if (this.accountId === undefined) throw new UsageError('ACCOUNT_REQUIRED', 'this call needs an account id');
    return toHex(this.accountId);
  }
}

function bytesArg(value: Uint8Array, what: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    throw new UsageError('ARGUMENT_INVALID', `${what} must be a Uint8Array${length === undefined ? '' : ` of ${length} bytes`}`);
  }
  // A Node Buffer would otherwise reach the CBOR encoder as a foreign class.
  return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function uintArg(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new UsageError('ARGUMENT_INVALID', `${what} must be a non-negative integer`);
  return value;
}

function pageLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new UsageError('ARGUMENT_INVALID', `limit must be an integer in 1..${MAX_PAGE_LIMIT}`);
  }
  return limit;
}
