/** One page of envelopes for pull and wait, cut to the response byte budget. */
import type { PullResponse } from '../http/messages.js';
import type { ServerContext } from './context.js';

/**
 * Up to `limit` envelopes after `after`, stopping early once `maxPageBytes` would be passed
 * (a page always holds at least one envelope, so a large one still gets through).
 * @throws {StorageError} `ACCOUNT_NOT_FOUND`, `STORE_*`.
 */
export async function readPage(ctx: ServerContext, accountId: Uint8Array, after: number, limit: number): Promise<PullResponse> {
  const page = await ctx.store.pullEnvelopes(accountId, after, limit);
  const envelopes: Uint8Array[] = [];
  let bytes = 0;
  let cursor = after;
  for (const item of page.items) {
    // Interim, until the lead's v2 pull route sends checkpoints too: the server stores none
    // yet (it passes no log); should one appear, the cursor still moves past it.
    if (item.kind === 'log') {
      cursor = item.cursor;
      continue;
    }
    if (envelopes.length > 0 && bytes + item.bytes.length > ctx.limits.maxPageBytes) {
      return { envelopes, cursor, more: true };
    }
    envelopes.push(item.bytes);
    bytes += item.bytes.length;
    cursor = item.cursor;
  }
  return { envelopes, cursor, more: page.more };
}
