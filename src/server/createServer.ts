/**
 * `createServer`: the sync server over a `Store`. It needs no keys of its own: it verifies
 * request signatures and chain entries against the public keys in each account's chain, checks
 * envelope shapes, and stores ciphertext. docs/server.md describes the API.
 */
import { UsageError } from '../errors.js';
import { loadSuite } from '../crypto/suite.js';
import { buildApp } from './app.js';
import { ChainCache } from './chainCache.js';
import { checkCorsOrigins } from './cors.js';
import type { ServerContext } from './context.js';
import { listenNode, type NodeListener } from './nodeListener.js';
import { resolveLimits, type ServerOptions } from './options.js';
import { RateLimiter } from './rateLimiter.js';
import { WaitRegistry } from './waitRegistry.js';

/** A server bound to a port. */
export interface ListeningServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  readonly port: number;
  /** The same as {@link SyncServer.close}. */
  close(): Promise<void>;
}

/** A sync server: a fetch handler, optionally bound to a port. */
export interface SyncServer {
  /** Handles one request (for tests, or to mount in another runtime). */
  fetch(request: Request): Promise<Response>;
  /**
   * Binds to `host` (default 127.0.0.1) and `port` (0 picks a free port). At most once.
   * @throws {UsageError} `SERVER_STATE` if already listening or closed; Error from node:net if the port cannot be bound.
   */
  listen(port: number, host?: string): Promise<ListeningServer>;
  /**
   * Graceful shutdown: refuses new requests (503 `UNAVAILABLE`), ends open long-polls, lets
   * requests in flight finish (up to `shutdownTimeoutMs`), stops listening, closes the store.
   * Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Creates a server over `options.store`.
 * @throws {UsageError} `SERVER_OPTIONS_INVALID` for a bad limit or option.
 */
export function createServer(options: ServerOptions): SyncServer {
  if (options === null || typeof options !== 'object' || options.store === undefined) {
    throw new UsageError('SERVER_OPTIONS_INVALID', 'createServer needs a store');
  }
  const limits = resolveLimits(options.limits);
  const corsOrigins = checkCorsOrigins(options.corsOrigins);
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const clock = options.clock ?? Date.now;
  const waits = new WaitRegistry(limits.maxWaitsPerAccount);
  const app = loadSuite(options.backend).then((suite) => {
    const ctx: ServerContext = {
      store: options.store,
      suite,
      limits,
      clock,
      chains: new ChainCache(options.store, suite, limits.cachedAccounts),
      deviceRate: new RateLimiter(limits.requestsPerSecond, limits.requestBurst),
      anonymousRate: new RateLimiter(limits.anonymousPerSecond, limits.anonymousBurst),
      waits,
    };
    return buildApp(ctx, { log: options.log, corsOrigins });
  });
  // Surface a failed backend load on the first request, not as an unhandled rejection.
  app.catch(() => undefined);

  let inFlight = 0;
  let drained: (() => void) | undefined;
  let listener: NodeListener | undefined;
  let closing: Promise<void> | undefined;

  const handle = async (request: Request, env?: unknown): Promise<Response> => {
    inFlight += 1;
    try {
      return await (await app).fetch(request, env);
    } finally {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    }
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      waits.closeAll();
      const idle = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, shutdownTimeoutMs).unref());
      await Promise.all([listener?.close(shutdownTimeoutMs), Promise.race([idle, deadline])]);
      await options.store.close();
    })();
    return closing;
  };

  return {
    fetch: (request) => handle(request),
    async listen(port, host = '127.0.0.1') {
      if (listener !== undefined || closing !== undefined) throw new UsageError('SERVER_STATE', 'the server is already listening or closed');
      await app;
      listener = await listenNode(handle, port, host);
      return { url: listener.url, port: listener.port, close };
    },
    close,
  };
}
