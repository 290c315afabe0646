/**
 * The clock offset a client adopts from the server's unauthenticated `mks-server-time` is
 * bounded to ±24 h: within it a device with a wrong clock works (and every answer keeps the
 * offset fresh); beyond it the offset is not adopted, and a stale request fails with
 * `CLOCK_OFFSET_TOO_LARGE` instead of being signed with whatever time a server names.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CLOCK_OFFSET_MS, ServerClock } from '../../src/core/serverClock.js';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { HEADERS } from '../../src/http/routes.js';
import { createGenesis } from '../../src/enrollment/chainOps.js';
import { startServer, type Harness } from '../server/harness.js';

const T0 = 1_800_000_000_000;
const HOUR = 60 * 60_000;
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('ServerClock', () => {
  it('adopts an offset within ±24 h and keeps the old one otherwise', () => {
    const clock = new ServerClock(() => T0);
    expect(clock.learn(T0 + MAX_CLOCK_OFFSET_MS)).toBe(true);
    expect(clock.now()).toBe(T0 + MAX_CLOCK_OFFSET_MS);
    expect(clock.learn(T0 - MAX_CLOCK_OFFSET_MS - 1)).toBe(false);
    expect(clock.offsetMs).toBe(MAX_CLOCK_OFFSET_MS);
    for (const bad of [NaN, Infinity, 1.5, -1, 0]) expect(clock.learn(bad)).toBe(false);
    expect(clock.learn(T0 - HOUR)).toBe(true);
    expect(clock.offsetMs).toBe(-HOUR);
  });
});

describe('a client and the server clock', () => {
  it('a device 23 hours ahead learns the offset from the first answer and works', async () => {
    h = await startServer({ clock: () => T0 });
    const device = await Device.generate();
    const client = new HttpClient({ baseUrl: h.url, device, clock: () => T0 + 23 * HOUR });
    await client.createAccount(createGenesis(device, { now: T0 }).bytes);
    expect(client.clockOffsetMs).toBe(-23 * HOUR);
    await expect(client.pull(0)).resolves.toMatchObject({ items: [] });
  });

  it('a device two days ahead does not adopt the server clock and gets CLOCK_OFFSET_TOO_LARGE', async () => {
    h = await startServer({ clock: () => T0 });
    const device = await Device.generate();
    const { account } = await new HttpClient({ baseUrl: h.url, device, clock: () => T0 }).createAccount(createGenesis(device, { now: T0 }).bytes);
    const far = new HttpClient({ baseUrl: h.url, device, accountId: account, clock: () => T0 + 48 * HOUR });
    await expect(far.pull(0)).rejects.toMatchObject({ code: 'CLOCK_OFFSET_TOO_LARGE', status: 401 });
    expect(far.clockOffsetMs).toBe(0);
  });

  it('a front that rewrites mks-server-time by three days cannot move the device clock', async () => {
    h = await startServer({ clock: () => T0 });
    const lying: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const headers = new Headers(response.headers);
      headers.set(HEADERS.serverTime, String(T0 + 72 * HOUR));
      return new Response(await response.arrayBuffer(), { status: response.status, headers });
    };
    const client = new HttpClient({ baseUrl: h.url, device: await Device.generate(), clock: () => T0, fetch: lying });
    await client.health();
    expect(client.clockOffsetMs).toBe(0);
    expect(client.serverClock.now()).toBe(T0);
  });
});
