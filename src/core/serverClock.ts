/**
 * A device's view of the server's clock: its own clock plus the offset it learned from the
 * server's `mks-server-time` header, which the server sends on every response.
 *
 * The header is not authenticated, and an honest server's clock is only as good as its NTP, so
 * the offset is bounded: one beyond ±24 h ({@link MAX_CLOCK_OFFSET_MS}) is not adopted (the
 * device keeps the offset it had). The bound is what limits a lying server (or anyone on an
 * unprotected connection) to moving a device's sense of time by a day. Within it, the offset is
 * what every time check of the device uses: the time it signs requests with, the `ts` of the
 * chain entries it writes, the limits it holds served entries to (backdated / postdated), and
 * the expiry of pairing offers. A phone whose clock is a day off therefore still works with an
 * honest server; one whose clock is further off gets `CLOCK_OFFSET_TOO_LARGE` and should ask its
 * user to set the clock.
 */

/** The largest offset a device adopts: 24 hours. */
export const MAX_CLOCK_OFFSET_MS = 24 * 60 * 60_000;

/** True when `offset` is a number a device may adopt. */
export function isAdoptableOffset(offset: number): boolean {
  return Number.isFinite(offset) && Math.abs(offset) <= MAX_CLOCK_OFFSET_MS;
}

/** The device clock and the offset learned from the server. Share one per device. */
export class ServerClock {
  #offset = 0;

  /** @param local the device clock, ms since the epoch (`Date.now` by default). */
  constructor(readonly local: () => number = Date.now) {}

  /** Server time minus device time, as last learned; 0 until the server has answered once. */
  get offsetMs(): number {
    return this.#offset;
  }

  /** The device clock corrected by the offset: the server's time as this device sees it. */
  now(): number {
    return this.local() + this.#offset;
  }

  /**
   * Learns the offset from `serverTime`, the server's clock when it answered, received at
   * `localTime` on the device clock. Returns false, and keeps the old offset, when the offset
   * would exceed {@link MAX_CLOCK_OFFSET_MS} or `serverTime` is not a plausible time.
   */
  learn(serverTime: number, localTime: number = this.local()): boolean {
    const offset = serverTime - localTime;
    if (!Number.isSafeInteger(serverTime) || serverTime <= 0 || !isAdoptableOffset(offset)) return false;
    this.#offset = offset;
    return true;
  }
}
