import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { deviceHex, hostileFront, type HostileFront } from '../support/hostileFront.js';
import { call, syncedDevice } from '../support/syncHarness.js';
import { writeAsThief } from '../support/thief.js';

let env: EnrollmentEnv;
let front: HostileFront;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
});
afterEach(async () => {
  await env.stop();
});

describe('write authority', () => {
  it('removedDeviceCannotWriteEvenWithOldHead: a thief with the removed laptop deletes and plants calls; the operator serves them; no device applies them', async () => {
    const { devices } = await accountWith(env, 3);
    const laptopStore = new MemoryLocalStore();
    const [phone, tablet] = await Promise.all([syncedDevice(devices[0]!, env.clock.now), syncedDevice(devices[2]!, env.clock.now)]);
    const laptop = await syncedDevice(devices[1]!, env.clock.now, laptopStore);
    const id = await phone.calls.put(call());
    for (const d of [phone, laptop, tablet]) await d.replica.sync();
    expect(await laptop.calls.get(id)).toBeDefined();

    // The laptop is stolen; the owner removes it from the phone.
    await phone.account.remove(laptop.account.device.id);
    await phone.replica.sync();
    await tablet.replica.sync();

    // The thief writes with the laptop's keys, naming the chain head from before the removal.
    const forged = await writeAsThief(laptop.account, laptopStore, env.clock.now, async (thief) => {
      await thief.collection('calls').delete(id);
      await thief.collection('calls').put(call({ peer: '+19005550199' }));
      await thief.sync();
    });
    expect(forged.length).toBeGreaterThanOrEqual(3);

    // The operator serves the thief's log and envelopes to everyone.
    front.rewrite = (page) => (page.device === deviceHex(laptop.account.device) ? page : { ...page, items: [...page.items, ...forged] });
    const changes: unknown[] = [];
    phone.replica.on('change', (e) => changes.push(e));
    tablet.replica.on('change', (e) => changes.push(e));
    for (const d of [phone, tablet]) {
      await d.replica.sync();
      expect(await d.calls.get(id)).toBeDefined();
      expect(await d.calls.count()).toBe(1);
      expect(d.events.rejected.map((r) => r.code)).toContain('LOG_UNAUTHORIZED');
    }
    expect(changes).toEqual([]);
  });
});
