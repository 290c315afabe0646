import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWith, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('newDeviceSeesFullHistory', () => {
  it('a laptop paired after 1,200 calls asks its approver for the history at its first sync, and sees every call, deletions included, once the phone has synced', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const ids: Uint8Array[] = [];
    for (let i = 0; i < 1200; i++) ids.push(await phone.calls.put(call()));
    await phone.calls.delete(ids[0]!);
    await phone.replica.sync();

    const laptop = await syncedDevice(await pairByQr(env, phone.account), env.clock.now);
    // Nothing was sealed for it: it holds every envelope, and its first push names the phone (the device that added it).
    const first = await laptop.replica.sync();
    expect(await laptop.calls.count()).toBe(0);
    expect(first.held).toBe(1200);
    expect(first.withheld).toBe(0);
    // The phone answers at its next sync with grants from its own keyed records.
    await phone.replica.sync();
    const second = await laptop.replica.sync();
    expect(await laptop.calls.count()).toBe(1199);
    expect(await laptop.calls.get(ids[1]!)).toEqual(await phone.calls.get(ids[1]!));
    expect(await laptop.calls.get(ids[0]!)).toBeUndefined();
    expect(second.held).toBe(0);
    expect(second.withheld).toBe(0);
    expect(laptop.events.rejected).toEqual([]);
  });

  it('the approver can hand the history over at once, without waiting to be asked', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const ids: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) ids.push(await phone.calls.put(call()));
    await phone.calls.delete(ids[0]!);
    await phone.replica.sync();

    const laptopAccount = await pairByQr(env, phone.account);
    await phone.account.refresh();
    expect(await phone.replica.handoffTo(laptopAccount.device.public)).toBe(20); // 19 live records and one tombstone
    const laptop = await syncedDevice(laptopAccount, env.clock.now);
    await laptop.replica.sync();
    expect(await laptop.calls.count()).toBe(19);
    expect(await laptop.calls.get(ids[1]!)).toEqual(await phone.calls.get(ids[1]!));
    expect(await laptop.calls.get(ids[0]!)).toBeUndefined();
    expect(await laptop.store.heldCount()).toBe(0);
  });

  it('a call queued before the writer learned of a new device is sealed for it at push time', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const laptopAccount = await pairByQr(env, phone.account);
    // Written while the tablet is not yet on the list, and still in the outbox when it joins.
    const early = await phone.calls.put(call());
    const tabletAccount = await pairByQr(env, phone.account);
    await phone.replica.sync();
    const tablet = await syncedDevice(tabletAccount, env.clock.now);
    const laptop = await syncedDevice(laptopAccount, env.clock.now);
    await tablet.replica.sync();
    await laptop.replica.sync();
    expect(await tablet.calls.get(early)).toBeDefined();
    expect(await laptop.calls.get(early)).toBeDefined();
    expect(await tablet.store.heldCount()).toBe(0); // opened directly, no grant needed
  });

  it('the handoff can be bounded to the last N days', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const now = env.clock.now();
    await phone.calls.put(call({ startedAt: now - 40 * 86_400_000 }));
    const recent = await phone.calls.put(call({ startedAt: now - 2 * 86_400_000 }));
    await phone.replica.sync();
    const laptopAccount = await pairByQr(env, phone.account);
    await phone.account.refresh();
    expect(await phone.replica.handoffTo(laptopAccount.device.public, { sinceDays: 30 })).toBe(1);
    const laptop = await syncedDevice(laptopAccount, env.clock.now);
    await laptop.replica.sync();
    expect((await laptop.calls.list()).map((e) => e.id)).toEqual([recent]);
  });
});
