/**
 * A shopping list whose collection merges concurrent edits as a set union. Two devices add
 * different items while apart: after syncing, both show both items, and stay there (the two
 * devices merge the same pair to the same value, so neither writes again after that). An item
 * removed by an edit that saw the other stays removed: only concurrent edits are merged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { noteDevice, noteDevices, syncAll } from '../support/noteDevices.js';

interface List {
  items: string[];
}

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

const calls: [List, List][] = [];
/** Deterministic: the sorted union of both lists. */
const union = (older: List, newer: List): List => {
  calls.push([older, newer]);
  return { items: [...new Set([...older.items, ...newer.items])].sort() };
};

describe('a merge hook combines concurrent edits', () => {
  it('two devices add different items while apart and both end with both, without merging again', async () => {
    const [low, high] = await noteDevices(env, 2, { merge: union as (a: unknown, b: unknown) => unknown });
    const id = await low!.notes.put({ items: ['bread'] });
    await syncAll([low!, high!]);
    calls.length = 0;

    await high!.notes.put({ items: ['bread', 'milk'] }, id);
    env.clock.advance(20);
    await low!.notes.put({ items: ['bread', 'eggs'] }, id);
    await syncAll([high!, low!, high!]);

    const merged = { items: ['bread', 'eggs', 'milk'] };
    for (const d of [low!, high!]) expect(await d.notes.get(id)).toEqual(merged);
    // older and newer in the reader order: the earlier edit first.
    expect(calls[0]).toEqual([{ items: ['bread', 'milk'] }, { items: ['bread', 'eggs'] }]);
    expect(calls.every(([o, n]) => JSON.stringify([o, n]) === JSON.stringify(calls[0]))).toBe(true);

    // Settled: more rounds write nothing and change nothing.
    const made = calls.length;
    await syncAll([low!, high!], 2);
    expect(calls.length).toBe(made);
    for (const d of [low!, high!]) {
      expect(await d.replica.pending()).toBe(0);
      expect(await d.notes.get(id)).toEqual(merged);
    }
    const fresh = await noteDevice(env, low!.account);
    await fresh.replica.sync();
    expect(await fresh.notes.get(id)).toEqual(merged);
  });

  it('a merge that keeps the newer value writes nothing', async () => {
    const [low, high] = await noteDevices(env, 2, { merge: (_older, newer) => ({ ...(newer as List) }) });
    const id = await low!.notes.put({ items: ['bread'] });
    await syncAll([low!, high!]);
    const local: unknown[] = [];
    for (const d of [low!, high!]) d.replica.on('change', (e) => e.origin === 'local' && local.push(e.value));

    await high!.notes.put({ items: ['milk'] }, id);
    env.clock.advance(20);
    await low!.notes.put({ items: ['eggs'] }, id);
    await syncAll([high!, low!, high!]);

    expect(low!.conflicts).toHaveLength(1);
    expect(local).toEqual([{ items: ['milk'] }, { items: ['eggs'] }]);
    for (const d of [low!, high!]) expect(await d.notes.get(id)).toEqual({ items: ['eggs'] });
  });

  it('an edit that saw the other is not merged: a removed item stays removed', async () => {
    const [low, high] = await noteDevices(env, 2, { merge: union as (a: unknown, b: unknown) => unknown });
    const id = await low!.notes.put({ items: ['bread', 'milk'] });
    await syncAll([low!, high!]);
    calls.length = 0;

    await high!.notes.put({ items: ['milk'] }, id);
    await syncAll([high!, low!]);
    expect(calls).toEqual([]);
    for (const d of [low!, high!]) expect(await d.notes.get(id)).toEqual({ items: ['milk'] });
  });

  it('a delete is never merged: the later clock decides, and a merge function that throws is reported, not retried forever', async () => {
    const broken = (): never => {
      throw new Error('cannot merge');
    };
    const [low, high] = await noteDevices(env, 2, { merge: broken });
    const id = await low!.notes.put({ items: ['a'] });
    const other = await low!.notes.put({ items: ['b'] });
    await syncAll([low!, high!]);

    expect(await high!.notes.delete(id)).toBe(true);
    await high!.notes.put({ items: ['b', 'c'] }, other);
    env.clock.advance(20);
    await low!.notes.put({ items: ['a', 'z'] }, id);
    await low!.notes.put({ items: ['b', 'd'] }, other);
    await syncAll([high!, low!, high!]);

    for (const d of [low!, high!]) {
      expect(await d.notes.get(id)).toEqual({ items: ['a', 'z'] });
      expect(await d.notes.get(other)).toEqual({ items: ['b', 'd'] });
    }
    // Each device saw both conflicts, and called the merge function once: for the two edits, not the delete.
    for (const d of [low!, high!]) {
      expect(d.conflicts.map((c) => c.id)).toEqual(expect.arrayContaining([id, other]));
      expect(d.rejected.map((r) => [r.code, r.recordId])).toEqual([['MERGE_FAILED', other]]);
      expect(d.rejected[0]!.message).toContain('cannot merge');
    }
  });
});
