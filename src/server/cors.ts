/**
 * CORS for browser apps on other origins: off unless origins are configured, and then only
 * those (no wildcard, no credentials: requests are authorised by their signature, not by
 * cookies). It answers preflights for the methods and `mks-*` headers the client sends, and
 * exposes the response headers the client reads. It runs ahead of every other gate, so a
 * refusal (503 while shutting down, 429) still reaches the page with its code instead of
 * looking like a network error.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { UsageError } from '../errors.js';
import { HEADERS } from '../http/routes.js';

/**
 * Checks that every entry is a serialized origin (`https://app.example`, `http://127.0.0.1:5173`):
 * a trailing slash, a path, `*` or `null` would never match, or match too much.
 * @throws {UsageError} `SERVER_OPTIONS_INVALID`.
 */
export function checkCorsOrigins(origins: readonly string[] | undefined): readonly string[] {
  if (origins === undefined) return [];
  if (!Array.isArray(origins)) throw new UsageError('SERVER_OPTIONS_INVALID', 'corsOrigins must be an array of origins');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    const ok = parsed !== undefined && /^https?:$/.test(parsed.protocol) && parsed.origin === origin;
    if (!ok) throw new UsageError('SERVER_OPTIONS_INVALID', `corsOrigins: "${String(origin)}" is not an origin like https://app.example`);
  }
  return [...origins];
}

/** The CORS middleware for `origins` (already checked), or undefined when there are none. */
export function corsMiddleware(origins: readonly string[]): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined;
  return cors({
    origin: [...origins],
    allowMethods: ['GET', 'POST', 'PUT'],
    allowHeaders: ['content-type', 'authorization', HEADERS.account, HEADERS.device, HEADERS.time, HEADERS.nonce, HEADERS.signature],
    exposeHeaders: ['retry-after', HEADERS.serverTime],
    maxAge: 600,
  });
}
