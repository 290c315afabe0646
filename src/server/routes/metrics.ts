/**
 * GET /metrics — Prometheus text exposition (metrics.ts), when the server was created with
 * `metrics: true`. Unsigned and outside `/v1`: expose it to your scraper, not to the world (a
 * reverse proxy that forwards only `/v1/` does that).
 */
import type { ServerContext } from '../context.js';
import { route, type App } from '../routing.js';

/** The metrics route. */
export const METRICS_ROUTE = '/metrics';

/** Registers GET /metrics if metrics are on. */
export function registerMetricsRoute(app: App, ctx: ServerContext): void {
  const metrics = ctx.metrics;
  if (metrics === undefined) return;
  route(app, 'GET', METRICS_ROUTE, async () => {
    const { body, contentType } = await metrics.expose();
    return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
  });
}
