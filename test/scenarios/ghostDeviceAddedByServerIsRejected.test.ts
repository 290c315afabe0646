/**
 * A hostile operator writes an `add` of its own device straight into the server's database,
 * hoping every device will start sealing records to it (the ghost-device attack a server-run
 * key directory allows). It cannot sign as any device of the account, so the entry breaks the
 * chain rules: the honest server refuses to serve a chain it cannot verify, and a patched server
 * that serves it anyway meets each device's own verification and a fork alarm.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { signEntry } from '../../src/enrollment/chainEntry.js';
import { deviceKeys, makeAdd, signConsent } from '../../src/enrollment/chainOps.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import { ForkAlarm } from '../../src/enrollment/forkAlarm.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { servesItsTablesUnverified, writeEntry } from '../support/hostileOperator.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('a ghost device added by the server is rejected', () => {
  it('self-signed ghost: the honest server will not serve it, a patched one raises a fork alarm on every device', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = devices as [NonNullable<(typeof devices)[0]>, NonNullable<(typeof devices)[1]>];
    const before = phone.chain.activeDevices().length;
    const ghost = await Device.generate();
    const state = phone.chain.state;
    // The best the operator can do without a device key: sign the add with the ghost itself.
    const forged = signEntry(ghost, state.accountId, {
      v: 2, t: 'add', i: state.length, prev: state.head, ts: env.clock.now(), by: ghost.id,
      dev: encodeDevicePublic(ghost.public), ok: signConsent(ghost, state.accountId), xk: deviceKeys(ghost).keyStatement.bytes,
    });
    writeEntry(env.dbPath, phone.accountId, forged);

    // The honest server code replays its own store, fails, and answers nothing about the account.
    await expect(phone.refresh()).rejects.toMatchObject({ code: 'CHAIN_CORRUPT' });
    expect(phone.chain.activeDevices()).toHaveLength(before);

    // The operator patches the server to serve its tables as they are.
    const patched = servesItsTablesUnverified(env.dbPath);
    const phoneVia = new HttpClient({ baseUrl: env.url, device: phone.device, accountId: phone.accountId, fetch: patched, clock: env.clock.now });
    const laptopVia = new HttpClient({ baseUrl: env.url, device: laptop.device, accountId: laptop.accountId, fetch: patched, clock: env.clock.now });
    for (const [account, transport] of [[phone, phoneVia], [laptop, laptopVia]] as const) {
      const alarm = await account.chain.refresh(transport).catch((e: unknown) => e);
      expect(alarm).toBeInstanceOf(ForkAlarm);
      expect(alarm).toMatchObject({ code: 'FORK_ALARM', reason: 'invalid-entry', cause: { code: 'CHAIN_SIGNER_NOT_ACTIVE' } });
      expect(account.chain.activeDevices().map((d) => d.id)).not.toContainEqual(ghost.id);
      // Until the app decides, the chain does not talk to this server at all.
      await expect(account.chain.refresh(transport)).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'invalid-entry' });
      await expect(account.chain.append(transport, () => null)).rejects.toMatchObject({ code: 'FORK_ALARM' });
      expect(DeviceChain.fromBytes(account.device.suite, account.chain.toBytes()).forkAlarm).toBe('invalid-entry');
    }

    // A device joining now, which has never seen the chain, refuses it as well.
    const fresh = await DeviceChain.fetch(phone.device.suite, phoneVia, { accountId: phone.accountId, self: phone.device.id }).catch((e: unknown) => e);
    expect(fresh).toMatchObject({ code: 'FORK_ALARM', reason: 'invalid-entry' });
  });

  it('a ghost add claiming to be signed by a real device fails its signature', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = devices as [NonNullable<(typeof devices)[0]>, NonNullable<(typeof devices)[1]>];
    const ghost = await Device.generate();
    const state = phone.chain.state;
    // An add made by the phone's code path, but signed by a key the operator made up.
    const impostor = await Device.generate();
    const template = makeAdd(impostor, state, deviceKeys(ghost), signConsent(ghost, state.accountId), { now: env.clock.now() });
    const forged = signEntry(impostor, state.accountId, { ...template.entry, by: phone.device.id });
    writeEntry(env.dbPath, phone.accountId, forged);

    const patched = servesItsTablesUnverified(env.dbPath);
    const via = new HttpClient({ baseUrl: env.url, device: laptop.device, accountId: laptop.accountId, fetch: patched, clock: env.clock.now });
    await expect(laptop.chain.refresh(via)).rejects.toMatchObject({ reason: 'invalid-entry', cause: { code: 'CHAIN_SIGNATURE_INVALID' } });
    expect(laptop.chain.length).toBe(state.length);
  });
});
