/** Options of `createServer`, and the limits with their defaults. */
import { UsageError } from '../errors.js';
import type { BackendName } from '../crypto/provider.js';
import { DEFAULT_MAX_ENVELOPE_BYTES } from '../core/envelopeFormat.js';
import { MAX_CLAIMS } from '../core/logCheckpoint.js';
import type { Store } from '../storage/store.js';
import { requestOrigin } from '../http/signing.js';

/** Limits the server enforces before the store sees anything. Per-account quotas live in the store. */
export interface ServerLimits {
  /** Largest push body, in bytes (413 `BODY_TOO_LARGE`). Default 16 MiB. */
  maxBodyBytes?: number;
  /** Most envelopes in one push (413 `BATCH_TOO_LARGE`). Default and most 1000: a checkpoint claims at most 1000. */
  maxBatch?: number;
  /** Largest single envelope, in bytes (422 `ENVELOPE_INVALID`). Default 4 MiB. */
  maxEnvelopeBytes?: number;
  /** Byte budget of one pull or wait response; a page always holds at least one envelope. Default 8 MiB. */
  maxPageBytes?: number;
  /** Signed requests per second per device, refilled continuously (429 `RATE_LIMITED`). Default 100; `Infinity` disables. */
  requestsPerSecond?: number;
  /** Burst a device may spend at once. Default 300. */
  requestBurst?: number;
  /** Unsigned requests (account creation, mailbox) per second per remote address. Default 10; `Infinity` disables. */
  anonymousPerSecond?: number;
  /** Burst of unsigned requests per remote address. Default 60. */
  anonymousBurst?: number;
  /**
   * Requests of any kind under `/v1` per second per remote address, counted before a body is
   * read or a signature checked, so unauthenticated traffic is throttled too (429
   * `RATE_LIMITED`). Health checks and metrics are not counted. Default 500; `Infinity` disables.
   */
  ipPerSecond?: number;
  /** Burst of requests per remote address. Default 1000. */
  ipBurst?: number;
  /**
   * Request-body bytes held in memory at once, across all requests; a body that would pass it
   * is refused before it is read (503 `SERVER_BUSY`, Retry-After). Reading a body costs about
   * twice its size until the garbage collector frees the socket's chunks, so the default, 24 MiB,
   * lets one largest push (16 MiB) and smaller ones in at once and keeps forty forged 16 MiB
   * pushes under 100 MiB of server memory (`npm run bench`, `forged_push_peak_rss_mib`).
   */
  inFlightBodyBytes?: number;
  /** Long-polls one account may hold open at once (429 beyond). Default 32. */
  maxWaitsPerAccount?: number;
  /** Accounts whose verified chain state stays cached. Default 10,000. */
  cachedAccounts?: number;
}

/**
 * Opens the store. `listen()` calls it only after the port is bound, so a server that cannot
 * bind creates no database file.
 */
export type StoreOpener = () => Promise<Store>;

/** What an admission hook sees of an account-creation request. */
export interface AdmissionRequest {
  /** The request's headers (an operator's token travels in `authorization`). */
  readonly headers: Headers;
  /** The remote address, as the per-address limits see it. */
  readonly remoteAddress: string;
}

/**
 * The operator's policy for new accounts: resolves true to let the account be created, false
 * to refuse it (403 `ADMISSION_DENIED`). Called after the per-address limit and before the
 * body is read. A hook that throws refuses with 500 `INTERNAL`.
 */
export type AdmissionHook = (request: AdmissionRequest) => boolean | Promise<boolean>;

/** A structured logger; pino's satisfies it. Fields never hold ids, keys, nonces or bodies. */
export interface ServerLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Socket limits of the node:http server behind `listen()`. */
export interface HttpLimits {
  /** Open connections at once; further ones are closed on arrival. Default 1024. */
  maxConnections?: number;
  /** Time a client has to send the complete request headers (slowloris). Default 10 s. */
  headersTimeoutMs?: number;
  /** Time a client has to send the complete request, body included. Default 120 s. */
  requestTimeoutMs?: number;
  /**
   * A connection with no traffic for this long is closed. Must exceed the longest long-poll
   * (30 s). Default 60 s.
   */
  idleTimeoutMs?: number;
  /** A keep-alive connection waiting for its next request is closed after this. Default 5 s. */
  keepAliveTimeoutMs?: number;
}

/** Options of `createServer`. */
export interface ServerOptions {
  /**
   * Where everything is persisted, or how to open it (called by `listen()` once the port is
   * bound, or by the first request). The server closes it when it closes.
   */
  store: Store | StoreOpener;
  limits?: ServerLimits;
  /** Milliseconds since the epoch; `Date.now` by default. Tests move it. */
  clock?: () => number;
  /** Receives one line per request: method, route pattern, status, duration. Never ids or bodies. */
  log?: (line: string) => void;
  /** Receives one record per request (and the store's failures with their cause) instead of `log`. */
  logger?: ServerLogger;
  /** Who may create accounts; everyone by default. */
  admission?: AdmissionHook;
  /** Serve Prometheus metrics at `/metrics` (prom-client). Off by default. */
  metrics?: boolean;
  /**
   * How many reverse proxies in front of the server append to `X-Forwarded-For`: the remote
   * address for the per-address limits is the entry that many places from the right. 0 (the
   * default) uses the socket's address and ignores the header, which a client could forge.
   */
  proxyHops?: number;
  /** Socket limits of `listen()`. */
  http?: HttpLimits;
  /**
   * The URLs clients reach the server by (`https://sync.example`), when that is not what the
   * server itself sees: behind a TLS-terminating proxy, requests arrive as `http://` and perhaps
   * with another host. Requests are signed for the origin (scheme, host, port) the client
   * called, so list every public URL; by default each request's own origin is used.
   */
  publicUrls?: readonly string[];
  /** Crypto backend used to verify signatures and chain entries. Default libsodium. */
  backend?: BackendName;
  /**
   * Origins allowed to call the API from a browser (CORS), each as the page reports it
   * (`https://app.example`, `http://127.0.0.1:5173`). None by default: same origin only.
   */
  corsOrigins?: readonly string[];
  /** How long `close()` waits for requests in flight before cutting connections. Default 10 s. */
  shutdownTimeoutMs?: number;
}

