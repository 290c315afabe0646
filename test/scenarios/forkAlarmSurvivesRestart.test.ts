import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Account } from '../../src/enrollment/account.js';
import { loadDevice, saveDevice } from '../../src/sync/deviceVault.js';
import { SqliteLocalStore } from '../../src/sync/sqliteLocalStore.js';
import { rollBackChain } from '../support/hostileOperator.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
let dir: string;
beforeEach(async () => {
  env = await startEnrollmentServer();
  dir = mkdtempSync(join(tmpdir(), 'mks-fork-'));
});
afterEach(async () => {
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
});

const PASSPHRASE = 'correct horse battery staple';
const FAST_ARGON = { opsLimit: 2, memLimitBytes: 19 * 1024 * 1024 };

describe('fork alarms', () => {
  it('forkAlarmSurvivesRestart: the alarm a pull raises is saved at once; after a restart the tablet still refuses to seal or sync', async () => {
    const { devices } = await accountWith(env, 3);
    const file = join(dir, 'tablet.sqlite');
    const tabletStore = await SqliteLocalStore.open(file);
    await saveDevice(tabletStore, devices[2]!, PASSPHRASE, FAST_ARGON);
    const [phone, tablet] = [await syncedDevice(devices[0]!, env.clock.now), await syncedDevice(devices[2]!, env.clock.now, tabletStore)];
    await tablet.replica.sync();

    // The phone removes the laptop and writes; the operator then hides the removal from everyone.
    const before = phone.account.chain.length;
    await phone.account.remove(devices[1]!.device.id);
    await phone.calls.put(call());
    await phone.replica.sync();
    rollBackChain(env.dbPath, phone.account.accountId, before);

    // The tablet meets the phone's checkpoint naming a head the server no longer shows.
    await expect(tablet.replica.sync()).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'unknown-head' });
    await tablet.replica.close();

    // A restart: the device comes back from its file, as an app would bring it back.
    const reopened = await SqliteLocalStore.open(file);
    const saved = (await loadDevice(reopened, PASSPHRASE, { clock: env.clock.now }))!;
    expect(saved.chain.forkAlarm).toBe('unknown-head');
    const account = Account.restore({ device: saved.device, chain: saved.chain, transport: env.connect(saved.device, phone.account.accountId), clock: env.clock.now });
    const again = await syncedDevice(account, env.clock.now, reopened);
    await expect(again.calls.put(call())).rejects.toMatchObject({ code: 'FORK_ALARM' });
    await expect(again.replica.sync()).rejects.toMatchObject({ code: 'FORK_ALARM' });
    expect(await again.replica.pending()).toBe(0);
    await again.replica.close();
  });
});
