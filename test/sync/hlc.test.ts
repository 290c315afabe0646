/**
 * The hybrid logical clock (hlc.ts) and what the replica decides with it (reconcile.ts): stamps
 * that always move forward and always beat the version replaced, received clocks bounded to a day
 * ahead, and which pairs of versions are conflicts.
 */
import { describe, expect, it } from 'vitest';
import { compareClocks, decodeClock, encodeClock, HybridClock, MAX_CLOCK_AHEAD_MS, MAX_CLOCK_MS } from '../../src/sync/hlc.js';
import { isConflict, reconcilePage, sameValue } from '../../src/sync/reconcile.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { clockAt, DEVICE, id16, outboxFor, record } from './fixtures.js';

const T = 1_800_000_000_000;
const at = (ms: number, counter = 0) => encodeClock({ ms, counter });

describe('clock bytes', () => {
  it('encodes 48-bit ms and a 16-bit counter big-endian, so bytes compare as clocks', () => {
    expect([...at(0x0102_0304_0506, 0x0708)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(decodeClock(at(MAX_CLOCK_MS, 0xffff))).toEqual({ ms: MAX_CLOCK_MS, counter: 0xffff });
    expect(compareClocks(at(T, 0xffff), at(T + 1, 0))).toBe(-1);
    expect(compareClocks(at(2 ** 32, 0), at(2 ** 32 - 1, 0xffff))).toBe(1);
    expect(compareClocks(at(T, 5), at(T, 5))).toBe(0);
  });
});

describe('HybridClock', () => {
  it('stamps the wall clock, then counts within a millisecond, then moves on', () => {
    const clock = HybridClock.fromBytes(null);
    expect(decodeClock(clock.stamp(T, null))).toEqual({ ms: T, counter: 0 });
    expect(decodeClock(clock.stamp(T, null))).toEqual({ ms: T, counter: 1 });
    expect(decodeClock(clock.stamp(T - 5_000, null))).toEqual({ ms: T, counter: 2 }); // the wall clock went back
    expect(decodeClock(clock.stamp(T + 1, null))).toEqual({ ms: T + 1, counter: 0 });
  });

  it('after counter 65535 moves to the next millisecond', () => {
    const clock = HybridClock.fromBytes(at(T, 0xffff));
    expect(decodeClock(clock.stamp(T, null))).toEqual({ ms: T + 1, counter: 0 });
  });

  it('stamps a write after the version it replaces, however far ahead that one is', () => {
    const clock = HybridClock.fromBytes(null);
    const far = at(T + 365 * 86_400_000, 9);
    expect(decodeClock(clock.stamp(T, far))).toEqual({ ms: T + 365 * 86_400_000, counter: 10 });
    // ... without taking the far clock on for other writes: they stay one tick past the day's bound.
    expect(decodeClock(clock.stamp(T, null))).toEqual({ ms: T + MAX_CLOCK_AHEAD_MS + 1, counter: 0 });
    expect(decodeClock(clock.stamp(T, at(T - 10)))).toEqual({ ms: T + MAX_CLOCK_AHEAD_MS + 1, counter: 0 });
  });

  it('moves to a received clock only up to now + 24 h, and says whether it moved', () => {
    const clock = HybridClock.fromBytes(null);
    expect(clock.observe(at(T + 10, 4), T)).toBe(true);
    expect(decodeClock(clock.stamp(T, null))).toEqual({ ms: T + 10, counter: 5 });
    expect(clock.observe(at(T, 0), T)).toBe(false);
    expect(clock.observe(at(T + 3 * 86_400_000), T)).toBe(true);
    expect(decodeClock(clock.toBytes())).toEqual({ ms: T + MAX_CLOCK_AHEAD_MS, counter: 0xffff });
    expect(clock.observe(at(T + 3 * 86_400_000), T)).toBe(false);
  });

  it('round-trips its state, and starts fresh from bytes that are not a clock', () => {
    const clock = HybridClock.fromBytes(null);
    clock.stamp(T, null);
    clock.stamp(T, null);
    expect(decodeClock(HybridClock.fromBytes(clock.toBytes()).stamp(T - 1, null))).toEqual({ ms: T, counter: 2 });
    expect(decodeClock(HybridClock.fromBytes(new Uint8Array(3)).stamp(T, null))).toEqual({ ms: T, counter: 0 });
  });

  it('stays within 48 bits at the end of time', () => {
    const clock = HybridClock.fromBytes(null);
    const last = at(MAX_CLOCK_MS, 0xffff);
    expect(clock.stamp(MAX_CLOCK_MS, last)).toEqual(last);
    expect(decodeClock(clock.stamp(Number.MAX_SAFE_INTEGER, null)).ms).toBe(MAX_CLOCK_MS);
  });
});

describe('conflicts', () => {
  const base = record({ revision: 1, clock: clockAt(1) });
  const mine = record({ revision: 2, sender: DEVICE[0]!, value: 'mine', clock: clockAt(5), base: clockAt(1) });
  const theirs = record({ revision: 2, sender: DEVICE[1]!, value: 'theirs', clock: clockAt(6), base: clockAt(1) });

  it('are two versions neither writer had seen, with different values', () => {
    expect(isConflict(mine, theirs)).toBe(true);
    expect(isConflict(theirs, mine)).toBe(true);
    expect(isConflict(mine, { ...theirs, base: mine.clock })).toBe(false); // theirs was written over mine
    expect(isConflict(base, mine)).toBe(false);
    expect(isConflict(mine, { ...theirs, value: 'mine' })).toBe(false); // the same value
    expect(isConflict(mine, { ...mine, revision: 3, sender: DEVICE[2]! })).toBe(false); // a copy: same clock
    expect(isConflict({ ...mine, deleted: true, value: null }, { ...theirs, deleted: true, value: null })).toBe(false);
    expect(isConflict(mine, { ...theirs, deleted: true, value: null })).toBe(true);
    expect(isConflict({ ...mine, base: null }, { ...theirs, base: null })).toBe(true); // two creations of one id
  });

  it('compare values as canonical CBOR: key order does not matter, types do', () => {
    const v = (value: unknown) => record({ value });
    expect(sameValue(v({ a: 1, b: [1, 2] }), v({ b: [1, 2], a: 1 }))).toBe(true);
    expect(sameValue(v({ a: 1 }), v({ a: '1' }))).toBe(false);
    expect(sameValue(v(new Uint8Array([1])), v([1]))).toBe(false);
  });

  it('are found in a pulled page against the stored winner, and so are re-publishes', async () => {
    const store = new MemoryLocalStore();
    await store.applyLocal(record({ ...theirs, recordId: id16(1) }), outboxFor(theirs));
    // A version higher in the server's order (DEVICE[2] > DEVICE[1]) but earlier in clock.
    const higher = record({ ...mine, recordId: id16(1), sender: DEVICE[2]! });
    const plan = await reconcilePage(store, [higher, { ...higher, recordId: id16(2) }]);
    expect(plan.conflicts.map((c) => [c.winner === c.local, c.remote.sender])).toEqual([[true, DEVICE[2]]]);
    expect(plan.republish.map((r) => [r.id, r.above.sender])).toEqual([[id16(1), DEVICE[2]]]);
  });
});
