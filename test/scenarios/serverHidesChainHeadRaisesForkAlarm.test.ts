/**
 * The phone revokes a stolen laptop. The operator (perhaps with the thief) wants the laptop to
 * keep receiving records, so it hides the revocation: it rolls the chain back in its database,
 * or forks it with an entry the laptop can still sign on the old branch. The device that saw
 * the newer chain raises a fork alarm, at once or after a restart; a device that never saw it
 * raises one as soon as it meets the newer head in a record.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import type { Account } from '../../src/enrollment/account.js';
import { deviceKeys, makeAdd, signConsent } from '../../src/enrollment/chainOps.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import { rollBackChain } from '../support/hostileOperator.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

async function revokedLaptop() {
  const { devices } = await accountWith(env, 3);
  const [phone, laptop, tablet] = devices as [Account<HttpClient>, Account<HttpClient>, Account<HttpClient>];
  const beforeRevocation = phone.chain.length;
  await phone.remove(laptop.device.id);
  return { phone, laptop, tablet, beforeRevocation };
}

describe('a server that hides the chain head raises a fork alarm', () => {
  it('a rollback is caught by the device that saw the newer chain, now and after a restart', async () => {
    const { phone, tablet, beforeRevocation } = await revokedLaptop();
    const saved = phone.chain.toBytes();
    rollBackChain(env.dbPath, phone.accountId, beforeRevocation);

    await expect(phone.refresh()).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'rollback' });
    expect(phone.chain.activeDevices()).toHaveLength(3); // phone, tablet, recovery key: still no laptop
    // The app decides to try again: the server still lies, so the alarm comes back.
    phone.chain.acknowledgeFork();
    await expect(phone.refresh()).rejects.toMatchObject({ reason: 'rollback' });

    // After a restart, the saved chain remembers what the server can no longer show.
    const restarted = DeviceChain.fromBytes(phone.device.suite, saved, { clock: env.clock.now });
    await expect(restarted.refresh(phone.transport)).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'rollback' });

    // The tablet was offline during the revocation: the old chain is all it can check...
    await expect(tablet.refresh()).resolves.toEqual([]);
    // ...until a record from the phone names the head the phone saw.
    await expect(tablet.chain.checkHead(phone.chain.head, tablet.transport)).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'unknown-head' });
    await expect(tablet.chain.checkHead(tablet.chain.head, tablet.transport)).rejects.toMatchObject({ code: 'FORK_ALARM' });
  });

  it('a fork signed by the revoked laptop on the hidden branch is caught as divergence', async () => {
    const { phone, laptop, tablet, beforeRevocation } = await revokedLaptop();
    rollBackChain(env.dbPath, phone.accountId, beforeRevocation);
    // On the branch without the revocation the laptop is still active, and the real server
    // accepts its signed add of a device the thief controls.
    const thiefDevice = await Device.generate();
    await laptop.chain.append(laptop.transport, (state) =>
      makeAdd(laptop.device, state, deviceKeys(thiefDevice), signConsent(thiefDevice, state.accountId), { now: env.clock.now() }),
    );

    await expect(phone.refresh()).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'diverged' });
    expect(phone.chain.activeDevices().map((d) => d.id)).not.toContainEqual(thiefDevice.id);
    // The tablet, offline meanwhile, accepts the valid-looking branch, and learns otherwise from the phone's head.
    const [event] = await tablet.refresh();
    expect(event).toMatchObject({ type: 'device-added' });
    await expect(tablet.chain.checkHead(phone.chain.head, tablet.transport)).rejects.toMatchObject({ reason: 'unknown-head' });
  });
});
