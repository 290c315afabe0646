import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { findStanza } from '../../src/core/open.js';
import { toHex } from '../../src/crypto/bytes.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { storedEnvelopes } from '../support/items.js';
import { call, syncedDevice } from '../support/syncHarness.js';
import { steal, thiefOpens } from '../support/thief.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

/** Whether the server's stored envelope of `recordId` carries a stanza for `device`: its public header says. */
async function sealedFor(recordId: Uint8Array, device: { id: Uint8Array }, accountId: Uint8Array): Promise<boolean> {
  const [stored] = await storedEnvelopes(env.store, accountId, [recordId]);
  return findStanza(parseEnvelope(stored!.bytes).stanzas, device.id) >= 0;
}

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
    // ...and even with its keys and every item the server holds (a copy of the server's database),
    // it opens the call from before and not the one from after, which has no stanza for it.
    const accountId = phone!.account.accountId;
    const items = (await env.store.pullEnvelopes(accountId, 0, 10_000)).items.map((i) => i.bytes);
    const opened = await thiefOpens(await steal(tablet!.account.device, tablet!.store), accountId, phone!.account.chain.state, items);
    expect(opened.has(toHex(before))).toBe(true);
    expect(opened.has(toHex(after))).toBe(false);
    expect(await sealedFor(after, tablet!.account.device, accountId)).toBe(false);
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
    expect(await sealedFor(id, tablet!.account.device, laptop!.account.accountId)).toBe(false);
    expect(await sealedFor(id, phone!.account.device, laptop!.account.accountId)).toBe(true);
    await phone!.replica.sync();
    expect(await phone!.calls.get(id)).toBeDefined();
  });

  it('a call written offline before the revocation does not reach the tablet: it waits unsealed, and is sealed at push for the devices active then', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const offline = await laptop!.calls.put(call()); // queued while phone, laptop, tablet and the recovery key were listed
    await phone!.account.remove(tablet!.account.device.id);
    await laptop!.replica.sync(); // refreshes the chain, then seals and pushes
    expect(await sealedFor(offline, tablet!.account.device, laptop!.account.accountId)).toBe(false);
    expect(await sealedFor(offline, phone!.account.device, laptop!.account.accountId)).toBe(true);
    await phone!.replica.sync();
    expect(await phone!.calls.get(offline)).toBeDefined();
  });

  it('a write queued before its device rotated its key is sealed at push under the new key, without the removed device', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const queued = await laptop!.calls.put(call());
    await laptop!.account.rotateKey();
    await phone!.account.remove(tablet!.account.device.id);
    const rejected: string[] = [];
    laptop!.replica.on('rejected', (e) => rejected.push(e.code));
    await laptop!.replica.sync();
    expect(rejected).toEqual([]);
    expect(await sealedFor(queued, tablet!.account.device, laptop!.account.accountId)).toBe(false);
    await phone!.replica.sync();
    expect(await phone!.calls.get(queued)).toBeDefined();
    expect(phone!.events.rejected).toEqual([]);
  });

  it('history is handed only to a device active on the verified chain', async () => {
    const { devices } = await accountWith(env, 2);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const { Device } = await import('../../src/core/device.js');
    const stranger = await Device.generate();
    await expect(phone.replica.handoffTo(stranger.public)).rejects.toMatchObject({ code: 'HANDOFF_NOT_ON_CHAIN' });
  });
});
