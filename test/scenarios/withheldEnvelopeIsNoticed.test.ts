import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { deviceHex, hostileFront, type HostileFront } from '../support/hostileFront.js';
import { carries } from '../support/items.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
let front: HostileFront;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
});
afterEach(async () => {
  await env.stop();
});

describe('withholding', () => {
  it('withheldEnvelopeIsNoticed: the server drops one call for the tablet; the tablet reports it by record and sender', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    await tablet!.replica.sync();
    const kept = await phone!.calls.put(call());
    const hidden = await phone!.calls.put(call());
    await phone!.replica.sync();

    front.rewrite = (page) =>
      page.device === deviceHex(tablet!.account.device) ? { ...page, items: page.items.filter((i) => !carries(i, hidden)) } : page;
    const report = await tablet!.replica.sync();
    await laptop!.replica.sync();

    expect(await tablet!.calls.get(kept)).toBeDefined();
    expect(await tablet!.calls.get(hidden)).toBeUndefined();
    expect(report.withheld).toBe(1);
    const alarm = tablet!.events.withheld.at(-1)!;
    expect(alarm.code).toBe('RECORDS_WITHHELD');
    expect(alarm.records).toEqual([expect.objectContaining({ recordId: hidden, sender: phone!.account.device.id, revision: 1 })]);
    // Honest for the laptop: nothing to report there.
    expect(await laptop!.calls.get(hidden)).toBeDefined();
    expect(laptop!.events.withheld).toEqual([]);

    // The alarm stays until the record arrives: the server stops lying, the next sync clears it.
    front.rewrite = (page) => page;
    const again = await tablet!.replica.sync();
    expect(again.withheld).toBe(1); // the cursor is past it: only a new copy (or a grant) can deliver it
    await phone!.calls.put({ ...(await phone!.calls.get(hidden))!, durationSec: 1 }, hidden);
    await phone!.replica.sync();
    const cleared = await tablet!.replica.sync();
    expect(cleared.withheld).toBe(0);
    expect(await tablet!.calls.get(hidden)).toMatchObject({ durationSec: 1 });
  });
});
