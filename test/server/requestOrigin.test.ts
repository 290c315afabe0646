/**
 * A signature covers the origin (scheme, host, port) the client called, so a request captured
 * on its way to one server does not verify at another holding the same account. Behind a TLS
 * proxy the server sees another origin than the client called; `publicUrls` names the ones
 * clients use.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { toHex } from '../../src/crypto/bytes.js';
import { paths } from '../../src/http/routes.js';
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import { MemoryStore } from '../../src/storage/memoryStore.js';
import { createAccount, startServer, type Harness } from './harness.js';
import { errorOf, raw } from './rawRequest.js';

let h: Harness | undefined;
let server: SyncServer | undefined;
afterEach(async () => {
  await h?.stop();
  await server?.close();
  h = undefined;
  server = undefined;
});

/** A TLS-terminating proxy in front of `target`: the client calls `https://sync.example`, the server sees plain http on loopback. */
function throughProxy(target: string): typeof fetch {
  return (input, init) => fetch(String(input).replace('https://sync.example', target), init);
}

describe('the signed origin', () => {
  it('a request signed for another server is SIGNATURE_INVALID here; one for this server passes', async () => {
    h = await startServer();
    const account = await createAccount(h.url, 1);
    const path = paths.envelopes(toHex(account.accountId), { after: 0, limit: 10 });
    const signer = { device: account.devices[0]!, accountId: account.accountId };
    for (const elsewhere of ['https://staging.sync.example:443', 'http://127.0.0.2:' + new URL(h.url).port, 'http://127.0.0.1:1']) {
      expect(errorOf(await raw(h.url, 'GET', path, undefined, { signer, signedOrigin: elsewhere })), elsewhere).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
    }
    expect((await raw(h.url, 'GET', path, undefined, { signer })).status).toBe(200);
  });

  it('behind a TLS proxy, publicUrls makes the server check the origin clients call', async () => {
    server = createServer({ store: new MemoryStore(), publicUrls: ['https://sync.example'] });
    const { url } = await server.listen(0);
    const account = await createAccount('https://sync.example', 1, { fetch: throughProxy(url) });
    await expect(account.clients[0]!.pull(0)).resolves.toMatchObject({ items: [] });
    // Called directly, the same device's requests are signed for the loopback origin: refused.
    const direct = new HttpClient({ baseUrl: url, device: account.devices[0]!, accountId: account.accountId, retry: false });
    await expect(direct.pull(0)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('without publicUrls a proxied client is refused, and bad publicUrls are refused at creation', async () => {
    server = createServer({ store: new MemoryStore() });
    const { url } = await server.listen(0);
    const account = await createAccount('https://sync.example', 1, { fetch: throughProxy(url), retry: false });
    await expect(account.clients[0]!.pull(0)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    for (const bad of [[], ['ftp://sync.example'], ['https://sync.example/base'], ['not a url']]) {
      expect(() => createServer({ store: new MemoryStore(), publicUrls: bad }), JSON.stringify(bad)).toThrow(/publicUrls/);
    }
  });
});
