/** GET /v1/health: liveness and the server clock (a client may use it to correct its skew). */
import { ROUTES } from '../../http/routes.js';
import type { HealthResponse } from '../../http/messages.js';
import { route, type App } from '../app.js';
import type { ServerContext } from '../context.js';
import { cborResponse } from '../responses.js';

/** Registers GET /v1/health. */
export function registerHealthRoutes(app: App, ctx: ServerContext): void {
  route(app, 'GET', ROUTES.health, () => {
    const body: HealthResponse = { status: 'ok', version: 1, time: ctx.clock() };
    return cborResponse(body);
  });
}
