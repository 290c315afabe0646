/**
 * GET  /v1/accounts/:account/chain?from=N — entries from index N, with the head and length.
 * POST /v1/accounts/:account/chain         — append {entry, head}: the entry must extend `head`,
 *   which must still be the head (409 `CHAIN_CONFLICT` otherwise), pass the chain rules
 *   (422 `CHAIN_ENTRY_REJECTED`), and carry a timestamp the server's clock allows (entryTime.ts:
 *   a backdated recovery add would otherwise shorten its waiting period). A `remove` or
 *   `rotate` must name the device's log head exactly as stored (409 `LOG_CUT_STALE`), checked in
 *   the same transaction as the append and under the lock log appends take: with an honest
 *   server, a removed device's authority ends exactly at its last accepted push, and it can push
 *   nothing after. The store appends with compare-and-swap, so of two racing appends across any
 *   number of processes one wins.
 */
import { equalBytes } from '../../crypto/bytes.js';
import { decodeEntry } from '../../enrollment/chainEntry.js';
import { applyEntry } from '../../enrollment/chainState.js';
import {
  decodeAppendChainRequest,
  type AppendChainResponse,
  type ChainPageResponse,
} from '../../http/messages.js';
import { MAX_PAGE_LIMIT, ROUTES } from '../../http/routes.js';
import { authenticate } from '../auth.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../httpError.js';
import { parseQuery } from '../query.js';
import { cborResponse, decodeOrReject } from '../responses.js';
import { route, type App } from '../routing.js';
import { SMALL_BODY_BYTES, verifyEntry } from './accounts.js';
import { checkEntryTime } from './entryTime.js';

export { ENTRY_MAX_SKEW_MS } from './entryTime.js';

/** Registers GET and POST /v1/accounts/:account/chain. */
export function registerChainRoutes(app: App, ctx: ServerContext): void {
  route(app, 'GET', ROUTES.chain, async (c) => {
    const url = new URL(c.req.url);
    const auth = await authenticate(ctx, c.req.raw, url, c.req.param('account'), null, { allowRemoved: true });
    const { from } = parseQuery(url, { from: { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 } });
    const { state } = auth;
    const wanted = Math.min(MAX_PAGE_LIMIT, Math.max(0, state.length - from));
    const rows = wanted === 0 ? [] : await ctx.store.readChain(auth.accountId, from, wanted);
    const body: ChainPageResponse = {
      entries: rows.map((row) => row.bytes),
      head: state.head,
      length: state.length,
      more: from + rows.length < state.length,
    };
    return cborResponse(body);
  });

  route(app, 'POST', ROUTES.chain, async (c) => {
    const url = new URL(c.req.url);
    const auth = await authenticate(ctx, c.req.raw, url, c.req.param('account'), SMALL_BODY_BYTES);
    const request = decodeOrReject(() => decodeAppendChainRequest(auth.body));
    const { state } = auth;
    if (!equalBytes(request.head, state.head)) throw new HttpError('CHAIN_CONFLICT', 'the chain head moved; re-read the chain and rebuild the entry');
    const encoded = verifyEntry(() => decodeEntry(ctx.suite, request.entry));
    checkEntryTime(encoded.entry.ts, auth.now, state.lastTs);
    const next = verifyEntry(() => applyEntry(ctx.suite, state, encoded));
    const e = encoded.entry;
    const cutOf = (device: Uint8Array) => ({ device, position: e.lp ?? 0, hash: e.lh ?? null });
    const cut = e.t === 'remove' ? cutOf(e.tgt!) : e.t === 'rotate' ? cutOf(e.by!) : undefined;
    await ctx.store.appendChain(auth.accountId, state.head, { index: e.i, hash: encoded.hash, bytes: encoded.bytes }, cut);
    ctx.chains.remember(next);
    const body: AppendChainResponse = { head: next.head, length: next.length };
    return cborResponse(body);
  });
}
