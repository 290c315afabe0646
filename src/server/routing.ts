/**
 * What the route modules need from the application, in a module of its own so that they and
 * app.ts do not import each other: the app's type, how a route registers (remembering its
 * pattern for the log and the metrics, never the concrete path), and where a request comes from.
 */
import type { Context, Hono } from 'hono';
import { clientAddress } from './clientAddress.js';

/** A refusal or failure worth a note in the request's log record. */
export interface FailureNote {
  /** The wire code sent. */
  code: string;
  /** What else the operator should know: the error's kind, a driver's cause. Never an id or a body. */
  note: string;
}

/** Hono environment of the app: the matched route pattern and any failure travel to the logger. */
export interface AppEnv {
  Variables: { route: string; failure: FailureNote };
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

/** Where a request comes from, for the per-address buckets (see clientAddress.ts). */
export function remoteAddress(c: Context<AppEnv>, proxyHops: number): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return clientAddress(env?.incoming?.socket?.remoteAddress, c.req.header('x-forwarded-for'), proxyHops);
}