/** {@link ServerLimits} with every default filled in. */
export type ResolvedLimits = Readonly<Required<ServerLimits>>;

const DEFAULTS: ResolvedLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxBatch: 1000,
  maxEnvelopeBytes: DEFAULT_MAX_ENVELOPE_BYTES,
  maxPageBytes: 8 * 1024 * 1024,
  requestsPerSecond: 100,
  requestBurst: 300,
  anonymousPerSecond: 10,
  anonymousBurst: 60,
  ipPerSecond: 500,
  ipBurst: 1000,
  inFlightBodyBytes: 24 * 1024 * 1024,
  maxWaitsPerAccount: 32,
  cachedAccounts: 10_000,
};

/**
 * Fills in defaults and checks every limit is a positive number (integers where counted).
 * @throws {UsageError} `SERVER_OPTIONS_INVALID`.
 */
export function resolveLimits(limits: ServerLimits = {}): ResolvedLimits {
  const out = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof ServerLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    const rate = key === 'requestsPerSecond' || key === 'anonymousPerSecond' || key === 'ipPerSecond';
    const ok = typeof value === 'number' && value > 0 && (rate ? !Number.isNaN(value) : Number.isSafeInteger(value));
    if (!ok) throw new UsageError('SERVER_OPTIONS_INVALID', `limits.${key} must be a positive ${rate ? 'number' : 'integer'}`);
    // A larger batch could never carry its checkpoint, whose claims count at most MAX_CLAIMS.
    if (key === 'maxBatch' && value > MAX_CLAIMS) throw new UsageError('SERVER_OPTIONS_INVALID', `limits.maxBatch is at most ${MAX_CLAIMS}`);
    out[key] = value;
  }
  if (out.inFlightBodyBytes < out.maxBodyBytes) {
    throw new UsageError('SERVER_OPTIONS_INVALID', 'limits.inFlightBodyBytes must hold at least one body of limits.maxBodyBytes');
  }
  return out;
}

/** {@link HttpLimits} with every default filled in. */
export type ResolvedHttpLimits = Readonly<Required<HttpLimits>>;

const HTTP_DEFAULTS: ResolvedHttpLimits = {
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
};

/**
 * Fills in defaults and checks each socket limit is a positive integer, and that the idle
 * timeout outlasts a long-poll.
 * @throws {UsageError} `SERVER_OPTIONS_INVALID`.
 */
export function resolveHttpLimits(limits: HttpLimits = {}, longestWaitMs: number): ResolvedHttpLimits {
  const out = { ...HTTP_DEFAULTS };
  for (const key of Object.keys(HTTP_DEFAULTS) as (keyof HttpLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new UsageError('SERVER_OPTIONS_INVALID', `http.${key} must be a positive integer`);
    }
    out[key] = value;
  }
  if (out.headersTimeoutMs > out.requestTimeoutMs) {
    throw new UsageError('SERVER_OPTIONS_INVALID', 'http.headersTimeoutMs must not exceed http.requestTimeoutMs');
  }
  if (out.idleTimeoutMs <= longestWaitMs) {
    throw new UsageError('SERVER_OPTIONS_INVALID', `http.idleTimeoutMs must exceed the longest long-poll (${longestWaitMs} ms)`);
  }
  return out;
}

/**
 * Checks `proxyHops`.
 * @throws {UsageError} `SERVER_OPTIONS_INVALID`.
 */
export function resolveProxyHops(hops: number | undefined): number {
  if (hops === undefined) return 0;
  if (typeof hops !== 'number' || !Number.isSafeInteger(hops) || hops < 0 || hops > 16) {
    throw new UsageError('SERVER_OPTIONS_INVALID', 'proxyHops must be an integer in 0..16');
  }
  return hops;
}

/**
 * The origins of `publicUrls`, each checked to be an http(s) URL with nothing after the host
 * and port; undefined when none are given.
 * @throws {UsageError} `SERVER_OPTIONS_INVALID`.
 */
export function resolvePublicOrigins(urls: readonly string[] | undefined): readonly string[] | undefined {
  if (urls === undefined) return undefined;
  if (!Array.isArray(urls) || urls.length === 0) throw new UsageError('SERVER_OPTIONS_INVALID', 'publicUrls must be a non-empty array of URLs');
  return urls.map((raw) => {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    const ok = url !== undefined && /^https?:$/.test(url.protocol) && url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    if (!ok) throw new UsageError('SERVER_OPTIONS_INVALID', `publicUrls: "${String(raw)}" is not a URL like https://sync.example`);
    return requestOrigin(url!);
  });
}
