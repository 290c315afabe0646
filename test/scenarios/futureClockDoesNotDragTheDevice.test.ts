/**
 * A device whose clock runs three days fast writes a note. Its clock still orders its own
 * record (an edit over it from a correct device gets a clock after it, and wins everywhere), but
 * a correct device that receives it does not take on the fast clock: its own new writes stay
 * within a day of its wall clock (MAX_CLOCK_AHEAD_MS), and a week later they follow the wall
 * clock again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareClocks, decodeClock, MAX_CLOCK_AHEAD_MS } from '../../src/sync/hlc.js';
import { startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { noteDevices, syncAll } from '../support/noteDevices.js';

const DAY_MS = 86_400_000;

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('a future clock does not drag the device', () => {
  it('bounds what a received clock does to the device, and still orders the fast record', async () => {
    const [first, second] = await noteDevices(env, 2);
    const fast = first!;
    const correct = second!;
    fast.offsetMs = 3 * DAY_MS;

    const note = await fast.notes.put({ text: 'written by a fast clock' });
    await syncAll([fast, correct]);
    const fastClock = (await correct.store.getRecord('notes', note))!.clock;
    expect(decodeClock(fastClock).ms).toBe(env.clock.now() + 3 * DAY_MS);

    // A new note of the correct device: at most a day (and one tick) ahead of its wall clock.
    env.clock.advance(1000);
    const mine = await correct.notes.put({ text: 'mine' });
    const mineMs = decodeClock((await correct.store.getRecord('notes', mine))!.clock).ms;
    expect(mineMs).toBeGreaterThan(env.clock.now());
    expect(mineMs).toBeLessThanOrEqual(env.clock.now() + MAX_CLOCK_AHEAD_MS + 1);
    expect(mineMs).toBeLessThan(decodeClock(fastClock).ms - DAY_MS);

    // An edit over the fast note still beats it, on both devices.
    await correct.notes.put({ text: 'corrected' }, note);
    const edit = (await correct.store.getRecord('notes', note))!;
    expect(compareClocks(edit.clock, fastClock)).toBe(1);
    await syncAll([correct, fast]);
    expect(await fast.notes.get(note)).toEqual({ text: 'corrected' });
    expect(fast.conflicts).toEqual([]);

    // A week later (the fast clock long passed), new writes follow the wall clock again.
    env.clock.advance(7 * DAY_MS);
    const later = await correct.notes.put({ text: 'a week later' });
    expect(decodeClock((await correct.store.getRecord('notes', later))!.clock)).toEqual({ ms: env.clock.now(), counter: 0 });
  });
});
