/**
 * Three devices change the device list at the same moment, each building on the same head. The
 * server's compare-and-swap lets one through per round; the others meet `CHAIN_CONFLICT`,
 * refresh, rebuild on the new head and try again. All succeed, and every device ends with the
 * same chain.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/client/httpClient.js';
import type { Account } from '../../src/enrollment/account.js';
import { equalBytes } from '../../src/crypto/bytes.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('two devices append at once', () => {
  it('every append lands through compare-and-swap retry, and all devices agree', async () => {
    const { devices } = await accountWith(env, 4);
    const [phone, laptop, tablet, desktop] = devices as [Account<HttpClient>, Account<HttpClient>, Account<HttpClient>, Account<HttpClient>];
    const start = phone.chain.length;
    const conflicts = () => env.logs.filter((line) => line.startsWith('POST /v1/accounts/:account/chain 409')).length;
    const before = conflicts();

    const rotated = await Promise.all([phone.rotateKey(), laptop.rotateKey(), tablet.rotateKey()]);

    // All three built on one head: one won the first round, so the server turned away at least two.
    expect(conflicts() - before).toBeGreaterThanOrEqual(2);
    await desktop.refresh();
    for (const d of devices) {
      await d.refresh();
      expect(d.chain.length).toBe(start + 3);
      expect(d.chain.head).toEqual(desktop.chain.head);
    }
    // Each device's new key is the one the chain lists for it, on every device.
    for (const device of rotated) {
      const listed = desktop.chain.activeDevices().find((c) => equalBytes(c.id, device.id));
      expect(listed?.encryptionKey).toEqual(device.public.encryptionKey);
    }
  });

  it('a loser that can no longer do what it meant to (the target is gone) stops without an error', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = devices as [Account<HttpClient>, Account<HttpClient>, Account<HttpClient>];
    const [first, second] = await Promise.all([phone.remove(tablet.device.id), laptop.remove(tablet.device.id)]);
    expect([first, second].map((events) => events.filter((e) => e.type === 'device-removed').length).sort()).toEqual([1, 1]);
    await phone.refresh();
    await laptop.refresh();
    expect(phone.chain.head).toEqual(laptop.chain.head);
    expect(phone.chain.state.removed.size).toBe(1);
  });
});
