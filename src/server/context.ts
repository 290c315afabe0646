/** What every route handler shares: the store, the verified chains, the limits and the clock. */
import type { CryptoProvider } from '../crypto/provider.js';
import type { Store } from '../storage/store.js';
import type { BodyBudget } from './bodyBudget.js';
import type { ChainCache } from './chainCache.js';
import type { HealthProbe } from './healthProbe.js';
import type { ServerMetrics } from './metrics.js';
import type { AdmissionHook, ResolvedLimits } from './options.js';
import type { RateLimiter } from './rateLimiter.js';
import type { WaitRegistry } from './waitRegistry.js';

/** Shared state of one server instance. */
export interface ServerContext {
  readonly store: Store;
  readonly suite: CryptoProvider;
  readonly limits: ResolvedLimits;
  readonly clock: () => number;
  readonly chains: ChainCache;
  /** Buckets of signed requests, by device id. */
  readonly deviceRate: RateLimiter;
  /** Buckets of unsigned requests, by remote address. */
  readonly anonymousRate: RateLimiter;
  /** Buckets of every request under /v1, by remote address, taken before any other work. */
  readonly addressRate: RateLimiter;
  /** Request-body bytes held at once. */
  readonly bodies: BodyBudget;
  readonly waits: WaitRegistry;
  /** The store's write-and-read check, coalesced. */
  readonly health: HealthProbe;
  /** Who may create accounts; undefined lets everyone. */
  readonly admission: AdmissionHook | undefined;
  /** Present when metrics are on. */
  readonly metrics: ServerMetrics | undefined;
  /** Reverse proxies that append to X-Forwarded-For (see clientAddress.ts). */
  readonly proxyHops: number;
  /** The origins clients sign for (from `publicUrls`); undefined: each request's own. */
  readonly publicOrigins: readonly string[] | undefined;
}
