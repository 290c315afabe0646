import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/core/callRecord.js';
import { SqliteLocalStore } from '../../src/sync/sqliteLocalStore.js';
import { accountWith, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice, type SyncedDevice } from '../support/syncHarness.js';

const DAY = 86_400_000;
let env: EnrollmentEnv;
let dir: string;
beforeEach(async () => {
  env = await startEnrollmentServer();
  dir = mkdtempSync(join(tmpdir(), 'mks-nofalse-'));
});
afterEach(async () => {
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('no false alarms', () => {
  it('noFalseWithholdingAfterRestartAndSupersession: concurrent edits, a restart with writes queued, expiry, a purge and a late device raise no alarm', async () => {
    const { devices } = await accountWith(env, 3);
    const file = join(dir, 'phone.sqlite');
    let phone = await syncedDevice(devices[0]!, env.clock.now, await SqliteLocalStore.open(file));
    const laptop = await syncedDevice(devices[1]!, env.clock.now);
    const tablet = await syncedDevice(devices[2]!, env.clock.now);
    const all = (): SyncedDevice[] => [phone, laptop, tablet];
    for (const d of all()) await d.replica.sync();

    // Concurrent edits: both devices edit the same calls offline; some pushes meet a newer version
    // already on the server ("superseded"), some win.
    const ids = [await phone.calls.put(call()), await phone.calls.put(call()), await phone.calls.put(call())];
    await phone.replica.sync();
    await laptop.replica.sync();
    for (const [i, id] of ids.entries()) {
      await phone.calls.put({ ...(await phone.calls.get(id))!, durationSec: 100 + i }, id);
      await laptop.calls.put({ ...(await laptop.calls.get(id))!, durationSec: 200 + i }, id);
      await laptop.calls.put({ ...(await laptop.calls.get(id))!, durationSec: 300 + i }, id);
    }
    await laptop.replica.sync();
    // The phone restarts with its edits still queued, then pushes them (the server has newer versions).
    await phone.replica.close();
    phone = await syncedDevice(devices[0]!, env.clock.now, await SqliteLocalStore.open(file));
    expect(await phone.replica.pending()).toBe(3);
    await phone.replica.sync();

    // Short-lived records that the server collects when they expire.
    const scratch = laptop.replica.collection<CallRecord>('scratch', { retentionDays: 1 });
    await scratch.put(call());
    await laptop.replica.sync();
    env.clock.advance(3 * DAY);
    await env.store.collectExpired(Math.floor(env.clock.now() / DAY));

    // "Delete my server copy" of a collection.
    const notes = phone.replica.collection<{ text: string }>('notes');
    await notes.put({ text: 'one' });
    await notes.put({ text: 'two' });
    await phone.replica.sync();
    await laptop.replica.sync();
    expect(await phone.replica.deleteServerCopy('notes')).toBe(2);

    // A device that joins last, and gets the history by grants.
    const late = await syncedDevice(await pairByQr(env, devices[0]!), env.clock.now);
    for (let round = 0; round < 2; round++) for (const d of [...all(), late]) await d.replica.sync();

    for (const d of [...all(), late]) {
      expect(d.events.withheld).toEqual([]);
      expect(d.events.rejected).toEqual([]);
      for (const id of ids) expect(await d.calls.get(id)).toEqual(await laptop.calls.get(id));
    }
  });
});
