import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { isCheckpoint } from '../../src/core/logCheckpoint.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { deviceHex, hostileFront, type HostileFront } from '../support/hostileFront.js';
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
  it('hiddenTombstoneIsNoticed: the phone deletes a call; the server keeps the deletion from the tablet, which reports it', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const id = await phone!.calls.put(call());
    await phone!.replica.sync();
    await tablet!.replica.sync();
    expect(await tablet!.calls.get(id)).toBeDefined();

    await phone!.calls.delete(id);
    await phone!.replica.sync();
    front.rewrite = (page) =>
      page.device === deviceHex(tablet!.account.device)
        ? { ...page, items: page.items.filter((i) => isCheckpoint(i) || parseEnvelope(i).kind !== 'tombstone') }
        : page;
    const report = await tablet!.replica.sync();

    // The tablet still shows the call (it cannot know better), but says the server owes it a newer version.
    expect(await tablet!.calls.get(id)).toBeDefined();
    expect(report.withheld).toBe(1);
    expect(tablet!.events.withheld.at(-1)!.records).toEqual([expect.objectContaining({ recordId: id, revision: 2, sender: phone!.account.device.id })]);
  });
});
