/**
 * Issue #9 item 8, on format 2: after a key rotation the replica never uses the device's old
 * static secret again. Writes wait in the outbox unsealed, so a write queued before the rotation
 * is sealed at push under pair keys made with the new card; nothing queued needs the old key,
 * and nothing the replica does touches it (format 1 had to keep the old device until its outbox
 * drained, to reopen and re-seal queued envelopes: docs/decisions.md).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Device } from '../../src/core/device.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await env.stop();
});

/** The Device objects whose static encryption secret is used (every pair key is made or derived with it). */
function staticSecretUsers(): Set<Device> {
  const users = new Set<Device>();
  for (const method of ['establishPairKey', 'acceptPairKey'] as const) {
    const original = Device.prototype[method] as (...args: unknown[]) => unknown;
    vi.spyOn(Device.prototype, method).mockImplementation(function (this: Device, ...args: unknown[]) {
      users.add(this);
      return original.apply(this, args);
    } as never);
  }
  return users;
}

describe('rotatedKeyIsForgottenOncePushed', () => {
  it('a write queued before the laptop rotates its key is sealed at push under the new key; the old static secret is never used again', async () => {
    const { devices } = await accountWith(env, 4);
    const [phoneAccount, laptopAccount, tabletAccount, watchAccount] = devices;
    const [phone, laptop] = await Promise.all([syncedDevice(phoneAccount!, env.clock.now), syncedDevice(laptopAccount!, env.clock.now)]);
    // Pair keys both ways under the laptop's first card.
    await laptop.replica.sync();
    await phone.replica.sync();
    await laptop.replica.sync();
    const users = staticSecretUsers();

    // Queued under the first key; the key rotates; the device list changes before the push.
    const first = laptopAccount!.device;
    const queued = await laptop.calls.put(call());
    const second = await laptopAccount!.rotateKey();
    await phoneAccount!.remove(tabletAccount!.device.id);
    users.clear();
    await laptop.replica.sync();
    expect(users.has(second)).toBe(true); // new pair keys, made with the second card
    expect(users.has(first)).toBe(false);
    await phone.replica.sync();
    // The phone opens it only under a key made with the card the laptop had at its log position.
    expect(await phone.calls.get(queued)).toBeDefined();
    expect(phone.events.rejected).toEqual([]);

    // The same story again: only the newest card is ever used.
    const again = await laptop.calls.put(call());
    const third = await laptopAccount!.rotateKey();
    await phoneAccount!.remove(watchAccount!.device.id);
    users.clear();
    await laptop.replica.sync();
    await phone.replica.sync();
    await laptop.replica.sync();
    expect(users.has(third)).toBe(true);
    expect(users.has(first) || users.has(second)).toBe(false);
    expect(await phone.calls.get(again)).toBeDefined();
    expect([...laptop.events.rejected, ...phone.events.rejected]).toEqual([]);
  });
});
