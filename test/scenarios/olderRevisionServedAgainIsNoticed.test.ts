import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
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

describe('rollback', () => {
  it('olderRevisionServedAgainIsNoticed: the tablet never saw the edit; the server serves it the old version in its place', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const id = await phone!.calls.put(call({ durationSec: 10 }));
    await phone!.replica.sync();
    await laptop!.replica.sync(); // the laptop's pull records the first version's bytes at the front
    const old = front.seen.get(deviceHex(laptop!.account.device))!.find((i) => carries(i, id))!;
    expect(parseEnvelope(old).revision).toBe(1);

    await phone!.calls.put({ ...(await phone!.calls.get(id))!, durationSec: 99 }, id);
    await phone!.replica.sync();
    // The tablet syncs for the first time since: the server swaps the new version for the old one.
    front.rewrite = (page) =>
      page.device === deviceHex(tablet!.account.device) ? { ...page, items: page.items.map((i) => (carries(i, id) ? old : i)) } : page;
    const report = await tablet!.replica.sync();

    expect(report.withheld).toBe(1);
    expect(tablet!.events.withheld.at(-1)!.records).toEqual([expect.objectContaining({ recordId: id, revision: 2 })]);
    expect((await tablet!.calls.get(id))?.durationSec).not.toBe(99);
  });
});
