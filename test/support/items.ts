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
