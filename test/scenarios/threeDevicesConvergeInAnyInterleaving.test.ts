/**
 * Property: three devices of one account, their clocks a few ms apart, edit and delete one note
 * in any interleaving of writes, syncs (each a pull, a push and a pull) and clock ticks (zero
 * included, so clocks tie). Once every device has synced twice more, all three and a device
 * that starts from the server's copy show the same note, and its clock is the highest clock
 * written: the reader-order maximum of everything written. With a merge function too.
 *
 * Each run uses a new note on the same account and server (setting up devices is the slow part).
 * Runs: 8 by default (each is a dozen syncs over HTTP); FC_RUNS=… for a deeper run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/crypto/bytes.js';
import type { StoredEnvelope, StoredItem } from '../../src/storage/store.js';
import { compareClocks } from '../../src/sync/hlc.js';
import { startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { noteDevices, syncAll, type NoteDevice } from '../support/noteDevices.js';

const RUNS = Number(process.env.FC_RUNS ?? 8);

type Op =
  | { kind: 'put'; device: number; text: string }
  | { kind: 'delete'; device: number }
  | { kind: 'sync'; device: number }
  | { kind: 'tick'; ms: number };

const device = fc.integer({ min: 0, max: 2 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('put' as const), device, text: fc.constantFrom('a', 'b', 'c', 'd') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), device }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), device }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.constantFrom(0, 1, 20) }) },
);
const offsets = fc.tuple(fc.integer({ min: -30, max: 30 }), fc.integer({ min: -30, max: 30 }), fc.integer({ min: -30, max: 30 }));

let env: EnrollmentEnv;
beforeAll(async () => (env = await startEnrollmentServer()));
afterAll(async () => env.stop());

interface Text {
  texts: string[];
}

/** Runs `ops` on a new note; returns its id and the highest clock any device wrote for it. */
async function play(devices: NoteDevice[], ops: Op[], skew: [number, number, number]): Promise<{ id: Uint8Array; highest: Uint8Array }> {
  devices.forEach((d, i) => (d.offsetMs = skew[i]!));
  const id = await devices[0]!.notes.put({ texts: ['start'] });
  await syncAll(devices);
  let highest = (await devices[0]!.store.getRecord('notes', id))!.clock;
  for (const o of ops) {
    if (o.kind === 'tick') {
      env.clock.advance(o.ms);
      continue;
    }
    const d = devices[o.device]!;
    if (o.kind === 'sync') {
      await d.replica.sync();
      continue;
    }
    if (o.kind === 'put') await d.notes.put({ texts: [o.text] }, id);
    else if (!(await d.notes.delete(id))) continue;
    const written = (await d.store.getRecord('notes', id))!.clock;
    if (compareClocks(written, highest) > 0) highest = written;
  }
  await syncAll(devices, 2);
  return { id, highest };
}

/** The server's copy of record `id`: the revision and sender of the one envelope it keeps. */
async function serverCopy(accountId: Uint8Array, id: Uint8Array): Promise<{ revision: number; sender: Uint8Array }> {
  const items: StoredItem[] = [];
  for (let cursor = 0, more = true; more; ) {
    const page = await env.store.pullEnvelopes(accountId, cursor, 10_000);
    items.push(...page.items);
    ({ cursor, more } = page);
  }
  const copies = items.filter((item): item is StoredEnvelope => item.kind !== 'log' && equalBytes(item.recordId, id));
  expect(copies).toHaveLength(1);
  return { revision: copies[0]!.revision, sender: copies[0]!.sender };
}

/** Every device holds one version of `id`, the server's copy, and has nothing left to push. */
async function expectConverged(devices: NoteDevice[], id: Uint8Array): Promise<{ value: unknown; clock: Uint8Array; deleted: boolean }> {
  const views = await Promise.all(devices.map(async (d) => {
    const r = (await d.store.getRecord('notes', id))!;
    return { value: r.value, clock: r.clock, deleted: r.deleted, revision: r.revision, sender: r.sender };
  }));
  for (const v of views.slice(1)) expect(v).toEqual(views[0]);
  expect(await serverCopy(devices[0]!.account.accountId, id)).toEqual({ revision: views[0]!.revision, sender: views[0]!.sender });
  for (const d of devices) expect(await d.replica.pending()).toBe(0);
  return views[0]!;
}

describe('three devices converge in any interleaving', () => {
  let plain: NoteDevice[];
  let merging: NoteDevice[];
  beforeAll(async () => {
    plain = await noteDevices(env, 3);
    const union = (older: unknown, newer: unknown): Text => ({ texts: [...new Set([...(older as Text).texts, ...(newer as Text).texts])].sort() });
    merging = await noteDevices(env, 3, { merge: union });
  });

  it('ends with one version everywhere, the one with the highest clock written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), offsets, async (ops, skew) => {
        const { id, highest } = await play(plain, ops, skew);
        const final = await expectConverged(plain, id);
        expect(final.clock).toEqual(highest);
      }),
      { numRuns: RUNS },
    );
  });

  it('with a merge function: one value everywhere, never older than the highest clock written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), offsets, async (ops, skew) => {
        const { id, highest } = await play(merging, ops, skew);
        const final = await expectConverged(merging, id);
        expect(compareClocks(final.clock, highest)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS },
    );
  });
});
