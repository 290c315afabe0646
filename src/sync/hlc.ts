/**
 * The hybrid logical clock a device stamps each write with (docs/protocol.md §23.3): 8 bytes,
 * 48-bit milliseconds since 1970 ‖ 16-bit counter, big-endian, so comparing the bytes compares
 * the clocks. It rides in the encrypted record body (`h`, with `b`, the clock of the version the
 * write replaced); the server never sees it.
 *
 * A write over the version L gets `max(tick(now), L.h + 1)`: it beats what it replaced whatever
 * the wall clock says. A device's state follows its wall clock and the clocks it receives, but
 * never runs more than {@link MAX_CLOCK_AHEAD_MS} ahead of the wall clock: a clock from a device
 * set a year fast still orders its own record, and does not make every later write of this
 * device a year fast too. For the same reason the state is pulled back to that bound when the
 * wall clock itself was fixed after running fast. Costs nothing that matters: a few integer
 * operations per write and per pulled record.
 */
/** Bytes of a clock. */
export const CLOCK_BYTES = 8;
/** How far a device's clock state may run ahead of its wall clock: 24 hours. */
export const MAX_CLOCK_AHEAD_MS = 86_400_000;
/** Largest millisecond value a clock holds (2^48 − 1). */
export const MAX_CLOCK_MS = 2 ** 48 - 1;
const MAX_COUNTER = 0xffff;

/** A clock split into its two parts. */
export interface ClockParts {
  /** Milliseconds since 1970, 0..2^48 − 1. */
  readonly ms: number;
  /** 0..65535: writes within one millisecond. */
  readonly counter: number;
}

/** The 8 bytes of a clock. */
export function encodeClock(parts: ClockParts): Uint8Array {
  const out = new Uint8Array(CLOCK_BYTES);
  const view = new DataView(out.buffer);
  view.setUint16(0, Math.floor(parts.ms / 2 ** 32));
  view.setUint32(2, parts.ms % 2 ** 32);
  view.setUint16(6, parts.counter);
  return out;
}

/** The parts of an 8-byte clock (the caller checked its length). */
export function decodeClock(clock: Uint8Array): ClockParts {
  const view = new DataView(clock.buffer, clock.byteOffset, CLOCK_BYTES);
  return { ms: view.getUint16(0) * 2 ** 32 + view.getUint32(2), counter: view.getUint16(6) };
}

/** True for an 8-byte Uint8Array. */
export function isClock(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === CLOCK_BYTES;
}

/** -1, 0 or 1 as clock `a` is before, equal to or after clock `b`. */
export function compareClocks(a: Uint8Array, b: Uint8Array): -1 | 0 | 1 {
  for (let i = 0; i < CLOCK_BYTES; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

/** The clock before every clock a device writes: what versions written before clocks existed read as. */
export function zeroClock(): Uint8Array {
  return new Uint8Array(CLOCK_BYTES);
}

function after(p: ClockParts): ClockParts {
  if (p.counter < MAX_COUNTER) return { ms: p.ms, counter: p.counter + 1 };
  // The last clock there is stays the last: a write over it ties, and then wins or loses by the
  // rest of the reader order (docs/threat-model.md, "A device with a wrong clock").
  return p.ms < MAX_CLOCK_MS ? { ms: p.ms + 1, counter: 0 } : p;
}

function order(a: ClockParts, b: ClockParts): number {
  return a.ms - b.ms || a.counter - b.counter;
}

const latest = (a: ClockParts, b: ClockParts): ClockParts => (order(a, b) >= 0 ? a : b);
const earliest = (a: ClockParts, b: ClockParts): ClockParts => (order(a, b) <= 0 ? a : b);

/** Whole milliseconds within the clock's range; a clock that is not a number reads as 0 (the store refuses its times anyway). */
function wallClock(now: number): number {
  return Math.min(Math.max(Math.floor(now) || 0, 0), MAX_CLOCK_MS);
}

/** The highest state a device may hold at wall time `wall`. */
function ceiling(wall: number): ClockParts {
  return { ms: Math.min(wall + MAX_CLOCK_AHEAD_MS, MAX_CLOCK_MS), counter: MAX_COUNTER };
}

/** A device's clock state: stamps its writes, notes the clocks it receives. */
export class HybridClock {
  #state: ClockParts;

  private constructor(state: ClockParts) {
    this.#state = state;
  }

  /** The state saved by {@link HybridClock.toBytes}, or a fresh one for null (or bytes that are not a clock). */
  static fromBytes(bytes: Uint8Array | null): HybridClock {
    return new HybridClock(isClock(bytes) ? decodeClock(bytes) : { ms: 0, counter: 0 });
  }

  /** The state, to keep in the device's meta. */
  toBytes(): Uint8Array {
    return encodeClock(this.#state);
  }

  /**
   * The clock of a new write at wall time `now` over a version stamped `replaced` (null for a
   * new record): after every clock this device issued within the bound, and after `replaced`
   * (however far ahead that is).
   */
  stamp(now: number, replaced: Uint8Array | null): Uint8Array {
    const wall = wallClock(now);
    const cap = ceiling(wall);
    const held = earliest(this.#state, cap);
    const ticked = wall > held.ms ? { ms: wall, counter: 0 } : after(held);
    const clock = replaced === null ? ticked : latest(ticked, after(decodeClock(replaced)));
    this.#state = latest(ticked, earliest(clock, cap));
    return encodeClock(clock);
  }

  /**
   * Notes a clock received at wall time `now`: the state moves up to it, but not past
   * now + {@link MAX_CLOCK_AHEAD_MS}. Returns true when the state moved.
   */
  observe(clock: Uint8Array, now: number): boolean {
    const bounded = earliest(decodeClock(clock), ceiling(wallClock(now)));
    if (order(bounded, this.#state) <= 0) return false;
    this.#state = bounded;
    return true;
  }
}
