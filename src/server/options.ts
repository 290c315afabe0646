/** Options of `createServer`, and the limits with their defaults. */
import { UsageError } from '../errors.js';
import type { BackendName } from '../crypto/provider.js';
import { DEFAULT_MAX_ENVELOPE_BYTES } from '../core/envelopeFormat.js';
import { MAX_CLAIMS } from '../core/logCheckpoint.js';
import type { Store } from '../storage/store.js';

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
  /** Long-polls one account may hold open at once (429 beyond). Default 32. */
  maxWaitsPerAccount?: number;
  /** Accounts whose verified chain state stays cached. Default 10,000. */
  cachedAccounts?: number;
}

/** Options of `createServer`. */
export interface ServerOptions {
  /** Where everything is persisted. The server closes it when it closes. */
  store: Store;
  limits?: ServerLimits;
  /** Milliseconds since the epoch; `Date.now` by default. Tests move it. */
  clock?: () => number;
  /** Receives one line per request: method, route pattern, status, duration. Never ids or bodies. */
  log?: (line: string) => void;
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
    const rate = key === 'requestsPerSecond' || key === 'anonymousPerSecond';
    const ok = typeof value === 'number' && value > 0 && (rate ? !Number.isNaN(value) : Number.isSafeInteger(value));
    if (!ok) throw new UsageError('SERVER_OPTIONS_INVALID', `limits.${key} must be a positive ${rate ? 'number' : 'integer'}`);
    // A larger batch could never carry its checkpoint, whose claims count at most MAX_CLAIMS.
    if (key === 'maxBatch' && value > MAX_CLAIMS) throw new UsageError('SERVER_OPTIONS_INVALID', `limits.maxBatch is at most ${MAX_CLAIMS}`);
    out[key] = value;
  }
  return out;
}
