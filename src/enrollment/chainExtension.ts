/**
 * Checking what a server offers as the continuation of a chain this device already verified.
 * Pure: given the verified state and the server's page, it returns the entries to apply with
 * their new states and events, or throws the fork alarm that the page deserves. Nothing is
 * applied unless the whole page passes.
 */
import { CryptoError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decodeEntry, type EncodedEntry } from './chainEntry.js';
import { chainEventOf, type ChainEvent } from './chainEvent.js';
import { applyEntry, type ChainState } from './chainState.js';
import { ForkAlarm } from './forkAlarm.js';
import type { ChainPage } from './transport.js';

/** One verified entry, the state after it, and its event. */
export interface AppliedEntry {
  encoded: EncodedEntry;
  state: ChainState;
  event: ChainEvent;
}

/** What the check needs to know about the device and its verified chain. */
export interface ExtensionContext {
  suite: CryptoProvider;
  /** The verified state the page must extend. */
  state: ChainState;
  /** The device holding the chain (for `self` in events). */
  self: Uint8Array;
  /** When the server last confirmed `state.head`, on this device's server-corrected clock (deviceTime.ts). */
  verifiedAt: number;
  /** This device's server-corrected clock now. */
  now: number;
  /** How far timestamps may stray (see DEFAULT_TIMESTAMP_TOLERANCE_MS). */
  toleranceMs: number;
}

/**
 * Verifies `page`, the server's answer to "entries from `ctx.state.length` on".
 * @throws {ForkAlarm} `FORK_ALARM` with reason `rollback`, `diverged`, `invalid-entry`,
 *   `backdated` or `postdated`.
 */
export function verifyExtension(ctx: ExtensionContext, page: ChainPage): AppliedEntry[] {
  const have = ctx.state.length;
  if (!Number.isSafeInteger(page.length) || page.length < have) {
    throw new ForkAlarm('rollback', `the server shows a chain of ${page.length} entries; this device verified ${have}`);
  }
  if (page.entries.length !== page.length - have) throw new ForkAlarm('diverged', 'the server sent a chain page that contradicts its length');
  const applied: AppliedEntry[] = [];
  let state = ctx.state;
  for (const bytes of page.entries) {
    let encoded: EncodedEntry;
    try {
      encoded = decodeEntry(ctx.suite, bytes);
    } catch (cause) {
      throw new ForkAlarm('invalid-entry', 'the server sent a chain entry that does not decode', { cause });
    }
    const e = encoded.entry;
    if (e.i !== state.length || e.prev === undefined || !equalBytes(e.prev, state.head)) {
      throw new ForkAlarm('diverged', `the server's entry ${e.i} does not extend the chain this device verified`);
    }
    // The previous refresh, at verifiedAt, did not show this entry; the server takes entries
    // only within minutes of its clock: so an honest entry cannot be much older than that.
    if (e.ts < ctx.verifiedAt - ctx.toleranceMs) {
      throw new ForkAlarm('backdated', `entry ${e.i} is dated before this device's previous refresh, which did not show it`);
    }
    // An entry dated exactly as the one before it adds no new time, however far ahead that is:
    // that is how an account whose last entry lies in the future keeps changing its devices.
    if (e.ts > ctx.now + ctx.toleranceMs && e.ts > state.lastTs) throw new ForkAlarm('postdated', `entry ${e.i} is dated in the future`);
    let next: ChainState;
    try {
      next = applyEntry(ctx.suite, state, encoded);
    } catch (cause) {
      const code = cause instanceof CryptoError ? cause.code : 'unknown';
      throw new ForkAlarm('invalid-entry', `the server sent an entry the chain rules refuse (${code})`, { cause });
    }
    applied.push({ encoded, state: next, event: chainEventOf(ctx.suite, state, next, encoded, ctx.self) });
    state = next;
  }
  if (!equalBytes(state.head, page.head)) throw new ForkAlarm('diverged', 'the head the server states is not the end of the chain it sent');
  return applied;
}
