import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/core/cbor.js';
import { WIRE_ENCODE_LIMITS } from '../../src/http/messages.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { hostileFront, type HostileFront } from '../support/hostileFront.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
let front: HostileFront;
let chainPages = 0;
beforeEach(async () => {
  front = hostileFront();
  chainPages = 0;
  // Chain reads go through a front of their own that can say "more" forever.
  let endlessChain = false;
  const chainFront: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    if (!endlessChain || request.method !== 'GET' || !/\/chain$/.test(new URL(request.url).pathname)) return front.fetch(request);
    chainPages++;
    const entries = Array.from({ length: 1000 }, () => new Uint8Array(8));
    const body = encodeValue({ entries, head: new Uint8Array(32), length: 10_000_000, more: true }, WIRE_ENCODE_LIMITS);
    return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-type': 'application/cbor' } });
  };
  env = await startEnrollmentServer({ fetch: chainFront });
  (env as unknown as { endless: (on: boolean) => void }).endless = (on) => (endlessChain = on);
});
afterEach(async () => {
  await env.stop();
});

describe('bounded client loops', () => {
  it('endlessPullPagesEndWithError: a server that says "more" without moving on, or sends a chain without end, gets a typed error', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    await phone!.calls.put(call());
    await phone!.replica.sync();

    // A pull page that never advances the cursor.
    front.rewrite = (page) => ({ ...page, items: [], more: true, cursor: 0 });
    await expect(laptop!.replica.sync()).rejects.toMatchObject({ code: 'PULL_STALLED' });

    // A chain that never ends: the read stops once it is longer than any chain can be.
    front.rewrite = (page) => page;
    (env as unknown as { endless: (on: boolean) => void }).endless(true);
    await expect(laptop!.account.transport.readChain(0)).rejects.toMatchObject({ code: 'RESPONSE_INVALID' });
    expect(chainPages).toBeGreaterThan(100);
    expect(chainPages).toBeLessThanOrEqual(101);
  });
});
