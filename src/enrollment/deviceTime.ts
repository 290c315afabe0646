/**
 * The time enrollment checks against: the device clock corrected by the offset its transport
 * learned from the server (`HttpClient.clockOffsetMs`, bounded to ±24 h in core/serverClock.ts).
 * Chain entries are dated with it, served entries are held to it (backdated / postdated), and
 * pairing offers expire by it, so a device whose clock is wrong still agrees with an honest
 * server, and no server can move the device's time by more than the bound. A transport that
 * reports no offset (or one beyond the bound) leaves the device clock as it is.
 */
import { isAdoptableOffset } from '../core/serverClock.js';

/** What enrollment reads from a transport about time. */
export interface TimedTransport {
  /** Server time minus device time, as the transport last learned it. */
  readonly clockOffsetMs?: number;
}

/** The offset `transport` reports, or 0 when it reports none it may adopt. */
export function offsetOf(transport: TimedTransport): number {
  const offset = transport.clockOffsetMs;
  return typeof offset === 'number' && isAdoptableOffset(offset) ? offset : 0;
}

/** The device clock `clock` (Date.now by default) corrected by `transport`'s offset, read at each call. */
export function deviceTime(clock: (() => number) | undefined, transport: TimedTransport): () => number {
  const local = clock ?? Date.now;
  return () => local() + offsetOf(transport);
}
