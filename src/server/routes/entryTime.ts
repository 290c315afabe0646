/**
 * The server's rule for a chain entry's `ts` (docs/protocol.md §18.4, "time"). Replay checks
 * only that `ts` never decreases; the server, which has a clock, also bounds it:
 *
 * - a genesis: `|ts − now| ≤ 10 min`;
 * - any later entry: `now − 10 min ≤ ts ≤ max(now + 10 min, lastTs)`.
 *
 * The lower bound keeps a recovery add from being backdated past part of its delay. The upper
 * bound's second term keeps an account whose last entry lies in the future (made while some
 * clock ran fast) able to change its device list: its writers date entries `max(now, lastTs)`,
 * which is `lastTs` exactly, adding no new future time.
 */
import { HttpError } from '../httpError.js';

/** Largest distance between a new entry's timestamp and the server clock. */
export const ENTRY_MAX_SKEW_MS = 10 * 60_000;

/**
 * Checks `ts` of a new entry against the server clock `now`; `lastTs` is the chain's last
 * timestamp, undefined for a genesis.
 * @throws {HttpError} `CHAIN_ENTRY_REJECTED` whose message starts with `CHAIN_TIME_SKEW:`.
 */
export function checkEntryTime(ts: number, now: number, lastTs: number | undefined): void {
  const latest = Math.max(now + ENTRY_MAX_SKEW_MS, lastTs ?? -Infinity);
  if (ts < now - ENTRY_MAX_SKEW_MS || ts > latest) {
    const what = lastTs === undefined ? 'the genesis timestamp' : 'the entry timestamp';
    throw new HttpError('CHAIN_ENTRY_REJECTED', `CHAIN_TIME_SKEW: ${what} is more than 10 minutes from the server clock`);
  }
}
