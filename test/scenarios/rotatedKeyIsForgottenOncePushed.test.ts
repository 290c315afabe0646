/**
 * Issue #9 item 8: a replica keeps the device it ran as before a key rotation only while its
 * outbox may still hold envelopes sealed under the old key (docs/decisions.md, "Enrollment").
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Device } from '../../src/core/device.js';
import { AccountView } from '../../src/sync/accountView.js';
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

describe('rotatedKeyIsForgottenOncePushed', () => {
  it('the laptop reseals a queued record with its old key, then lets the old key go once its outbox is empty', async () => {
    const { devices } = await accountWith(env, 4);
    const [phone, laptop, tablet, watch] = devices;
    const replica = await syncedDevice(laptop!, env.clock.now);
    // Which devices the replica tries when it must reopen its own queued envelope.
    const tried: Device[][] = [];
    const original = AccountView.prototype.devicesNewestFirst;
    vi.spyOn(AccountView.prototype, 'devicesNewestFirst').mockImplementation(function (this: AccountView) {
      const list = original.call(this);
      tried.push(list);
      return list;
    });

    // Queued under the first key; the key rotates; the device list changes before the push, so
    // the queued envelope must be reopened (with the first key) and sealed again.
    const first = laptop!.device;
    await replica.calls.put(call());
    const second = await laptop!.rotateKey();
    await phone!.remove(tablet!.device.id);
    await replica.replica.sync();
    expect(tried).toEqual([[second, first]]);

    // The outbox emptied: the first key is no longer held. The same story again shows only the
    // second key among the candidates.
    await replica.calls.put(call());
    const third = await laptop!.rotateKey();
    await phone!.remove(watch!.device.id);
    await replica.replica.sync();
    expect(tried[1]).toEqual([third, second]);
    expect(tried[1]).not.toContain(first);
  });
});
