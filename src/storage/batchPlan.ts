/**
 * Plans a putEnvelopes batch before anything is written: the outcome of every item (items
 * apply in order, so a later item sees an earlier one's effect), the final version to write
 * per record, and the net change in usage for the quota check (a stored checkpoint adds to
 * it). Adapters then write the plan in one transaction, or throw without writing.
 */
import { toHex } from './bytes.js';
import type { ResolvedLimits } from './limits.js';
import type { EnvelopeInput, PutOutcome, Usage } from './store.js';
import { decidePut, type CurrentVersion } from './supersession.js';

/** A stored version as an adapter reports it; `bytes` is called only for an equal version. */
export interface StoredVersion extends CurrentVersion {
  readonly size: number;
  bytes(): Uint8Array;
}

/** A change in an account's usage. */
export interface UsageDelta {
  readonly bytesDelta: number;
  readonly countDelta: number;
}

/** What a batch will do. */
export interface BatchPlan extends UsageDelta {
  readonly outcomes: PutOutcome[];
  /** Final version per record id hex, for the records that change; insertion order = item order. */
  readonly writes: Map<string, EnvelopeInput>;
}

function pendingVersion(item: EnvelopeInput): StoredVersion {
  return { ...item, size: item.bytes.length, bytes: () => item.bytes };
}

/** Plans `items` against the stored versions that `storedVersion` looks up by record id hex. */
export function planBatch(
  items: readonly EnvelopeInput[],
  storedVersion: (recordHex: string) => StoredVersion | undefined,
): BatchPlan {
  const outcomes: PutOutcome[] = [];
  const writes = new Map<string, EnvelopeInput>();
  let bytesDelta = 0;
  let countDelta = 0;
  for (const item of items) {
    const key = toHex(item.recordId);
    const pending = writes.get(key);
    const current = pending === undefined ? storedVersion(key) : pendingVersion(pending);
    const outcome = decidePut(current, item, () => (current as StoredVersion).bytes());
    outcomes.push(outcome);
    if (outcome !== 'stored') continue;
    bytesDelta += item.bytes.length - (current?.size ?? 0);
    if (current === undefined) countDelta += 1;
    writes.set(key, item);
  }
  return { outcomes, writes, bytesDelta, countDelta };
}

/** `delta` plus a checkpoint of `checkpoint` bytes, when one is stored (not on a re-push). */
export function withCheckpoint(delta: UsageDelta, checkpoint: Uint8Array | undefined): UsageDelta {
  if (checkpoint === undefined) return { bytesDelta: delta.bytesDelta, countDelta: delta.countDelta };
  return { bytesDelta: delta.bytesDelta + checkpoint.length, countDelta: delta.countDelta + 1 };
}

/** True when applying `delta` grows usage past a limit (shrinking is always allowed). */
export function exceedsQuota(used: Usage, delta: UsageDelta, limits: ResolvedLimits): boolean {
  return (
    (delta.bytesDelta > 0 && used.bytes + delta.bytesDelta > limits.quotaBytes) ||
    (delta.countDelta > 0 && used.envelopes + delta.countDelta > limits.maxEnvelopes)
  );
}
