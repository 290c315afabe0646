/** What every route handler shares: the store, the verified chains, the limits and the clock. */
import type { CryptoProvider } from '../crypto/provider.js';
import type { Store } from '../storage/store.js';
import type { ChainCache } from './chainCache.js';
import type { ResolvedLimits } from './options.js';
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
  readonly waits: WaitRegistry;
}
