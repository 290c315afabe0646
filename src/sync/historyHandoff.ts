/**
 * History handoff, the granting side: every current record version this device holds with its
 * content key is granted to another device (one 32-byte AEAD each, src/core/grant.ts), and the
 * grants travel in sealed bundles addressed to that device alone, in the reserved `$grants`
 * collection, logged like any write. No envelope is fetched and no old pair key is needed: the
 * key comes from the local copy, so forgetting old epochs never costs a new device its history.
 * The receiving side holds the envelopes it cannot open and opens them when the grants arrive.
 */
import type { Device } from '../core/device.js';
import { makeGrant } from '../core/grant.js';
import type { SealRecipient } from '../core/seal.js';
import type { LocalStore } from './localStore.js';
import type { DirectWrite } from './outbound.js';
import { bodyToWire, GRANTS_COLLECTION } from './recordBody.js';

const DAY_MS = 86_400_000;
const PAGE = 500;
/** Grants per bundle: 500 × 117 bytes stays well inside one CBOR byte-string limit. */
export const GRANTS_PER_BUNDLE = 500;
/** Bundles matter only to a device's first sync; the server may drop them after this. */
export const GRANT_BUNDLE_DAYS = 30;

/**
 * The grant bundles that hand `to` every keyed record of `store` (those whose sort time is
 * within `sinceDays`, when given; none at all for `null`). There is always at least one bundle,
 * empty if need be: opening it tells the receiver that this hand-off happened and what it
 * covered (historyWanted.ts), so it does not ask for the history again. `recordId` draws a
 * fresh id per bundle.
 */
export async function historyBundles(
  store: LocalStore,
  grantor: Device,
  to: SealRecipient,
  now: number,
  recordId: () => Uint8Array,
  sinceDays?: number | null,
): Promise<{ writes: DirectWrite[]; grants: number }> {
  const since = sinceDays === null ? Infinity : sinceDays === undefined ? undefined : now - sinceDays * DAY_MS;
  const writes: DirectWrite[] = [];
  let grants = 0;
  let batch: Uint8Array[] = [];
  const flush = (evenEmpty = false) => {
    if (batch.length === 0 && !evenEmpty) return;
    writes.push({
      to: to.card.id,
      write: {
        collection: GRANTS_COLLECTION,
        recordId: recordId(),
        revision: 1,
        kind: 'record',
        body: bodyToWire({ collection: GRANTS_COLLECTION, sortTime: now, grants: batch }),
        retentionDays: GRANT_BUNDLE_DAYS - 1,
      },
    });
    grants += batch.length;
    batch = [];
  };
  let after: string | undefined;
  while (since !== Infinity) {
    const page = await store.listKeyed({ limit: PAGE, ...(after === undefined ? {} : { after }) });
    for (const r of page.records) {
      if (since === undefined || r.sortTime >= since) batch.push(makeGrant(grantor, to, r.recordId, r.envelopeHash, r.contentKey));
      r.contentKey.fill(0);
      if (batch.length >= GRANTS_PER_BUNDLE) flush();
    }
    if (page.next === null) break;
    after = page.next;
  }
  flush(writes.length === 0);
  return { writes, grants };
}
