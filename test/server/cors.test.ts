/**
 * CORS: off unless origins are configured; then only those origins, preflight answered, and the
 * headers the client reads (`retry-after`, `mks-server-time`) exposed, on errors too, since a
 * browser hides a response without Access-Control-Allow-Origin and the client would see only
 * NETWORK_ERROR instead of the server's code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import { MemoryStore } from '../../src/storage/memoryStore.js';
import { HEADERS } from '../../src/http/routes.js';
import { decodeValue } from '../../src/core/cbor.js';
import { requestOrigin, signRequest } from '../../src/http/signing.js';
import { toHex } from '../../src/crypto/bytes.js';
import { createAccount } from './harness.js';

const APP = 'https://app.example';
const OTHER = 'https://evil.example';
const BASE = 'http://sync.test';

let servers: SyncServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function server(corsOrigins?: readonly string[], limits = {}): SyncServer {
  const s = createServer({ store: new MemoryStore(), limits, ...(corsOrigins === undefined ? {} : { corsOrigins }) });
  servers.push(s);
  return s;
}

function preflight(s: SyncServer, origin: string, method = 'POST', headers = 'content-type,mks-account,mks-device,mks-time,mks-nonce,mks-signature') {
  return s.fetch(
    new Request(`${BASE}/v1/accounts`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    }),
  );
}

function csv(value: string | null): string[] {
  return (value ?? '').split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
}

describe('CORS', () => {
  it('is off by default: no Access-Control headers, and a preflight finds no route', async () => {
    const s = server();
    const get = await s.fetch(new Request(`${BASE}/v1/health`, { headers: { origin: APP } }));
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await preflight(s, APP);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.status).toBe(404);
  });

  it('answers the preflight of a configured origin with the methods and mks-* headers', async () => {
    const s = server([APP]);
    const pre = await preflight(s, APP);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
    expect(csv(pre.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'post', 'put']));
    expect(csv(pre.headers.get('access-control-allow-headers'))).toEqual(
      expect.arrayContaining(['content-type', HEADERS.account, HEADERS.device, HEADERS.time, HEADERS.nonce, HEADERS.signature]),
    );
    expect(csv(pre.headers.get('vary'))).toContain('origin');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('gives an origin that is not configured no Access-Control-Allow-Origin', async () => {
    const s = server([APP]);
    expect((await preflight(s, OTHER)).headers.get('access-control-allow-origin')).toBeNull();
    const get = await s.fetch(new Request(`${BASE}/v1/health`, { headers: { origin: OTHER } }));
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    // "null" (sandboxed frames, file: pages) is not a wildcard.
    expect((await preflight(s, 'null')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('exposes the headers the client reads on answers to a configured origin', async () => {
    const s = server([APP, 'http://127.0.0.1:5173']);
    for (const origin of [APP, 'http://127.0.0.1:5173']) {
      const get = await s.fetch(new Request(`${BASE}/v1/health`, { headers: { origin } }));
      expect(get.status).toBe(200);
      expect(get.headers.get('access-control-allow-origin')).toBe(origin);
      expect(csv(get.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['retry-after', HEADERS.serverTime]));
      expect(csv(get.headers.get('vary'))).toContain('origin');
    }
  });

  it('keeps the CORS headers on errors, so the browser client reads the code', async () => {
    const s = server([APP]);
    const missing = await s.fetch(new Request(`${BASE}/v1/nowhere`, { headers: { origin: APP } }));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(APP);
    expect(decodeValue(new Uint8Array(await missing.arrayBuffer()))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lets a browser read UNAVAILABLE while the server shuts down', async () => {
    const s = server([APP]);
    await s.fetch(new Request(`${BASE}/v1/health`));
    const closing = s.close();
    const res = await s.fetch(new Request(`${BASE}/v1/health`, { headers: { origin: APP } }));
    expect(res.status).toBe(503);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(decodeValue(new Uint8Array(await res.arrayBuffer()))).toMatchObject({ code: 'UNAVAILABLE' });
    await closing;
  });

  it('refuses an entry that is not an origin', () => {
    for (const bad of ['*', 'null', 'https://app.example/', 'https://app.example/path', 'app.example', 'file:///tmp', '']) {
      expect(() => createServer({ store: new MemoryStore(), corsOrigins: [bad] }), bad).toThrow(
        expect.objectContaining({ code: 'SERVER_OPTIONS_INVALID' }),
      );
    }
    expect(() => createServer({ store: new MemoryStore(), corsOrigins: 'https://app.example' as never })).toThrow(
      expect.objectContaining({ code: 'SERVER_OPTIONS_INVALID' }),
    );
  });

  it('lets a browser read RATE_LIMITED and its Retry-After', async () => {
    const s = server([APP], { anonymousPerSecond: 0.001, anonymousBurst: 1 });
    const take = () => s.fetch(new Request(`${BASE}/v1/mailbox/${'00'.repeat(32)}`, { headers: { origin: APP } }));
    await take();
    const limited = await take();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe(APP);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('lets a browser read REQUEST_STALE and mks-server-time', async () => {
    const s = server([APP]);
    const viaServer: typeof fetch = (input, init) => s.fetch(new Request(input, init));
    const account = await createAccount(BASE, 1, { fetch: viaServer });
    const path = `/v1/accounts/${toHex(account.accountId)}/chain`;
    const headers = signRequest(account.devices[0]!, {
      method: 'GET',
      origin: requestOrigin(BASE),
      pathAndQuery: path,
      body: new Uint8Array(0),
      accountId: account.accountId,
      time: Date.now() - 3_600_000,
    });
    const res = await s.fetch(new Request(BASE + path, { headers: { ...headers, origin: APP } }));
    expect(res.status).toBe(401);
    expect(decodeValue(new Uint8Array(await res.arrayBuffer()))).toMatchObject({ code: 'REQUEST_STALE' });
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(Number(res.headers.get(HEADERS.serverTime))).toBeGreaterThan(0);
  });
});
