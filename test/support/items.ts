/** Reading pulled items in tests: which are checkpoints, which envelope carries which record. */
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { isCheckpoint } from '../../src/core/logCheckpoint.js';
import { equalBytes } from '../../src/crypto/bytes.js';

/** True for an envelope (not a checkpoint) that carries record `recordId`. */
export function carries(item: Uint8Array, recordId: Uint8Array): boolean {
  return !isCheckpoint(item) && equalBytes(parseEnvelope(item).recordId, recordId);
}

/** The envelopes among `items`. */
export function envelopesOf(items: readonly Uint8Array[]): Uint8Array[] {
  return items.filter((i) => !isCheckpoint(i));
}

/** The envelope rows the server stores for `recordIds` (every envelope row when none are named). */
export async function storedEnvelopes(
  store: { pullEnvelopes(account: Uint8Array, after: number, limit: number): Promise<{ items: { kind: string; bytes: Uint8Array }[] }> },
  accountId: Uint8Array,
  recordIds?: readonly Uint8Array[],
): Promise<{ kind: string; bytes: Uint8Array }[]> {
  const page = await store.pullEnvelopes(accountId, 0, 10_000);
  return page.items.filter((i) => i.kind !== 'log' && (recordIds === undefined || recordIds.some((id) => carries(i.bytes, id))));
}
