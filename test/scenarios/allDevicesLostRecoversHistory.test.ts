import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { MIN_RECOVERY_DELAY_MS } from '../../src/enrollment/chainState.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { newAccount, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('allDevicesLostRecoveredWithWords', () => {
  it('with every device gone, the words bring a new phone into the account, and its first sync reads the history with them', async () => {
    const { account, recoveryWords } = await newAccount(env, { recoveryDelayMs: MIN_RECOVERY_DELAY_MS });
    const oldPhone = await syncedDevice(account, env.clock.now);
    const ids = [await oldPhone.calls.put(call()), await oldPhone.calls.put(call()), await oldPhone.calls.put(call())];
    await oldPhone.replica.sync();
    const accountId = account.accountId;
    // The phone is lost: nothing of it remains but the words on paper and the account id.

    const newPhone = await Device.generate({ now: env.clock.now() });
    const recovered = await Account.recover({ words: recoveryWords!, newDevice: newPhone, accountId, connect: env.connect, clock: env.clock.now });
    env.clock.advance(MIN_RECOVERY_DELAY_MS + 1);

    // The words' pseudo-device reads alongside the new phone during its first sync: every record was
    // sealed to it too. It writes nothing (it cannot), and is wiped afterwards.
    const phone = await syncedDevice(recovered.account, env.clock.now, new MemoryLocalStore(), { readers: [recovered.recoveryDevice] });
    const report = await phone.replica.sync();
    recovered.recoveryDevice.wipe();
    for (const id of ids) expect(await phone.calls.get(id)).toEqual(await oldPhone.calls.get(id));
    expect(report.withheld).toBe(0);
    expect(phone.events.rejected).toEqual([]);
  });
});
