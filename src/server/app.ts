/**
 * The Hono application. In order, every request meets:
 * 1. the recorder: one log record and one metrics sample per request (route pattern, never the
 *    concrete path: mailbox paths carry secrets, account paths identify people), the release
 *    of the request's body budget when it is done, and `mks-server-time` on every answer;
 * 2. CORS, when origins are configured;
 * 3. the gate: 503 while shutting down, 404 for HEAD, and the per-address rate of everything
 *    under `/v1` except health, before any body is read or signature checked;
 * 4. the routes; errors always answer in CBOR.
 */
import type { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { MultikeySyncError } from '../errors.js';
import { API_PREFIX, HEADERS, ROUTES } from '../http/routes.js';
import { rateLimited } from './auth.js';
import type { ServerContext } from './context.js';
import { rememberNodeBody } from './bodySource.js';
import { corsMiddleware } from './cors.js';
import { HttpError } from './httpError.js';
import type { ServerLogger } from './options.js';
import { describeError, errorResponse } from './responses.js';
import { registerAccountRoutes } from './routes/accounts.js';
import { registerChainRoutes } from './routes/chain.js';
import { registerEnvelopeRoutes } from './routes/envelopes.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerLogRoutes } from './routes/logs.js';
import { registerMailboxRoutes } from './routes/mailbox.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerPurgeRoutes } from './routes/purge.js';
import { registerWaitRoutes } from './routes/wait.js';
import { remoteAddress, type App, type AppEnv } from './routing.js';
import { countStoreFailure } from './storeFailure.js';

export type { App, AppEnv, Handler } from './routing.js';

/** Options of {@link buildApp} beyond the context. */
export interface AppOptions {
  log?: (line: string) => void;
  logger?: ServerLogger;
  corsOrigins?: readonly string[];
}

/** Builds the application over `ctx`. */
export function buildApp(ctx: ServerContext, options: AppOptions): App {
  const app: App = new Hono<AppEnv>();
  const record = requestRecorder(options);
  app.use(async (c, next) => {
    const start = performance.now();
    rememberNodeBody(c.req.raw, (c.env as { incoming?: Readable } | undefined)?.incoming);
    let bodyRead = false;
    try {
      await next();
    } finally {
      bodyRead = ctx.bodies.holds(c.req.raw);
      ctx.bodies.release(c.req.raw);
    }
    // Shutting down, or refusing a large body without reading it: close the connection rather
    // than let node:http read (and drop) the rest of the body to keep it alive.
    if (ctx.waits.closing || (!bodyRead && leavesBodyUnread(c))) c.res.headers.set('connection', 'close');
    // Every answer tells the client the server's clock: devices correct theirs by it (bounded).
    c.res.headers.set(HEADERS.serverTime, String(ctx.clock()));
    const ms = performance.now() - start;
    const routeName = c.get('route') ?? '(no route)';
    ctx.metrics?.request(c.req.method, routeName, c.res.status, ms / 1000);
    record?.(c.req.method, routeName, c.res.status, ms, c.get('failure'));
  });
  // Ahead of the gate below, so its refusals reach a browser page with their code.
  const cors = corsMiddleware(options.corsOrigins ?? []);
  if (cors !== undefined) app.use(cors);
  app.use(async (c, next) => {
    if (ctx.waits.closing) return errorResponse(new HttpError('UNAVAILABLE', 'the server is shutting down'));
    // Hono answers HEAD with the GET handler; a HEAD on a mailbox would take the message.
    if (c.req.raw.method === 'HEAD') return errorResponse(new HttpError('NOT_FOUND', 'HEAD is not supported'));
    if (counted(c)) {
      const waitMs = ctx.addressRate.take(remoteAddress(c, ctx.proxyHops), ctx.clock());
      if (waitMs > 0) return errorResponse(rateLimited(waitMs));
    }
    return next();
  });
  registerHealthRoutes(app, ctx);
  registerMetricsRoute(app, ctx);
  registerAccountRoutes(app, ctx);
  registerChainRoutes(app, ctx);
  registerEnvelopeRoutes(app, ctx);
  registerWaitRoutes(app, ctx);
  registerPurgeRoutes(app, ctx);
  registerLogRoutes(app, ctx);
  registerMailboxRoutes(app, ctx);
  app.notFound(() => errorResponse(new HttpError('NOT_FOUND', 'no such route')));
  app.onError((error, c) => {
    const described = describeError(error);
    // The log names the kind of failure for operators (never its message); the client gets the code alone.
    if (described.status >= 500) {
      const inner = described.logNote ?? (error instanceof MultikeySyncError ? `${error.name}:${error.code}` : error.name);
      c.set('failure', { code: described.code, note: inner });
      countStoreFailure(ctx, error);
    }
    return errorResponse(described);
  });
  return app;
}

/** Unread bodies larger than this close the connection after a refusal. */
const UNREAD_BODY_CLOSE_BYTES = 64 * 1024;

function leavesBodyUnread(c: Context<AppEnv>): boolean {
  const declared = Number(c.req.header('content-length') ?? '0');
  return c.res.status >= 400 && declared > UNREAD_BODY_CLOSE_BYTES;
}

/** Requests the per-address limit counts: everything under /v1 but the health check. */
function counted(c: Context<AppEnv>): boolean {
  const path = c.req.path;
  return path.startsWith(`${API_PREFIX}/`) && path !== ROUTES.health;
}

type Recorder = (method: string, route: string, status: number, ms: number, failure: { code: string; note: string } | undefined) => void;

/** One log record per request, as a line (`log`) or a structured record (`logger`); none without either. */
function requestRecorder(options: AppOptions): Recorder | undefined {
  const { log, logger } = options;
  if (logger !== undefined) {
    return (method, route, status, ms, failure) => {
      const fields: Record<string, unknown> = { method, route, status, ms: Math.round(ms * 10) / 10 };
      if (failure !== undefined) Object.assign(fields, { code: failure.code, detail: failure.note });
      // A body refused for the in-flight budget is the server protecting itself, not failing.
      if (failure?.code === 'SERVER_BUSY') logger.warn(fields, 'request refused');
      else if (status >= 500) logger.error(fields, 'request failed');
      else logger.info(fields, 'request');
    };
  }
  if (log !== undefined) {
    return (method, route, status, ms, failure) => {
      log(`${method} ${route} ${status} ${ms.toFixed(1)}ms${failure === undefined ? '' : ` ${failure.code} ${failure.note}`}`);
    };
  }
  return undefined;
}
