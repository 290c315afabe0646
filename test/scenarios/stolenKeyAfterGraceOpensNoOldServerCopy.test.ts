import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { hostileFront, type HostileFront } from '../support/hostileFront.js';
import { call, syncedDevice } from '../support/syncHarness.js';
import { steal, thiefOpens } from '../support/thief.js';

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

describe('forward secrecy', () => {
  it('stolenKeyAfterGraceOpensNoOldServerCopy: an operator kept every envelope; the laptop is stolen after its old epochs were forgotten', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    await laptop!.replica.sync();
    // A call the person later deletes: afterwards, only a harvested server copy holds it.
    const deleted = await phone!.calls.put(call());
    await phone!.replica.sync();
    await laptop!.replica.sync();
    const harvest = [...front.seen.values()].flat();
    const early = await steal(laptop!.account.device, laptop!.store);
    await phone!.calls.delete(deleted);

    // Weeks of normal use: each device rolls its epoch weekly, and forgets an epoch 14 days after it ended.
    for (let week = 0; week < 4; week++) {
      env.clock.advance(7 * DAY + 1);
      await phone!.replica.sync();
      await laptop!.replica.sync();
      await phone!.replica.sync();
    }
    expect(laptop!.account.device.epochs.current!.epoch).toBeGreaterThanOrEqual(3);
    expect(laptop!.account.device.epochs.get(0)).toBeUndefined();

    const state = phone!.account.chain.state;
    const late = await steal(laptop!.account.device, laptop!.store);
    // Had the thief come early, the harvested copy would open: the test can tell.
    expect(await thiefOpens(early, phone!.account.accountId, state, harvest)).toContain(toHex(deleted));
    // Now it opens nothing of what the operator kept from before the grace window.
    const opened = await thiefOpens(late, phone!.account.accountId, state, harvest);
    expect([...opened]).toEqual([]);
  });
});
