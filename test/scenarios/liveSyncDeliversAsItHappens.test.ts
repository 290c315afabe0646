import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice, type SyncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

function nextRemoteChange(d: SyncedDevice): Promise<{ id: Uint8Array; value: unknown }> {
  return new Promise((resolve) => {
    const off = d.replica.on('change', (e) => {
      if (e.origin !== 'remote') return;
      off();
      resolve({ id: e.id, value: e.value });
    });
  });
}

describe('live sync', () => {
  it('a call written on one device reaches a live device through the change feed, and a local write is pushed at once', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const errors: unknown[] = [];
    const phoneLive = phone!.replica.live({ waitMs: 20_000, onError: (e) => errors.push(e) });
    const laptopLive = laptop!.replica.live({ waitMs: 20_000, onError: (e) => errors.push(e) });
    try {
      const arriving = nextRemoteChange(laptop!);
      // No sync() call: the phone's live loop pushes on the local write, the laptop's wakes on the feed.
      const written = call();
      const id = await phone!.calls.put(written);
      expect(await arriving).toEqual({ id, value: written }); // the event carries the value
      const back = nextRemoteChange(phone!);
      const reply = await laptop!.calls.put(call({ direction: 'outgoing' }));
      expect((await back).id).toEqual(reply);
    } finally {
      await phoneLive.stop();
      await laptopLive.stop();
    }
    expect(errors).toEqual([]);
  });
});
