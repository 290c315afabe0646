/**
 * GET /v1/accounts/:account/wait?after=C&timeout=MS&limit=N — a long-poll pull. It watches the
 * account first and pulls second, so an envelope committed in between is never missed; then it
 * answers as soon as a page is non-empty, the timeout (at most 30 s) passes, the client goes
 * away, or the server shuts down. On PostgreSQL the watch is LISTEN/NOTIFY, so a push through
 * another server process wakes it. The watch is always released.
 */
import { MAX_PAGE_LIMIT, MAX_WAIT_MS, ROUTES } from '../../http/routes.js';
import { toHex } from '../../crypto/bytes.js';
import { route, type App } from '../routing.js';
import { authenticate, rateLimited } from '../auth.js';
import type { ServerContext } from '../context.js';
import { readPage } from '../pages.js';
import { parseQuery } from '../query.js';
import { cborResponse } from '../responses.js';
import { DEFAULT_PAGE_LIMIT } from './envelopes.js';

/** Registers GET /v1/accounts/:account/wait. */
export function registerWaitRoutes(app: App, ctx: ServerContext): void {
  route(app, 'GET', ROUTES.wait, async (c) => {
    const url = new URL(c.req.url);
    const auth = await authenticate(ctx, c.req.raw, url, c.req.param('account'), null);
    const q = parseQuery(url, {
      after: { min: 0, max: Number.MAX_SAFE_INTEGER },
      timeout: { min: 0, max: Number.MAX_SAFE_INTEGER, default: MAX_WAIT_MS },
      limit: { min: 1, max: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT },
    });
    const timeout = Math.min(q.timeout, MAX_WAIT_MS);
    const account = toHex(auth.accountId);
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    if (!ctx.waits.enter(account, wake)) throw rateLimited(1000);
    const signal = c.req.raw.signal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unwatch: (() => Promise<void>) | undefined;
    try {
      unwatch = await ctx.store.watch(auth.accountId, (cursor) => {
        if (cursor > q.after) wake();
      });
      const first = await readPage(ctx, auth.accountId, q.after, q.limit);
      if (first.items.length > 0 || timeout === 0 || ctx.waits.closing || signal.aborted) return cborResponse(first);
      timer = setTimeout(wake, timeout);
      signal.addEventListener('abort', wake, { once: true });
      await woken;
      if (signal.aborted) return cborResponse(first); // nobody is listening; skip the read
      return cborResponse(await readPage(ctx, auth.accountId, q.after, q.limit));
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      ctx.waits.leave(account, wake);
      await unwatch?.().catch(() => undefined);
    }
  });
}
