import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLocalStore } from '../../src/sync/sqliteLocalStore.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice, type SyncedDevice } from '../support/syncHarness.js';

const DAY = 86_400_000;
let env: EnrollmentEnv;
let dir: string;
beforeEach(async () => {
  env = await startEnrollmentServer();
  dir = mkdtempSync(join(tmpdir(), 'mks-epochs-'));
});
afterEach(async () => {
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('epochs', () => {
  it('epochRolloverLosesNoRecord: three devices write through many rollovers, with late syncs and a restart, and end up with every record', async () => {
    const { devices } = await accountWith(env, 3);
    const open = async (i: number) => syncedDevice(devices[i]!, env.clock.now, await SqliteLocalStore.open(join(dir, `d${i}.sqlite`)));
    const replicas: SyncedDevice[] = [await open(0), await open(1), await open(2)];
    const written: Uint8Array[] = [];
    // Six weeks; every device writes most days, syncs some days, so keys roll between a write and its push.
    for (let day = 0; day < 42; day++) {
      env.clock.advance(DAY + 7919);
      for (let i = 0; i < 3; i++) {
        if ((day + i) % 4 !== 3) written.push(await replicas[i]!.calls.put(call()));
        if ((day * 7 + i) % 3 === 0) await replicas[i]!.replica.sync();
      }
      if (day === 20) {
        // The laptop restarts from its replica file (its key ring and cursor come back with it).
        await replicas[1]!.replica.close();
        replicas[1] = await open(1);
      }
    }
    for (let round = 0; round < 2; round++) for (const r of replicas) await r.replica.sync();

    for (const r of replicas) {
      expect(await r.calls.count()).toBe(written.length);
      expect(r.events.rejected).toEqual([]);
      expect(r.events.withheld).toEqual([]);
      // Six weeks of weekly epochs, rolled at the first sync after each week: at least four rollovers.
      expect(r.account.device.epochs.current!.epoch).toBeGreaterThanOrEqual(4);
    }
  });
});
