import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('call history syncs across devices', () => {
  it('a call written on the phone appears on the laptop and tablet, and deleting it removes it everywhere', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const missed = call({ service: 'voip', app: 'net.whatsapp.WhatsApp', direction: 'incoming', answered: false, durationSec: 0 });
    const id = await phone!.calls.put(missed);
    await phone!.replica.sync();
    for (const d of [laptop!, tablet!]) {
      const report = await d.replica.sync();
      expect(report.applied).toBe(1);
      expect(await d.calls.get(id)).toEqual(missed);
    }

    expect(await laptop!.calls.delete(id)).toBe(true);
    await laptop!.replica.sync();
    for (const d of [phone!, tablet!]) {
      await d.replica.sync();
      expect(await d.calls.get(id)).toBeUndefined();
    }
    // The server no longer holds the record's body: only the tombstone that replaced it.
    const page = await env.store.pullEnvelopes(phone!.account.accountId, 0, 100);
    expect(page.items.map((e) => e.kind)).toEqual(['tombstone']);
  });

  it('a record larger than one CBOR string limit (about 150 KiB) syncs through the server', async () => {
    const { devices } = await accountWith(env, 2);
    const [a, b] = await Promise.all(devices.map((d) => syncedDevice(d, env.clock.now)));
    const notes = a!.replica.collection<{ parts: string[] }>('notes');
    const big = { parts: ['a', 'b', 'c'].map((c) => c.repeat(50_000)) };
    const id = await notes.put(big);
    await a!.replica.sync();
    await b!.replica.sync();
    expect(await b!.replica.collection<{ parts: string[] }>('notes').get(id)).toEqual(big);
  });

  it('a collection with sync off never leaves the device (the opt-out the article asks for)', async () => {
    const { devices } = await accountWith(env, 2);
    const [a, b] = await Promise.all(devices.map((d) => syncedDevice(d, env.clock.now)));
    const { callLogOptions } = await import('../../src/sync/callLog.js');
    const privateCalls = a!.replica.collection('private-calls', callLogOptions({ sync: false }));
    const id = await privateCalls.put(call());
    expect(await a!.replica.pending()).toBe(0);
    await a!.replica.sync();
    await b!.replica.sync();
    expect(await privateCalls.get(id)).toBeDefined();
    expect(await b!.replica.collection('private-calls', callLogOptions({ sync: false })).get(id)).toBeUndefined();
    expect((await env.store.usage(a!.account.accountId)).envelopes).toBe(0);
  });

  it('"delete my server copy" removes a collection from the server and leaves every device its local copy', async () => {
    const { devices } = await accountWith(env, 2);
    const [a, b] = await Promise.all(devices.map((d) => syncedDevice(d, env.clock.now)));
    for (let i = 0; i < 3; i++) await a!.calls.put(call());
    await a!.replica.sync();
    await b!.replica.sync();
    expect(await a!.replica.deleteServerCopy('calls')).toBe(3);
    expect((await env.store.usage(a!.account.accountId)).envelopes).toBe(0);
    await b!.replica.sync();
    expect(await a!.calls.count()).toBe(3);
    expect(await b!.calls.count()).toBe(3);
  });

  it('two devices editing the same call converge', async () => {
    const { devices } = await accountWith(env, 2);
    const [a, b] = await Promise.all(devices.map((d) => syncedDevice(d, env.clock.now)));
    const id = await a!.calls.put(call({ durationSec: 10 }));
    await a!.replica.sync();
    await b!.replica.sync();
    await a!.calls.put({ ...(await a!.calls.get(id))!, durationSec: 20 }, id);
    await b!.calls.put({ ...(await b!.calls.get(id))!, durationSec: 30 }, id);
    await a!.replica.sync();
    await b!.replica.sync();
    await a!.replica.sync();
    expect((await a!.calls.get(id))!.durationSec).toBe((await b!.calls.get(id))!.durationSec);
  });

  it('a put with an invalid call record gets the field\'s typed error and nothing is queued', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    await expect(phone.calls.put({ ...call(), peer: '555-0123' })).rejects.toMatchObject({ code: 'CALL_PEER_INVALID' });
    expect(await phone.replica.pending()).toBe(0);
  });

  it('filters calls by peer, direction, service and missed', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const { listCalls } = await import('../../src/sync/callLog.js');
    await phone.calls.put(call({ peer: '+14155550100', direction: 'incoming', answered: false, durationSec: 0 }));
    await phone.calls.put(call({ peer: '+14155550100', direction: 'outgoing' }));
    await phone.calls.put(call({ peer: '+14155550111', service: 'facetime-video', direction: 'outgoing' }));
    expect(await listCalls(phone.calls, { peer: '+14155550100' })).toHaveLength(2);
    expect(await listCalls(phone.calls, { missed: true })).toHaveLength(1);
    expect(await listCalls(phone.calls, { service: 'facetime-video' })).toHaveLength(1);
    expect(await listCalls(phone.calls, { direction: 'outgoing' })).toHaveLength(2);
  });
});
