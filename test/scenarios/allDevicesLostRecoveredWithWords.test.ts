/**
 * The person loses every device. With the 24 words from the day the account was made (and the
 * account id kept with them), a new phone joins: the words' recovery key signs its add, it waits
 * out the recovery delay, becomes active, and removes the lost devices. (Reading the history
 * back is the sync engine's part, with the recovery device this returns.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { DEFAULT_RECOVERY_DELAY_MS } from '../../src/enrollment/chainState.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('all devices lost, recovered with the words', () => {
  it('the new device becomes active after the delay and takes over', async () => {
    const { devices, recoveryWords } = await accountWith(env, 2);
    const accountId = devices[0]!.accountId;
    const lost = devices.map((d) => d.device.id);
    env.clock.advance(30 * 24 * 60 * 60_000); // a month later, both are gone

    const phone = await Device.generate();
    const typed = `  ${recoveryWords.toUpperCase().replace(/ /g, '\n')}  `; // as copied from paper
    const { account, effectiveAt, recoveryDevice } = await Account.recover({ words: typed, newDevice: phone, accountId, connect: env.connect, clock: env.clock.now });
    recoveryDevice.wipe();
    expect(effectiveAt).toBe(env.clock.now() + DEFAULT_RECOVERY_DELAY_MS);
    expect(account.chain.activeDevices().map((d) => d.id)).not.toContainEqual(phone.id);
    await expect(account.refresh()).rejects.toMatchObject({ code: 'DEVICE_UNKNOWN' });

    // The phone keeps its chain across the wait, as an app would.
    const saved = account.chain.toBytes();
    env.clock.advance(DEFAULT_RECOVERY_DELAY_MS);
    const restored = Account.restore({
      device: phone,
      chain: DeviceChain.fromBytes(phone.suite, saved, { clock: env.clock.now }),
      transport: env.connect(phone, accountId),
      clock: env.clock.now,
    });
    await expect(restored.refresh()).resolves.toEqual([]);
    expect(restored.chain.activeDevices().map((d) => d.id)).toContainEqual(phone.id);

    for (const id of lost) await restored.remove(id);
    const ids = restored.chain.activeDevices().map((d) => d.id);
    for (const id of lost) expect(ids).not.toContainEqual(id);
    expect(restored.chain.state.removed.size).toBe(2);
  });

  it('an account made without words cannot be recovered with anyone\'s words', async () => {
    const first = await Device.generate();
    const { account, recoveryWords } = await Account.create({ device: first, transport: env.anonymous(first), recovery: false, clock: env.clock.now });
    expect(recoveryWords).toBeUndefined();
    const other = await accountWith(env, 1);
    await expect(
      Account.recover({ words: other.recoveryWords, newDevice: await Device.generate(), accountId: account.accountId, connect: env.connect, clock: env.clock.now }),
    ).rejects.toMatchObject({ code: 'RECOVERY_NOT_ENROLLED' });
    await expect(
      Account.recover({ words: 'abandon '.repeat(24), newDevice: await Device.generate(), accountId: account.accountId, connect: env.connect }),
    ).rejects.toMatchObject({ code: 'RECOVERY_WORDS_INVALID' });
    expect(account.chain.activeDevices()).toHaveLength(1);
  });
});
