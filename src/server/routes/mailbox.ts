/**
 * PUT /v1/mailbox/:id?ttl=MS {message} — leave one message (≤ 64 KiB) for up to 15 minutes.
 * GET /v1/mailbox/:id                  — take it: the message is deleted as it is returned;
 *                                        {message: null} when there is none.
 * Unsigned: the id (32 bytes, hex) is itself the secret, derived from a pairing secret by both
 * devices, and the message is sealed under that secret. The first message under an id stays
 * until taken or expired (409 `MAILBOX_FULL`), so learning an id does not let anyone swap it.
 */
import { fromHex } from '../../crypto/bytes.js';
import { decodeMailboxPutRequest, type MailboxTakeResponse } from '../../http/messages.js';
import { MAX_MAILBOX_MESSAGE_BYTES, MAX_MAILBOX_TTL_MS, ROUTES } from '../../http/routes.js';
import { remoteAddress, route, type App } from '../routing.js';
import { rateLimited } from '../auth.js';
import { readBody } from '../body.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../httpError.js';
import { parseQuery } from '../query.js';
import { cborResponse, decodeOrReject } from '../responses.js';

const MAILBOX_HEX = /^[0-9a-f]{64}$/;
/** Time-to-live when the request names none. */
export const DEFAULT_MAILBOX_TTL_MS = 10 * 60_000;

function mailboxId(raw: string | undefined): Uint8Array {
  if (raw === undefined || !MAILBOX_HEX.test(raw)) throw new HttpError('BAD_REQUEST', 'a mailbox id is 64 lower-case hex characters');
  return fromHex(raw);
}

/** Registers PUT and GET /v1/mailbox/:id. */
export function registerMailboxRoutes(app: App, ctx: ServerContext): void {
  route(app, 'PUT', ROUTES.mailbox, async (c) => {
    const now = ctx.clock();
    const waitMs = ctx.anonymousRate.take(remoteAddress(c, ctx.proxyHops), now);
    if (waitMs > 0) throw rateLimited(waitMs);
    const id = mailboxId(c.req.param('id'));
    const { ttl } = parseQuery(new URL(c.req.url), { ttl: { min: 1, max: MAX_MAILBOX_TTL_MS, default: DEFAULT_MAILBOX_TTL_MS } });
    const body = await readBody(c.req.raw, MAX_MAILBOX_MESSAGE_BYTES + 64, ctx.bodies);
    const { message } = decodeOrReject(() => decodeMailboxPutRequest(body));
    await ctx.store.mailboxPut(id, message, now + ttl, now);
    return cborResponse({}, 201);
  });

  route(app, 'GET', ROUTES.mailbox, async (c) => {
    const now = ctx.clock();
    const waitMs = ctx.anonymousRate.take(remoteAddress(c, ctx.proxyHops), now);
    if (waitMs > 0) throw rateLimited(waitMs);
    const id = mailboxId(c.req.param('id'));
    parseQuery(new URL(c.req.url), {});
    const message = await ctx.store.mailboxTake(id, now);
    // Pairing polls until a message arrives: "nothing yet" is a 200, not an error status that
    // browsers log on every poll.
    const body: MailboxTakeResponse = { message };
    return cborResponse(body);
  });
}
