/**
 * GET /v1/accounts/:account/logs/:device — {checkpoint}: the device's newest log checkpoint as
 * stored, or null. A device that removes another (or rotates its own key) names that log head
 * in its chain entry; this is where it reads it. The answer is the server's word: the caller
 * verifies the checkpoint's signature, and the chain append is refused (`LOG_CUT_STALE`) unless
 * the head is still the stored one.
 */
import { fromHex } from '../../crypto/bytes.js';
import type { LogHeadResponse } from '../../http/messages.js';
import { ROUTES } from '../../http/routes.js';
import { route, type App } from '../routing.js';
import { authenticate } from '../auth.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../httpError.js';
import { cborResponse } from '../responses.js';

const DEVICE_HEX = /^[0-9a-f]{32}$/;

/** Registers GET /v1/accounts/:account/logs/:device. */
export function registerLogRoutes(app: App, ctx: ServerContext): void {
  route(app, 'GET', ROUTES.logs, async (c) => {
    const url = new URL(c.req.url);
    const raw = c.req.param('device');
    if (raw === undefined || !DEVICE_HEX.test(raw)) throw new HttpError('BAD_REQUEST', 'a device id is 32 lower-case hex characters');
    const auth = await authenticate(ctx, c.req.raw, url, c.req.param('account'), null);
    const head = await ctx.store.logHead(auth.accountId, fromHex(raw));
    const body: LogHeadResponse = { checkpoint: head === null ? null : head.bytes };
    return cborResponse(body);
  });
}
