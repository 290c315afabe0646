/**
 * HttpClient over real HTTP through a fault-injecting proxy: what it retries (GET, push, purge), what
 * it never retries (appendChain, mailboxTake, mailboxPut, createAccount), how it waits
 * (Retry-After, backoff), and how every failure surfaces as a RemoteError with code and status.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { encodeValue } from '../../src/core/cbor.js';
import { Device } from '../../src/core/device.js';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { RemoteError } from '../../src/errors.js';
import { deviceKeys, makeAdd, signConsent } from '../../src/enrollment/chainOps.js';
import { callRecord, createAccount, logFor, sealFrom, startServer, type Harness, type TestAccount } from '../server/harness.js';
import { startFaultProxy, type FaultProxy } from './faultProxy.js';

let h: Harness;
let proxy: FaultProxy;
let account: TestAccount;

const FAST = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };
const cbor = { 'content-type': 'application/cbor' };

function client(device = 0, retry: false | typeof FAST = FAST): HttpClient {
  return new HttpClient({ baseUrl: proxy.url, device: account.devices[device]!, accountId: account.accountId, retry });
}

beforeAll(async () => {
  h = await startServer();
  proxy = await startFaultProxy(h.url);
  account = await createAccount(h.url, 2);
});
afterEach(() => {
  proxy.plan = () => ({ kind: 'forward' });
  proxy.seen.length = 0;
});
afterAll(async () => {
  await proxy.close();
  await h.stop();
});

describe('retried calls', () => {
  it('a pull gets through two 503s and a dropped connection', async () => {
    proxy.plan = (_, i) => (i < 2 ? { kind: 'respond', status: 503, body: encodeValue({ code: 'UNAVAILABLE', message: 'x' }), headers: cbor } : i === 2 ? { kind: 'drop-before' } : { kind: 'forward' });
    await expect(client().pull(0)).resolves.toMatchObject({ more: false });
    expect(proxy.seen).toHaveLength(4);
  });

  it('a push whose response was lost is retried and stored once', async () => {
    const batch = Array.from({ length: 5 }, (_, i) => sealFrom(account, 0, callRecord(i)));
    const log = await logFor(account, 0, batch);
    const before = await h.store.usage(account.accountId);
    proxy.plan = (_, i) => (i === 0 ? { kind: 'drop-after' } : { kind: 'forward' });
    expect(await client().push(batch, log.bytes)).toEqual(Array(5).fill('duplicate'));
    expect(proxy.seen).toHaveLength(2);
    // The five envelopes and their checkpoint, once each.
    expect((await h.store.usage(account.accountId)).envelopes).toBe(before.envelopes + 6);
    expect(await h.store.logHead(account.accountId, account.devices[0]!.id)).toMatchObject({ hash: log.hash });
  });

  it('a purge whose response was lost is retried; the retry finds nothing left to delete', async () => {
    const batch = Array.from({ length: 3 }, (_, i) => sealFrom(account, 0, callRecord(50 + i)));
    await client().push(batch, (await logFor(account, 0, batch)).bytes);
    const before = await h.store.usage(account.accountId);
    const ids = batch.map((e) => parseEnvelope(e).recordId);
    const log = await logFor(account, 0, [], { purges: ids.map((recordId) => ({ recordId, upToRevision: 0 })) });
    proxy.seen.length = 0;
    proxy.plan = (_, i) => (i === 0 ? { kind: 'drop-after' } : { kind: 'forward' });
    expect(await client().purge(log.bytes)).toBe(0);
    expect(proxy.seen).toHaveLength(2);
    // Three envelopes gone, the purge's checkpoint stored once.
    expect((await h.store.usage(account.accountId)).envelopes).toBe(before.envelopes - 3 + 1);
  });

  it('429 waits at least Retry-After', async () => {
    proxy.plan = (_, i) => (i === 0 ? { kind: 'respond', status: 429, headers: { ...cbor, 'retry-after': '1' }, body: encodeValue({ code: 'RATE_LIMITED', message: 'slow down' }) } : { kind: 'forward' });
    const started = Date.now();
    await client().health();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the bounded number of attempts with the last error', async () => {
    proxy.plan = () => ({ kind: 'respond', status: 503, body: encodeValue({ code: 'UNAVAILABLE', message: 'down' }), headers: cbor });
    await expect(client().pull(0)).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(proxy.seen).toHaveLength(4);
    proxy.seen.length = 0;
    await expect(client(0, false).pull(0)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(proxy.seen).toHaveLength(1);
  });

  it('CHAIN_CORRUPT and QUOTA_EXCEEDED are final at once, although 5xx: retrying cannot help', async () => {
    for (const [code, status] of [['CHAIN_CORRUPT', 500], ['QUOTA_EXCEEDED', 507]] as const) {
      proxy.seen.length = 0;
      proxy.plan = () => ({ kind: 'respond', status, body: encodeValue({ code, message: 'x' }), headers: cbor });
      const envelopes = [sealFrom(account, 0, callRecord(60))];
      await expect(client().push(envelopes, (await logFor(account, 0, envelopes)).bytes)).rejects.toMatchObject({ code, status });
      expect(proxy.seen).toHaveLength(1);
    }
    // An uncatalogued code, or a catalogued one with another status, is retried by its status.
    for (const [code, status] of [['SOMETHING_NEW', 500], ['CHAIN_CORRUPT', 503]] as const) {
      proxy.seen.length = 0;
      proxy.plan = () => ({ kind: 'respond', status, body: encodeValue({ code, message: 'x' }), headers: cbor });
      await expect(client().pull(0)).rejects.toMatchObject({ code, status });
      expect(proxy.seen).toHaveLength(4);
    }
  });

  it('a 4xx is final at once', async () => {
    const stranger = new HttpClient({ baseUrl: proxy.url, device: await Device.generate(), accountId: account.accountId, retry: FAST });
    await expect(stranger.pull(0)).rejects.toMatchObject({ code: 'DEVICE_UNKNOWN', status: 401 });
    expect(proxy.seen).toHaveLength(1);
  });
});

describe('calls never retried', () => {
  const unavailable = (): { kind: 'respond'; status: number; body: Uint8Array; headers: Record<string, string> } => ({
    kind: 'respond',
    status: 503,
    body: encodeValue({ code: 'UNAVAILABLE', message: 'x' }),
    headers: cbor,
  });

  it('appendChain: one attempt, even when the response was lost after the server appended', async () => {
    const joiner = await Device.generate();
    const add = makeAdd(account.devices[0]!, account.state, deviceKeys(joiner), signConsent(joiner, account.accountId));
    proxy.plan = () => ({ kind: 'drop-after' });
    await expect(client().appendChain(add.bytes, account.state.head)).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(proxy.seen).toHaveLength(1);
    // It did land: the caller learns that by reading the chain, not by blindly re-sending.
    proxy.plan = () => ({ kind: 'forward' });
    expect((await client().readChain()).head).toEqual(add.hash);
    proxy.seen.length = 0;
    proxy.plan = unavailable;
    await expect(client().appendChain(add.bytes, add.hash)).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(proxy.seen).toHaveLength(1);
  });

  it('mailboxTake and mailboxPut: one attempt each', async () => {
    proxy.plan = unavailable;
    const id = crypto.getRandomValues(new Uint8Array(32));
    await expect(client().mailboxTake(id)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(client().mailboxPut(id, new Uint8Array(5), 60_000)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(proxy.seen).toHaveLength(2);
  });

  it('createAccount: one attempt', async () => {
    proxy.plan = () => ({ kind: 'drop-before' });
    const fresh = new HttpClient({ baseUrl: proxy.url, device: await Device.generate(), retry: FAST });
    await expect(fresh.createAccount(new Uint8Array([0xa0]))).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(proxy.seen).toHaveLength(1);
  });
});

describe('what a failure looks like', () => {
  it('an unreachable server is NETWORK_ERROR with status 0 after the attempts', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const nowhere = new HttpClient({ baseUrl: 'http://127.0.0.1:1', device: account.devices[0]!, accountId: account.accountId, retry: FAST, fetch: counting });
    const error = await nowhere.pull(0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(calls).toBe(4);
  });

  it('an HTML error page from a proxy is HTTP_ERROR with its status', async () => {
    proxy.plan = () => ({ kind: 'respond', status: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } });
    await expect(client(0, false).health()).rejects.toMatchObject({ code: 'HTTP_ERROR', status: 502 });
  });

  it('a malformed or oversize success body is RESPONSE_INVALID / RESPONSE_TOO_LARGE', async () => {
    proxy.plan = () => ({ kind: 'respond', status: 200, body: new Uint8Array([0xff, 0x00, 0x13]), headers: cbor });
    await expect(client(0, false).pull(0)).rejects.toMatchObject({ code: 'RESPONSE_INVALID' });
    proxy.plan = () => ({ kind: 'respond', status: 200, body: encodeValue({ items: 'x', cursor: 1, more: false }), headers: cbor });
    await expect(client(0, false).pull(0)).rejects.toMatchObject({ code: 'RESPONSE_INVALID' });
    proxy.plan = () => ({ kind: 'respond', status: 200, body: new Uint8Array(2048), headers: cbor });
    const tiny = new HttpClient({ baseUrl: proxy.url, device: account.devices[0]!, accountId: account.accountId, retry: false, limits: { maxResponseBytes: 1024 } });
    await expect(tiny.pull(0)).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
  });

  it('a wait aborted by the caller rejects with the abort reason and is not retried', async () => {
    const controller = new AbortController();
    const waiting = client(1).wait(1_000_000, 20_000, controller.signal);
    setTimeout(() => controller.abort(new Error('screen closed')), 100);
    await expect(waiting).rejects.toThrow('screen closed');
    expect(proxy.seen).toHaveLength(1);
  });

  it('calls that need an account refuse to start without one', async () => {
    const noAccount = new HttpClient({ baseUrl: proxy.url, device: account.devices[0]! });
    await expect(noAccount.pull(0)).rejects.toMatchObject({ code: 'ACCOUNT_REQUIRED' });
    expect(proxy.seen).toHaveLength(0);
  });
});
