/**
 * Every change to the device list raises its event on every other device once it refreshes:
 * a device added, a key rotated, a recovery started and vetoed, a device removed, a device
 * removing itself. Through the real server on SQLite.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/client/httpClient.js';
import { toHex } from '../../src/crypto/bytes.js';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import type { ChainEvent } from '../../src/enrollment/chainEvent.js';
import { MIN_RECOVERY_DELAY_MS } from '../../src/enrollment/chainState.js';
import { accountWith, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

/** What an app would show: type, and whom it is about. */
function summary(events: readonly ChainEvent[]): string[] {
  return events.map((e) => `${e.type}:${toHex(e.device.id).slice(0, 8)}${e.type === 'device-removed' && e.self ? ':self' : ''}`);
}

describe('every chain change is announced', () => {
  it('raises one event per entry on every other device, in chain order', async () => {
    const { devices, recoveryWords } = await accountWith(env, 3, { recoveryDelayMs: MIN_RECOVERY_DELAY_MS });
    const [phone, laptop, tablet] = devices as [Account<HttpClient>, Account<HttpClient>, Account<HttpClient>];
    const heard = new Map<Account<HttpClient>, ChainEvent[]>();
    for (const d of devices) d.chain.subscribe((e) => heard.set(d, [...(heard.get(d) ?? []), e]));

    const desktop = await pairByQr(env, phone);
    await laptop.refresh();
    const rotated = await laptop.rotateKey();
    await phone.refresh();
    const stranger = await Device.generate();
    const { account: pending, recoveryDevice } = await Account.recover({
      words: recoveryWords, newDevice: stranger, accountId: phone.accountId, connect: env.connect, clock: env.clock.now,
    });
    recoveryDevice.wipe();
    const [started] = await phone.refresh();
    expect(started?.type).toBe('recovery-started');
    await phone.vetoRecovery(started!.entryHash);
    await tablet.refresh();
    await tablet.remove(desktop.device.id);
    await laptop.refresh();
    await laptop.remove(laptop.device.id);

    const expected = [
      `device-added:${toHex(desktop.device.id).slice(0, 8)}`,
      `key-rotated:${toHex(rotated.id).slice(0, 8)}`,
      `recovery-started:${toHex(stranger.id).slice(0, 8)}`,
      `recovery-vetoed:${toHex(stranger.id).slice(0, 8)}`,
      `device-removed:${toHex(desktop.device.id).slice(0, 8)}`,
      `device-removed:${toHex(laptop.device.id).slice(0, 8)}`,
    ];
    for (const d of devices) await d.refresh().catch(() => undefined); // the laptop is gone: the server refuses it
    expect(summary(heard.get(phone)!)).toEqual(expected);
    expect(summary(heard.get(tablet)!)).toEqual(expected);
    expect(summary(heard.get(laptop)!)).toEqual([...expected.slice(0, -1), `${expected.at(-1)}:self`]);
    expect(phone.chain.head).toEqual(tablet.chain.head);
    expect(phone.chain.head).toEqual(laptop.chain.head);
    expect(pending.chain.length).toBeLessThan(phone.chain.length);

    const last = heard.get(phone)!.at(-1)!;
    expect(last).toMatchObject({ type: 'device-removed', self: false, index: phone.chain.length - 1 });
    expect(last.by).toEqual(laptop.device.id);
  });
});
