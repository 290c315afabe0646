/**
 * `createServer`: the sync server over a `Store`. It needs no keys of its own: it verifies
 * request signatures and chain entries against the public keys in each account's chain, checks
 * envelope shapes, and stores ciphertext. docs/server.md describes the API.
 *
 * Starting, in order: `listen()` binds the port; then it opens the store (when given an opener,
 * so a server that cannot bind leaves no database file behind); then it writes and reads the
 * store once (healthProbe.ts) and refuses to start on a store that cannot do both, instead of
 * answering health checks while every write fails.
 */
import { UsageError } from '../errors.js';
import { loadSuite } from '../crypto/suite.js';
import { MAX_WAIT_MS } from '../http/routes.js';
import type { Store } from '../storage/store.js';
import { buildApp, type App } from './app.js';
import { BodyBudget } from './bodyBudget.js';
import { ChainCache } from './chainCache.js';
import { checkCorsOrigins } from './cors.js';
import type { ServerContext } from './context.js';
import { HealthProbe, probeStore } from './healthProbe.js';
import { ServerMetrics } from './metrics.js';
import { listenNode, type NodeListener } from './nodeListener.js';
import { resolveHttpLimits, resolveLimits, resolveProxyHops, resolvePublicOrigins, type ServerOptions } from './options.js';
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
   * Binds to `host` (default 127.0.0.1) and `port` (0 picks a free port), then opens the store
   * (if given an opener) and checks it can write and read. At most once. On any failure the
   * port is released and the store closed before the promise rejects.
   * @throws {UsageError} `SERVER_STATE` if already listening or closed.
   * @throws {StorageError} from opening the store, or `STORE_FULL`, `STORE_READ_ONLY`,
   *   `STORE_BUSY`, `STORE_FAILURE` when it cannot write and read.
   * @throws Error from node:net if the port cannot be bound (EADDRINUSE, EACCES).
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
  if (options === null || typeof options !== 'object' || (typeof options.store !== 'object' && typeof options.store !== 'function') || options.store === null) {
    throw new UsageError('SERVER_OPTIONS_INVALID', 'createServer needs a store');
  }
  if (options.admission !== undefined && typeof options.admission !== 'function') {
    throw new UsageError('SERVER_OPTIONS_INVALID', 'admission must be a function');
  }
  const limits = resolveLimits(options.limits);
  const httpLimits = resolveHttpLimits(options.http, MAX_WAIT_MS);
  const proxyHops = resolveProxyHops(options.proxyHops);
  const publicOrigins = resolvePublicOrigins(options.publicUrls);
  const corsOrigins = checkCorsOrigins(options.corsOrigins);
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const clock = options.clock ?? Date.now;
  const waits = new WaitRegistry(limits.maxWaitsPerAccount);
  const bodies = new BodyBudget(limits.inFlightBodyBytes);
  const metrics = options.metrics === true ? new ServerMetrics({ longPollsOpen: () => waits.open, bodyBytesInFlight: () => bodies.used }) : undefined;
  const suite = loadSuite(options.backend);

  const given = options.store;
  let opened: Promise<Store> | undefined = typeof given === 'function' ? undefined : Promise.resolve(given);
  const openStore = (): Promise<Store> => (opened ??= (given as () => Promise<Store>)());

  let app: Promise<App> | undefined;
  const build = (): Promise<App> =>
    (app ??= Promise.all([suite, openStore()]).then(([crypto, store]) => {
      const ctx: ServerContext = {
        store,
        suite: crypto,
        limits,
        clock,
        chains: new ChainCache(store, crypto, limits.cachedAccounts),
        deviceRate: new RateLimiter(limits.requestsPerSecond, limits.requestBurst),
        anonymousRate: new RateLimiter(limits.anonymousPerSecond, limits.anonymousBurst),
        addressRate: new RateLimiter(limits.ipPerSecond, limits.ipBurst),
        bodies,
        waits,
        health: new HealthProbe(store, clock),
        admission: options.admission,
        metrics,
        proxyHops,
        publicOrigins,
      };
      return buildApp(ctx, { log: options.log, logger: options.logger, corsOrigins });
    }));
  // A server given its store surfaces a failed backend load on the first request, not as an
  // unhandled rejection.
  if (opened !== undefined) build().catch(() => undefined);

  let inFlight = 0;
  let drained: (() => void) | undefined;
  let listener: NodeListener | undefined;
  let listening = false;
  let closing: Promise<void> | undefined;

  const handle = async (request: Request, env?: unknown): Promise<Response> => {
    inFlight += 1;
    try {
      return await (await build()).fetch(request, env);
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
      // A store that never opened has nothing to close; one that failed to open rejected already.
      const store = await opened?.catch(() => undefined);
      await store?.close();
    })();
    return closing;
  };

  return {
    fetch: (request) => handle(request),
    async listen(port, host = '127.0.0.1') {
      if (listening || closing !== undefined) throw new UsageError('SERVER_STATE', 'the server is already listening or closed');
      listening = true;
      await suite;
      listener = await listenNode(handle, port, host, httpLimits);
      try {
        await build();
        const store = await openStore();
        const probe = await probeStore(store, clock());
        metrics?.health(probe.ok);
        if (!probe.ok) throw probe.error;
      } catch (error) {
        await close();
        throw error;
      }
      return { url: listener.url, port: listener.port, close };
    },
    close,
  };
}
