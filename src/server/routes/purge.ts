/**
 * POST /v1/accounts/:account/purge — {recordIds}: "delete my server copy". The server deletes
 * those records' envelopes from the account, whatever their kind, and keeps no tombstone: the
 * devices keep their local copies, the server simply stops holding them. Unknown ids count for
 * nothing, so a repeated purge is harmless and clients may retry it. Any active device of the
 * account may purge any record of it, as any of them may push a tombstone for it.
 */
import { decodePurgeRequest, PURGE_BODY_BYTES, type PurgeResponse } from '../../http/messages.js';
import { ROUTES } from '../../http/routes.js';
import { MAX_REVISION } from '../../storage/limits.js';
import { route, type App } from '../routing.js';
import { authenticate } from '../auth.js';
import type { ServerContext } from '../context.js';
import { cborResponse, decodeOrReject } from '../responses.js';

/** Registers POST /v1/accounts/:account/purge. */
export function registerPurgeRoutes(app: App, ctx: ServerContext): void {
  route(app, 'POST', ROUTES.purge, async (c) => {
    const url = new URL(c.req.url);
    const auth = await authenticate(ctx, c.req.raw, url, c.req.param('account'), PURGE_BODY_BYTES);
    const { recordIds } = decodeOrReject(() => decodePurgeRequest(auth.body));
    // Interim, until the v2 route takes a checkpoint naming each purge's revision: every version.
    const purges = recordIds.map((recordId) => ({ recordId, upToRevision: MAX_REVISION }));
    const body: PurgeResponse = { purged: await ctx.store.purgeEnvelopes(auth.accountId, purges) };
    return cborResponse(body);
  });
}
