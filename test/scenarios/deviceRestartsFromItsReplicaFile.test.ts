import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/core/logCheckpoint.js';
import { Account } from '../../src/enrollment/account.js';
import { callLogOptions } from '../../src/sync/callLog.js';
import { loadDevice, saveDevice } from '../../src/sync/deviceVault.js';
import { Replica } from '../../src/sync/replica.js';
import { SqliteLocalStore } from '../../src/sync/sqliteLocalStore.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

const FAST_ARGON = { opsLimit: 4, memLimitBytes: 9 * 1024 * 1024 }; // the cheapest cost sealing accepts
let env: EnrollmentEnv;
let dir: string;
beforeEach(async () => {
  env = await startEnrollmentServer();
  dir = mkdtempSync(join(tmpdir(), 'mks-restart-'));
});
afterEach(async () => {
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a device restarts from its replica file', () => {
  it('keeps its keys under a passphrase, its verified chain, its records and its sync cursor', async () => {
    const { devices } = await accountWith(env, 2);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const file = join(dir, 'laptop.sqlite');
    const store = await SqliteLocalStore.open(file);
    await saveDevice(store, devices[1]!, 'laptop passphrase', FAST_ARGON);
    const laptop = await syncedDevice(devices[1]!, env.clock.now, store);
    await phone.calls.put(call());
    await phone.calls.put(call());
    await phone.replica.sync();
    await laptop.calls.put(call());
    await laptop.replica.sync();
    const laptopId = devices[1]!.device.id;
    const headBefore = await laptop.replica.logHead(laptopId);
    const itemsBefore = (await env.store.pullEnvelopes(phone.account.accountId, 0, 10_000)).items.length;
    await laptop.replica.close();

    // The app starts again with nothing but the file and the passphrase.
    const reopened = await SqliteLocalStore.open(file);
    await expect(loadDevice(reopened, 'wrong passphrase')).rejects.toMatchObject({ code: 'PASSPHRASE_WRONG' });
    const kept = (await loadDevice(reopened, 'laptop passphrase', { clock: env.clock.now }))!;
    expect(kept.device.id).toEqual(devices[1]!.device.id);
    const account = Account.restore({ ...kept, transport: env.connect(kept.device, kept.chain.accountId), clock: env.clock.now });
    const replica = await Replica.open({ account, store: reopened, clock: env.clock.now });
    const calls = replica.collection('calls', callLogOptions());
    expect(await calls.count()).toBe(3);

    await phone.calls.put(call());
    await phone.replica.sync();
    const itemsNow = (await env.store.pullEnvelopes(phone.account.accountId, 0, 10_000)).items.length;
    const report = await replica.sync();
    // The cursor survived the restart: it pulls what came after it (the phone's checkpoints and envelopes), nothing earlier.
    expect(itemsNow - itemsBefore).toBeGreaterThanOrEqual(2);
    expect(report.pulled).toBe(itemsNow - itemsBefore);
    expect(await calls.count()).toBe(4);

    // Its log goes on after the restart from the head it kept: the next checkpoint extends it by
    // one (the server refuses any other position), and it is the one that logs the new call.
    expect(await replica.logHead(laptopId)).toEqual(headBefore);
    const after = await calls.put(call());
    await replica.sync();
    const headAfter = await replica.logHead(laptopId);
    expect(headAfter.position).toBe(headBefore.position + 1);
    const onServer = decodeCheckpoint(kept.device.suite, account.accountId, (await account.transport.logHead(laptopId))!);
    expect(onServer.position).toBe(headAfter.position);
    expect(onServer.prev).toEqual(headBefore.hash);
    expect(onServer.claims.map((c) => c.recordId)).toEqual([after]);
    await replica.close();
  });
});
