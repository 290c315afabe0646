/**
 * The server's check of a new chain entry's `ts` against its clock: the rule of
 * src/enrollment/entryTime.ts, refused as 422 `CHAIN_ENTRY_REJECTED` "CHAIN_TIME_SKEW: …".
 */
import { entryTimeProblem } from '../../enrollment/entryTime.js';
import { HttpError } from '../httpError.js';

export { ENTRY_MAX_SKEW_MS } from '../../enrollment/entryTime.js';

/**
 * Checks `ts` of a new entry against the server clock `now`; `lastTs` is the chain's last
 * timestamp, undefined for a genesis.
 * @throws {HttpError} `CHAIN_ENTRY_REJECTED` whose message starts with `CHAIN_TIME_SKEW:`.
 */
export function checkEntryTime(ts: number, now: number, lastTs: number | undefined): void {
  const problem = entryTimeProblem(ts, now, lastTs);
  if (problem !== undefined) throw new HttpError('CHAIN_ENTRY_REJECTED', `CHAIN_TIME_SKEW: ${problem} of the server`);
}
