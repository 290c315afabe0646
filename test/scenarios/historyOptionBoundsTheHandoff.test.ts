import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMultikeySyncError } from '../../src/errors.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { countPushedEnvelopes, pairByCodeThroughReplica, pairByQrThroughReplica } from '../support/replicaPairing.js';
import { call, syncedDevice } from '../support/syncHarness.js';

const DAY = 86_400_000;
let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

/** A phone with two calls from 40 days ago and one from 2 days ago, synced. */
async function phoneWithOldAndRecentCalls() {
  const { devices } = await accountWith(env, 1);
  const phone = await syncedDevice(devices[0]!, env.clock.now);
  const now = env.clock.now();
  await phone.calls.put(call({ startedAt: now - 40 * DAY }));
  await phone.calls.put(call({ startedAt: now - 41 * DAY }));
  const recent = await phone.calls.put(call({ startedAt: now - 2 * DAY }));
  await phone.replica.sync();
  return { phone, recent };
}

describe('historyOptionBoundsTheHandoff', () => {
  it('{ sinceDays: 30 } hands over the last 30 days only, and the laptop does not ask for the rest later', async () => {
    const { phone, recent } = await phoneWithOldAndRecentCalls();
    const laptop = await syncedDevice(await pairByQrThroughReplica(env, phone, { sinceDays: 30 }), env.clock.now);
    const first = await laptop.replica.sync();
    expect((await laptop.calls.list()).map((e) => e.id)).toEqual([recent]);
    expect(first.held).toBe(2); // the two old calls stay sealed away
    const pushedByPhone = countPushedEnvelopes(phone);
    await phone.replica.sync();
    await laptop.replica.sync();
    expect(pushedByPhone.count).toBe(0);
    expect(await laptop.calls.count()).toBe(1);
  });

  it("'none' hands over nothing, the laptop does not ask, and what is written after the approval reaches it", async () => {
    const { phone } = await phoneWithOldAndRecentCalls();
    const laptop = await syncedDevice(await pairByCodeThroughReplica(env, phone, 'none'), env.clock.now);
    await laptop.replica.sync();
    expect(await laptop.calls.count()).toBe(0);
    const pushedByPhone = countPushedEnvelopes(phone);
    await phone.replica.sync();
    await laptop.replica.sync();
    expect(pushedByPhone.count).toBe(0);
    expect(await laptop.calls.count()).toBe(0);
    const later = await phone.calls.put(call());
    await phone.replica.sync();
    await laptop.replica.sync();
    expect((await laptop.calls.list()).map((e) => e.id)).toEqual([later]);
    expect(laptop.events.rejected).toEqual([]);
  });

  it('a history option that is none of these is refused, naming the field, before any pairing starts', async () => {
    const { phone } = await phoneWithOldAndRecentCalls();
    const length = phone.account.chain.state.length;
    const options = { confirm: async () => true, showSas: () => undefined, confirmSas: async () => true };
    for (const history of ['some', { sinceDays: 0 }, { sinceDays: -3 }, { sinceDays: Infinity }, { sinceDays: '30' }, { since: 30 }, null, []]) {
      for (const approval of [
        phone.replica.approveOffer('multikey-sync://not-even-read', { ...options, history } as never),
        phone.replica.approveCode('0000-0000-00', { ...options, history } as never),
      ]) {
        const error = await approval.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isMultikeySyncError(error, 'HISTORY_OPTION_INVALID'), String(error)).toBe(true);
        expect((error as Error).message).toMatch(/options\.history/);
      }
    }
    await expect(phone.replica.handoffTo(phone.account.device.public, { sinceDays: -1 })).rejects.toMatchObject({ code: 'HISTORY_OPTION_INVALID' });
    expect(phone.account.chain.state.length).toBe(length);
  });
});
