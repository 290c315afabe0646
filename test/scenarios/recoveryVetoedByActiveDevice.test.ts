/**
 * Someone who found the recovery words tries to take the account over while the owner still
 * has a device. The recovery add must wait 72 hours; the owner's devices are told at once, one
 * of them vetoes, and the stranger's device never becomes active. The owner then replaces the
 * words, so the old ones are worthless.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { DEFAULT_RECOVERY_DELAY_MS, MIN_RECOVERY_DELAY_MS } from '../../src/enrollment/chainState.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('a recovery vetoed by an active device', () => {
  it('the stranger is announced, vetoed, never active, and the old words stop working', async () => {
    const { devices, recoveryWords } = await accountWith(env, 2);
    const [phone, laptop] = devices as [Account<HttpClient>, Account<HttpClient>];
    const stranger = await Device.generate();
    const attempt = await Account.recover({ words: recoveryWords, newDevice: stranger, accountId: phone.accountId, connect: env.connect, clock: env.clock.now });
    attempt.recoveryDevice.wipe();
    expect(attempt.effectiveAt).toBe(env.clock.now() + DEFAULT_RECOVERY_DELAY_MS);
    await expect(attempt.account.refresh()).rejects.toMatchObject({ code: 'DEVICE_UNKNOWN' }); // pending: the server refuses it

    env.clock.advance(60 * 60_000); // an hour later the owner's phone syncs
    const [started] = await phone.refresh();
    expect(started).toMatchObject({ type: 'recovery-started', effectiveAt: attempt.effectiveAt });
    expect(started!.device.id).toEqual(stranger.id);
    expect(phone.chain.pendingRecoveries().map((p) => p.device.id)).toEqual([stranger.id]);
    expect(phone.chain.activeDevices().map((d) => d.id)).not.toContainEqual(stranger.id);

    await phone.vetoRecovery(started!.entryHash);
    const laptopEvents = await laptop.refresh();
    expect(laptopEvents.map((e) => e.type)).toEqual(['recovery-started', 'recovery-vetoed']);
    // Vetoing twice (the laptop did not notice the phone was first) is not an error.
    await expect(laptop.vetoRecovery(started!.entryHash)).resolves.toEqual([]);

    env.clock.advance(DEFAULT_RECOVERY_DELAY_MS);
    expect(phone.chain.activeDevices().map((d) => d.id)).not.toContainEqual(stranger.id);
    // The vetoed device may read the chain (to see the veto for itself) and nothing more.
    expect(await attempt.account.refresh()).toContainEqual(expect.objectContaining({ type: 'recovery-vetoed' }));
    await expect(attempt.account.transport.pull(0)).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });

    const fresh = await phone.replaceRecoveryWords();
    expect(fresh.split(' ')).toHaveLength(24);
    await expect(
      Account.recover({ words: recoveryWords, newDevice: await Device.generate(), accountId: phone.accountId, connect: env.connect, clock: env.clock.now }),
    ).rejects.toMatchObject({ code: 'RECOVERY_NOT_ENROLLED' });
    const roles = [...phone.chain.state.devices.values()].map((d) => d.role).sort();
    expect(roles).toEqual(['device', 'device', 'recovery']);
  });

  it('a veto after the delay is too late', async () => {
    const { devices, recoveryWords } = await accountWith(env, 1, { recoveryDelayMs: MIN_RECOVERY_DELAY_MS });
    const [phone] = devices as [Account<HttpClient>];
    const attempt = await Account.recover({ words: recoveryWords, newDevice: await Device.generate(), accountId: phone.accountId, connect: env.connect, clock: env.clock.now });
    attempt.recoveryDevice.wipe();
    env.clock.advance(MIN_RECOVERY_DELAY_MS + 1000);
    const [started] = await phone.refresh();
    await expect(phone.vetoRecovery(started!.entryHash)).rejects.toMatchObject({ code: 'CHAIN_TARGET_INVALID' });
    await expect(attempt.account.refresh()).resolves.toEqual([]);
  });
});
