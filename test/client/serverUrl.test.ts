/**
 * URL mistakes an integrator makes, each answered by one error that names the URL: a wrong
 * scheme or none, `/v1` in the base URL, credentials or a query, a closed port on localhost or
 * 127.0.0.1 (the same error for both), a host that does not resolve, a server that never
 * answers, something that is not a multikey-sync server, and a base URL with a wrong path.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, isMultikeySyncError } from '../../src/index.js';
import { Device } from '../../src/core/device.js';
import { MemoryStore, createServer, type SyncServer } from '../../src/server/index.js';

let device: Device;
let sync: SyncServer;
let syncUrl: string;
const extras: Server[] = [];

async function listen(handler: Parameters<typeof createHttpServer>[1]): Promise<string> {
  const server = createHttpServer(handler);
  extras.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedPort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const construct = (baseUrl: unknown) => () => new HttpClient({ baseUrl: baseUrl as string, device });

async function failure(baseUrl: string, options: { timeoutMs?: number } = {}): Promise<{ code: string; message: string }> {
  const client = new HttpClient({ baseUrl, device, retry: false, ...options });
  const error = await client.health().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMultikeySyncError(error)) throw new Error(`expected a MultikeySyncError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

beforeAll(async () => {
  device = await Device.generate();
  sync = createServer({ store: new MemoryStore() });
  syncUrl = (await sync.listen(0, '127.0.0.1')).url;
});

afterAll(async () => {
  await sync.close();
  for (const server of extras) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('a base URL that cannot be right is refused when the client is made, naming it', () => {
  it.each([
    ['ftp://sync.example', /"ftp:\/\/sync\.example\/" uses ftp: the sync server speaks http or https only/],
    ['localhost:8787', /"localhost:8787" has no scheme: write "http:\/\/localhost:8787"/],
    ['sync.example', /"sync\.example" is not an absolute URL/],
    ['http://127.0.0.1:8787/v1', /"http:\/\/127\.0\.0\.1:8787\/v1" ends in \/v1: give the server's root \("http:\/\/127\.0\.0\.1:8787\/"\)/],
    ['https://sync.example/api/v1/', /ends in \/v1: give the server's root \("https:\/\/sync\.example\/api"\)/],
    ['https://user:secret@sync.example', /"https:\/\/sync\.example\/" carries a user name or password/],
    ['https://sync.example/?key=1', /has a query or fragment/],
  ])('%s', (url, message) => {
    expect(construct(url)).toThrow(message);
    try {
      construct(url)();
    } catch (error) {
      expect(isMultikeySyncError(error, 'CLIENT_OPTIONS_INVALID')).toBe(true);
      expect((error as Error).message).not.toContain('secret');
    }
  });

  it('accepts a root with or without a trailing slash, and a path prefix', () => {
    for (const url of ['https://sync.example', 'https://sync.example/', 'http://127.0.0.1:8787/sync/']) expect(construct(url)).not.toThrow();
  });
});

describe('a server that does not answer, or is not one, gives one error naming the URL', () => {
  it('a closed port fails the same way on localhost and on 127.0.0.1, with the loopback hints', async () => {
    const port = await closedPort();
    for (const host of ['127.0.0.1', 'localhost']) {
      const { code, message } = await failure(`http://${host}:${port}`);
      expect(code).toBe('NETWORK_ERROR');
      expect(message).toContain(`the sync server at http://${host}:${port} could not be reached (ECONNREFUSED)`);
      expect(message).toContain('--cors-origin');
    }
  });

  it('a host that does not resolve', async () => {
    const { code, message } = await failure('http://no-such-host.invalid');
    expect(code).toBe('NETWORK_ERROR');
    expect(message).toMatch(/^the sync server at http:\/\/no-such-host\.invalid could not be reached \((ENOTFOUND|EAI_AGAIN)\)$/);
  });

  it('a server that accepts and never answers: the time limit, named', async () => {
    const url = await listen(() => undefined);
    const { code, message } = await failure(url, { timeoutMs: 300 });
    expect(code).toBe('NETWORK_ERROR');
    expect(message).toBe(`the sync server at ${url} did not answer within 300 ms (timeoutMs)`);
  });

  it('an HTTP server that is not a multikey-sync server', async () => {
    const url = await listen((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    const { code, message } = await failure(url);
    expect(code).toBe('HTTP_ERROR');
    expect(message).toBe(`GET ${url}/v1/health answered HTTP 404 without a multikey-sync error body: is ${url} a multikey-sync server's root URL?`);
  });

  it("the sync server under a base URL with a wrong path", async () => {
    const { code, message } = await failure(`${syncUrl}/api`);
    expect(code).toBe('NOT_FOUND');
    expect(message).toContain(`GET ${syncUrl}/api/v1/health (is ${syncUrl}/api the server's root URL?)`);
  });
});
