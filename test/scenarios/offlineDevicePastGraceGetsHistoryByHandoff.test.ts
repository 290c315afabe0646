import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { findStanza } from '../../src/core/open.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { deviceHex, hostileFront, type HostileFront } from '../support/hostileFront.js';
import { carries } from '../support/items.js';
import { call, syncedDevice } from '../support/syncHarness.js';

const DAY = 86_400_000;
let env: EnrollmentEnv;
let front: HostileFront;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
});
afterEach(async () => {
  await env.stop();
});

describe('epochs', () => {
  it('offlineDevicePastGraceGetsHistoryByHandoff: a tablet left in a drawer for a month is no longer sealed for; on its return it gets the history by grants', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, laptop, tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    for (const d of [phone, laptop, tablet]) await d!.replica.sync();
    const early = await phone!.calls.put(call());
    await phone!.replica.sync();

    // The tablet stays off. Weeks pass; the phone and laptop roll their epochs as usual.
    const late: Uint8Array[] = [];
    for (let week = 0; week < 5; week++) {
      env.clock.advance(7 * DAY + 1);
      late.push(await phone!.calls.put(call()));
      await phone!.replica.sync();
      await laptop!.replica.sync();
    }
    // After an epoch and its grace without a new statement from the tablet, nothing is sealed for it.
    const last = front.seen.get(deviceHex(laptop!.account.device))!.filter((i) => carries(i, late.at(-1)!));
    expect(findStanza(parseEnvelope(last.at(-1)!).stanzas, tablet!.account.device.id)).toBe(-1);

    // The tablet comes back: it holds what it cannot open, rolls its epoch and asks for the history.
    const first = await tablet!.replica.sync();
    expect(first.held).toBeGreaterThan(0);
    await phone!.replica.sync(); // the phone (the most recent writer) answers with grants
    await laptop!.replica.sync();
    const second = await tablet!.replica.sync();
    expect(second.held).toBe(0);
    expect(second.withheld).toBe(0);
    expect(tablet!.events.rejected).toEqual([]);
    for (const id of [early, ...late]) expect(await tablet!.calls.get(id)).toEqual(await phone!.calls.get(id));
    expect(tablet!.account.device.epochs.current!.epoch).toBeGreaterThan(0);
  });
});
