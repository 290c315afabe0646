/** One page of envelopes and log checkpoints for pull and wait, cut to the response byte budget. */
import type { PullResponse } from '../http/messages.js';
import type { ServerContext } from './context.js';

/**
 * Up to `limit` items after `after`, stopping early once `maxPageBytes` would be passed (a page
 * always holds at least one item, so a large one still gets through).
 * @throws {StorageError} `ACCOUNT_NOT_FOUND`, `STORE_*`.
 */
export async function readPage(ctx: ServerContext, accountId: Uint8Array, after: number, limit: number): Promise<PullResponse> {
  const page = await ctx.store.pullEnvelopes(accountId, after, limit);
  const items: Uint8Array[] = [];
  let bytes = 0;
  let cursor = after;
  for (const e of page.items) {
    if (items.length > 0 && bytes + e.bytes.length > ctx.limits.maxPageBytes) {
      return { items, cursor, more: true };
    }
    items.push(e.bytes);
    bytes += e.bytes.length;
    cursor = e.cursor;
  }
  return { items, cursor, more: page.more };
}
