import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Account } from '../../src/enrollment/account.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

/** A fetch that fails the `nth` request matching `pattern`, once: before sending it, or after the server answered. */
function flakyFetch(pattern: RegExp, nth: number, when: 'before' | 'after'): typeof fetch {
  let seen = 0;
  return async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const hit = pattern.test(url) && ++seen === nth;
    if (hit && when === 'before') throw new TypeError('fetch failed: connection reset');
    const response = await fetch(input, init);
    if (hit) throw new TypeError('fetch failed: connection reset after the server answered');
    return response;
  };
}

function withTransport(account: Account<HttpClient>, fetchImpl: typeof fetch): Account<HttpClient> {
  const transport = new HttpClient({ baseUrl: env.url, device: account.device, accountId: account.accountId, clock: env.clock.now, fetch: fetchImpl, retry: false });
  return Account.restore({ device: account.device, chain: account.chain, transport, clock: env.clock.now });
}

describe('a sync interrupted half-way resumes without losing or duplicating a record', () => {
  it('a push whose answer was lost is sent again and stored once; a pull cut off mid-way picks up where it stopped', async () => {
    const { devices } = await accountWith(env, 2);
    const phone = await syncedDevice(withTransport(devices[0]!, flakyFetch(/\/envelopes$/, 2, 'after')), env.clock.now);
    const laptop = await syncedDevice(withTransport(devices[1]!, flakyFetch(/\/envelopes\?/, 2, 'before')), env.clock.now);
    for (let i = 0; i < 1200; i++) await phone.calls.put(call());

    await expect(phone.replica.sync()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(await phone.replica.pending()).toBe(200); // the first batch of 1,000 was acknowledged
    await phone.replica.sync();
    expect(await phone.replica.pending()).toBe(0);
    const stored = (await env.store.pullEnvelopes(phone.account.accountId, 0, 10_000)).items;
    expect(stored.filter((i) => i.kind !== 'log')).toHaveLength(1200);
    // One checkpoint per batch: the batch sent again was taken as the duplicate it is.
    expect(stored.filter((i) => i.kind === 'log')).toHaveLength(2);

    await expect(laptop.replica.sync()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(await laptop.calls.count()).toBe(999); // the first page (the phone's checkpoint and 999 calls) was applied with its cursor
    await laptop.replica.sync();
    expect(await laptop.calls.count()).toBe(1200);
    const ids = new Set((await laptop.calls.list()).map((e) => Buffer.from(e.id).toString('hex')));
    expect(ids.size).toBe(1200);
  });
});
