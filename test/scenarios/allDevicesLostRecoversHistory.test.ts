import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { MIN_RECOVERY_DELAY_MS } from '../../src/enrollment/chainState.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { Replica } from '../../src/sync/replica.js';
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
  it('with every device gone, the words bring a new phone into the account with its call history', async () => {
    const { account, recoveryWords } = await newAccount(env, { recoveryDelayMs: MIN_RECOVERY_DELAY_MS });
    const oldPhone = await syncedDevice(account, env.clock.now);
    const ids = [await oldPhone.calls.put(call()), await oldPhone.calls.put(call()), await oldPhone.calls.put(call())];
    await oldPhone.replica.sync();
    const accountId = account.accountId;
    // The phone is lost: nothing of it remains but the words on paper and the account id.

    const newPhone = await Device.generate();
    const recovered = await Account.recover({ words: recoveryWords!, newDevice: newPhone, accountId, connect: env.connect, clock: env.clock.now });
    // The new phone waits out the delay (no device is left to veto it).
    env.clock.advance(MIN_RECOVERY_DELAY_MS);

    // The words' pseudo-device can open every record (they were all wrapped to it) and grants them.
    const wordsReplica = await Replica.open({
      account: {
        device: recovered.recoveryDevice,
        accountId,
        chain: recovered.account.chain,
        transport: env.connect(recovered.recoveryDevice, accountId),
      },
      store: new MemoryLocalStore(),
      clock: env.clock.now,
    });
    expect(await wordsReplica.handoffTo(newPhone.public)).toBe(3);
    recovered.recoveryDevice.wipe();

    const phone = await syncedDevice(recovered.account, env.clock.now);
    await phone.replica.sync();
    for (const id of ids) expect(await phone.calls.get(id)).toEqual(await oldPhone.calls.get(id));
  });
});
