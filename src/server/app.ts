/**
 * The Hono application: one middleware that logs a line per request (route pattern, never the
 * concrete path: mailbox paths carry secrets, account paths identify people), optional CORS,
 * the routes, and error handling that always answers in CBOR.
 */
import { Hono, type Context } from 'hono';
import { MultikeySyncError } from '../errors.js';
import type { ServerContext } from './context.js';
import { corsMiddleware } from './cors.js';
import { HttpError } from './httpError.js';
import { describeError, errorResponse } from './responses.js';
import { registerAccountRoutes } from './routes/accounts.js';
import { registerChainRoutes } from './routes/chain.js';
import { registerEnvelopeRoutes } from './routes/envelopes.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerLogRoutes } from './routes/logs.js';
import { registerMailboxRoutes } from './routes/mailbox.js';
import { registerPurgeRoutes } from './routes/purge.js';
import { registerWaitRoutes } from './routes/wait.js';

/** Hono environment of the app: the matched route pattern travels to the logger. */
export interface AppEnv {
  Variables: { route: string; failure: string };
}
/** The application type the route modules register on. */
export type App = Hono<AppEnv>;
/** A route handler. */
export type Handler = (c: Context<AppEnv>) => Promise<Response> | Response;

/** Registers `handler` for `method` on `pattern`, remembering the pattern for the log line. */
export function route(app: App, method: 'GET' | 'POST' | 'PUT', pattern: string, handler: Handler): void {
  app.on(method, pattern, (c) => {
    c.set('route', pattern);
    return handler(c);
  });
}

/** Where an unsigned request comes from, for its rate bucket. */
export function remoteAddress(c: Context<AppEnv>): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** Options of {@link buildApp} beyond the context. */
export interface AppOptions {
  log?: (line: string) => void;
  corsOrigins?: readonly string[];
}

/** Builds the application over `ctx`. */
export function buildApp(ctx: ServerContext, options: AppOptions): App {
  const app: App = new Hono<AppEnv>();
  const log = options.log;
  app.use(async (c, next) => {
    const start = performance.now();
    await next();
    if (ctx.waits.closing) c.res.headers.set('connection', 'close');
    if (log !== undefined) {
      const status = c.res.status;
      const ms = (performance.now() - start).toFixed(1);
      const failure = c.get('failure');
      log(`${c.req.method} ${c.get('route') ?? '(no route)'} ${status} ${ms}ms${failure === undefined ? '' : ` ${failure}`}`);
    }
  });
  // Ahead of the gate below, so its refusals reach a browser page with their code.
  const cors = corsMiddleware(options.corsOrigins ?? []);
  if (cors !== undefined) app.use(cors);
  app.use(async (c, next) => {
    if (ctx.waits.closing) return errorResponse(new HttpError('UNAVAILABLE', 'the server is shutting down'));
    // Hono answers HEAD with the GET handler; a HEAD on a mailbox would take the message.
    if (c.req.raw.method === 'HEAD') return errorResponse(new HttpError('NOT_FOUND', 'HEAD is not supported'));
    return next();
  });
  registerHealthRoutes(app, ctx);
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
      c.set('failure', `${described.code} ${inner}`);
    }
    return errorResponse(described);
  });
  return app;
}
