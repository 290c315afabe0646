/**
 * GET /v1/health — the server clock, and whether the store can write and read right now
 *                  (healthProbe.ts). CBOR by default (what `HttpClient.health` reads); JSON when
 *                  the request accepts `application/json` and not CBOR.
 * GET /healthz   — the same check, always JSON, for load balancers and people with curl.
 *
 * A healthy store answers 200 `{status: "ok", version: 1, time}`. A failing one answers with
 * the store's code and status (507 `STORE_FULL`, 503 `STORE_READ_ONLY`, `STORE_BUSY` or
 * `UNAVAILABLE`), in JSON as `{status: "failing", code, message, time}`; the log line names the
 * driver's cause. Unsigned and not rate-limited: probes are coalesced instead.
 */
import { CBOR_CONTENT_TYPE, ROUTES } from '../../http/routes.js';
import type { HealthResponse } from '../../http/messages.js';
import { route, type App, type FailureNote } from '../routing.js';
import type { ServerContext } from '../context.js';
import type { HttpError } from '../httpError.js';
import { cborResponse, describeError, errorResponse } from '../responses.js';
import { countStoreFailure } from '../storeFailure.js';

/** The JSON-only health route. */
export const HEALTHZ_ROUTE = '/healthz';

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

function wantsJson(accept: string | null): boolean {
  if (accept === null) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  return types.includes('application/json') && !types.includes(CBOR_CONTENT_TYPE);
}

function jsonResponse(value: unknown, status: number, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify(value), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/** Registers GET /v1/health and GET /healthz. */
export function registerHealthRoutes(app: App, ctx: ServerContext): void {
  const answer = async (json: boolean, setFailure: (failure: FailureNote) => void): Promise<Response> => {
    const result = await ctx.health.check();
    const time = ctx.clock();
    ctx.metrics?.health(result.ok);
    if (result.ok) {
      const body: HealthResponse = { status: 'ok', version: 1, time };
      return json ? jsonResponse(body, 200) : cborResponse(body);
    }
    const failure: HttpError = describeError(result.error);
    setFailure({ code: failure.code, note: failure.logNote ?? `StorageError:${result.error.code}` });
    countStoreFailure(ctx, result.error);
    if (!json) return errorResponse(failure);
    return jsonResponse({ status: 'failing', code: failure.code, message: failure.message, time }, failure.status, failure.headers);
  };
  route(app, 'GET', ROUTES.health, (c) => answer(wantsJson(c.req.header('accept') ?? null), (note) => c.set('failure', note)));
  route(app, 'GET', HEALTHZ_ROUTE, (c) => answer(true, (note) => c.set('failure', note)));
}
