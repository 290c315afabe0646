/**
 * The rule for a new chain entry's `ts` against a clock (docs/protocol.md §18.4, "Time"). Replay
 * checks only that `ts` never decreases; whoever appends also bounds it by a clock: the server
 * by its own (422 `CHAIN_ENTRY_REJECTED` "CHAIN_TIME_SKEW"), a device by its server-corrected
 * clock before it sends (`CHAIN_TIME_SKEW`):
 *
 * - a genesis: `|ts − now| ≤ 10 min`;
 * - any later entry: `now − 10 min ≤ ts ≤ max(now + 10 min, lastTs)`.
 *
 * The lower bound keeps a recovery add from being backdated past part of its delay. The upper
 * bound refuses an entry far ahead of the clock, which would hold every later entry of the
 * account that far ahead (`ts ≥ lastTs`); its second term keeps an account whose last entry
 * already lies in the future (made while some clock ran fast) able to change its device list:
 * writers date entries `max(now, lastTs)`, which is `lastTs` exactly, adding no new future time.
 */

/** Largest distance between a new entry's timestamp and the appender's clock. */
export const ENTRY_MAX_SKEW_MS = 10 * 60_000;

/**
 * Whether `ts` may be appended at `now` after an entry dated `lastTs` (undefined for a genesis):
 * undefined when it may, else why not.
 */
export function entryTimeProblem(ts: number, now: number, lastTs: number | undefined): string | undefined {
  if (ts < now - ENTRY_MAX_SKEW_MS) return 'the entry is dated more than 10 minutes before the clock';
  if (ts > Math.max(now + ENTRY_MAX_SKEW_MS, lastTs ?? -Infinity)) {
    return lastTs === undefined
      ? 'the genesis is dated more than 10 minutes after the clock'
      : 'the entry is dated more than 10 minutes after the clock and after the entry before it';
  }
  return undefined;
}
