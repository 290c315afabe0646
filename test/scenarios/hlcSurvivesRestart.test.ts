/**
 * A device writes, the app quits, and the device's wall clock is set back an hour (a clock
 * correction) before the app starts again from its replica file. The clock state kept in the
 * store's meta survives: the first write after the restart, even of a new record, is stamped
 * after every clock the device issued before, so a later write never sorts before an earlier
 * one. Shown for the SQLite file and for IndexedDB (fake-indexeddb in Node).
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareClocks, decodeClock } from '../../src/sync/hlc.js';
import { IndexedDbLocalStore } from '../../src/sync/indexedDbLocalStore.js';
import type { LocalStore } from '../../src/sync/localStore.js';
import { SqliteLocalStore } from '../../src/sync/sqliteLocalStore.js';
import { startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { noteDevice, noteDevices } from '../support/noteDevices.js';

const HOUR_MS = 3_600_000;

let env: EnrollmentEnv;
let dir: string;
beforeEach(async () => {
  env = await startEnrollmentServer();
  dir = mkdtempSync(join(tmpdir(), 'mks-hlc-'));
});
afterEach(async () => {
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
});

const STORES: [string, (name: string) => Promise<LocalStore>][] = [
  ['a SQLite file', (name) => SqliteLocalStore.open(join(dir, `${name}.sqlite`))],
  ['IndexedDB', (name) => IndexedDbLocalStore.open(`mks-hlc-${name}`)],
];

describe.each(STORES)('the clock state survives a restart (%s)', (_kind, open) => {
  it('stamps the first write after a restart after every earlier one, though the wall clock went back an hour', async () => {
    const [, other] = await noteDevices(env, 2);
    const name = `restart-${Date.now()}`;
    const before = await noteDevice(env, other!.account, { store: await open(name) });
    const id = await before.notes.put({ text: 'one' });
    // Three writes in one millisecond: the counter tells them apart.
    await before.notes.put({ text: 'two' }, id);
    await before.notes.put({ text: 'three' }, id);
    const last = (await before.store.getRecord('notes', id))!.clock;
    expect(decodeClock(last)).toEqual({ ms: env.clock.now(), counter: 2 });
    await before.replica.sync();
    await before.replica.close();

    const after = await noteDevice(env, other!.account, { store: await open(name), offsetMs: -HOUR_MS });
    const fresh = await after.notes.put({ text: 'after the restart' });
    const stamped = (await after.store.getRecord('notes', fresh))!.clock;
    expect(compareClocks(stamped, last)).toBe(1);
    expect(decodeClock(stamped)).toEqual({ ms: env.clock.now(), counter: 3 });
    await after.replica.close();
  });
});
