import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open } from '../../src/core/open.js';
import { DeviceDirectory } from '../../src/core/deviceDirectory.js';
import { onlyEnvelopes } from '../storage/fixtures.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('revocation', () => {
  it('revokedDeviceReadsNothingNew: the lost tablet keeps what it had, but nothing written after', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const before = await phone!.calls.put(call());
    await phone!.replica.sync();
    await tablet!.replica.sync();
    expect(await tablet!.calls.get(before)).toBeDefined();

    await phone!.account.remove(tablet!.account.device.id);
    const after = await phone!.calls.put(call());
    await phone!.replica.sync();
    await laptop!.replica.sync();
    expect(await laptop!.calls.get(after)).toBeDefined();

    // The tablet may still read the chain, so it verifies its own removal rather than trusting the
    // server's word; everything else the server refuses it...
    const events = await tablet!.account.refresh();
    expect(events).toContainEqual(expect.objectContaining({ type: 'device-removed', self: true }));
    await expect(tablet!.replica.sync()).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });
    // ...and even with the raw envelope in hand (a copy of the server's database), it has no stanza.
    const page = await env.store.pullEnvelopes(phone!.account.accountId, 0, 100);
    const senders = new DeviceDirectory(phone!.account.chain.activeDevices());
    const newest = page.items[page.items.length - 1]!;
    expect(open(tablet!.account.device, phone!.account.accountId, senders, newest.bytes)).toBeNull();
    expect(await tablet!.calls.get(before)).toBeDefined();
  });

  it('deviceOfflineDuringRevocationCatchesUp: a laptop offline during the revocation learns of it and stops sealing for the tablet', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const events: string[] = [];
    laptop!.account.chain.subscribe((e) => events.push(e.type));
    await phone!.account.remove(tablet!.account.device.id);
    await phone!.calls.put(call());
    await phone!.replica.sync();

    // The laptop comes back online.
    await laptop!.replica.sync();
    expect(events).toContain('device-removed');
    const id = await laptop!.calls.put(call());
    await laptop!.replica.sync();
    const stored = onlyEnvelopes((await env.store.pullEnvelopes(phone!.account.accountId, 0, 100)).items).at(-1)!;
    expect(stored.recordId).toEqual(id);
    const senders = new DeviceDirectory(laptop!.account.chain.activeDevices());
    expect(open(tablet!.account.device, laptop!.account.accountId, senders, stored.bytes)).toBeNull();
    expect(open(phone!.account.device, laptop!.account.accountId, senders, stored.bytes)).not.toBeNull();
  });

  it('a call written offline before the revocation is sealed again without the tablet when it is finally pushed', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const offline = await laptop!.calls.put(call()); // sealed for phone, laptop, tablet and the recovery key
    await phone!.account.remove(tablet!.account.device.id);
    await laptop!.replica.sync(); // refreshes the chain, then pushes
    const stored = onlyEnvelopes((await env.store.pullEnvelopes(phone!.account.accountId, 0, 100)).items).find((e) => Buffer.from(e.recordId).equals(Buffer.from(offline)))!;
    const senders = new DeviceDirectory(laptop!.account.chain.activeDevices());
    expect(open(tablet!.account.device, laptop!.account.accountId, senders, stored.bytes)).toBeNull();
    await phone!.replica.sync();
    expect(await phone!.calls.get(offline)).toBeDefined();
  });

  it('a write queued before its device rotated its key is still sealed again after a revocation', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const queued = await laptop!.calls.put(call());
    await laptop!.account.rotateKey();
    await phone!.account.remove(tablet!.account.device.id);
    const rejected: string[] = [];
    laptop!.replica.on('rejected', (e) => rejected.push(e.code));
    await laptop!.replica.sync();
    expect(rejected).toEqual([]);
    await phone!.replica.sync();
    expect(await phone!.calls.get(queued)).toBeDefined();
  });

  it('history is handed only to a device active on the verified chain', async () => {
    const { devices } = await accountWith(env, 2);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const { Device } = await import('../../src/core/device.js');
    const stranger = await Device.generate();
    await expect(phone.replica.handoffTo(stranger.public)).rejects.toMatchObject({ code: 'HANDOFF_NOT_ON_CHAIN' });
  });
});
