/**
 * POST /v1/accounts/:account/purge — {log}: "delete my server copy". The signing device's log
 * checkpoint names the records and, for each, the highest revision to delete; the server
 * deletes those records' envelopes up to that revision, whatever their kind, keeps no
 * tombstone, and appends the checkpoint to the device's log in the same transaction, so every
 * other device learns of the purge from the log and does not take the missing records for
 * withholding. The devices keep their local copies. Unknown ids count for nothing; a repeated
 * purge (a byte-identical checkpoint) is harmless and clients may retry it. Any device that may
 * write may purge any record of the account, as it may push a tombstone for it; the recovery
 * key may not.
 */
import { decodePurgeRequest, PURGE_BODY_BYTES, type PurgeResponse } from '../../http/messages.js';
import { ROUTES } from '../../http/routes.js';
import { route, type App } from '../routing.js';
import { authenticate } from '../auth.js';
import type { ServerContext } from '../context.js';
import { cborResponse, decodeOrReject } from '../responses.js';
import { HttpError } from '../httpError.js';
import { assertWriter, checkCheckpoint, logAppendOf } from '../logCheck.js';

/** Registers POST /v1/accounts/:account/purge. */
export function registerPurgeRoutes(app: App, ctx: ServerContext): void {
  route(app, 'POST', ROUTES.purge, async (c) => {
    const url = new URL(c.req.url);
    const auth = await authenticate(ctx, c.req.raw, url, c.req.param('account'), PURGE_BODY_BYTES);
    const { log } = decodeOrReject(() => decodePurgeRequest(auth.body));
    assertWriter(auth.state, auth.deviceId);
    const checkpoint = checkCheckpoint(ctx.suite, auth.accountId, auth.state, auth.deviceId, log);
    if (checkpoint.claims.length > 0 || checkpoint.purges.length === 0) {
      throw new HttpError('LOG_MISMATCH', 'a purge checkpoint names at least one purge and claims nothing');
    }
    const purged = await ctx.store.purgeEnvelopes(auth.accountId, checkpoint.purges, logAppendOf(checkpoint));
    const body: PurgeResponse = { purged };
    return cborResponse(body);
  });
}
