/**
 * The fork alarm: the server showed this device a chain that cannot be the account's real one.
 * After it, the device's `DeviceChain` refuses to refresh or append until the app calls
 * `acknowledgeFork()`: the server is not trusted again until the app (or the person) decides.
 */
import { CryptoError, type ErrorOptions } from '../errors.js';

/**
 * Why the alarm was raised.
 * - `rollback`: the server's chain is shorter than one this device already verified.
 * - `diverged`: the server's chain does not extend the verified one (another entry at an index
 *   this device already holds, or a page that contradicts itself).
 * - `unknown-head`: a chain head met in an envelope is neither in the verified chain nor in it
 *   after a refresh: the writer saw a chain this server does not show us.
 * - `invalid-entry`: the server served an entry that fails the chain rules (a ghost device, a
 *   forged signature); `cause` holds the rule's `CHAIN_*` error.
 * - `backdated`: a new entry claims a time before this device's previous refresh, which did not
 *   include it: the server hid it, or accepted a backdated entry (the shortcut through the
 *   recovery delay).
 * - `postdated`: a new entry claims a time well after this device's clock (the other shortcut
 *   through the recovery delay: a pending device signing "from the future").
 */
export type ForkAlarmReason = 'rollback' | 'diverged' | 'unknown-head' | 'invalid-entry' | 'backdated' | 'postdated';

/** Raised with code `FORK_ALARM`; `reason` says which inconsistency was seen. */
export class ForkAlarm extends CryptoError {
  readonly reason: ForkAlarmReason;

  constructor(reason: ForkAlarmReason, message: string, options?: ErrorOptions) {
    super('FORK_ALARM', message, options);
    this.reason = reason;
  }
}
