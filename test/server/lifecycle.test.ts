/**
 * Long-polls, shutdown and failures: waits release their watch when the client goes away;
 * close() ends open waits, lets requests in flight finish, refuses new ones and closes the
 * store; a failing store yields INTERNAL or UNAVAILABLE without leaking its details.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import { StorageError } from '../../src/errors.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import type { Store } from '../../src/storage/store.js';
import { envelopesOf, storedEnvelopes } from '../support/items.js';
import { callRecord, createAccount, logFor, pushFrom, sealFrom } from './harness.js';

/** A store that counts live watches and can slow down pushes. */
function instrumented(inner: Store) {
  const stats = { watches: 0, closed: false, pushDelayMs: 0, failPushes: [] as unknown[] };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'watch') {
        return async (account: Uint8Array, listener: (cursor: number) => void) => {
          const unwatch = await target.watch(account, listener);
          stats.watches++;
          let done = false;
          return async () => {
            if (!done) stats.watches--;
            done = true;
            await unwatch();
          };
        };
      }
      if (prop === 'putEnvelopes') {
        return async (...args: Parameters<Store['putEnvelopes']>) => {
          await new Promise((r) => setTimeout(r, stats.pushDelayMs));
          if (stats.failPushes.length > 0) throw stats.failPushes.shift();
          return target.putEnvelopes(...args);
        };
      }
      if (prop === 'close') {
        return async () => {
          stats.closed = true;
          await target.close();
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, stats };
}

let dir: string;
let server: SyncServer | undefined;
afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start() {
  dir = mkdtempSync(join(tmpdir(), 'mks-life-'));
  const { store, stats } = instrumented(await SqliteStore.open(join(dir, 'db.sqlite')));
  const logs: string[] = [];
  server = createServer({ store, log: (l) => logs.push(l), limits: { requestsPerSecond: Infinity, anonymousPerSecond: Infinity, ipPerSecond: Infinity }, shutdownTimeoutMs: 5000 });
  const { url } = await server.listen(0);
  return { url, stats, server, logs };
}

async function until(check: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('long-polls', () => {
  it('a client that gives up on a wait releases the server-side watch', async () => {
    const { url, stats } = await start();
    const account = await createAccount(url, 1);
    const controller = new AbortController();
    const waiting = account.clients[0]!.wait(0, 30_000, controller.signal);
    await until(() => stats.watches === 1);
    controller.abort(new Error('user left'));
    await expect(waiting).rejects.toThrow('user left');
    await until(() => stats.watches === 0);
  });

  it('each wait releases its watch after a wake-up and after a timeout', async () => {
    const { url, stats } = await start();
    const account = await createAccount(url, 2);
    const timedOut = account.clients[1]!.wait(0, 200);
    await expect(timedOut).resolves.toMatchObject({ items: [] });
    const woken = account.clients[1]!.wait(0, 20_000);
    await until(() => stats.watches === 1);
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1))]);
    expect(envelopesOf((await woken).items)).toHaveLength(1);
    await until(() => stats.watches === 0);
  });
});

describe('graceful close', () => {
  it('ends open waits, finishes a push in flight, refuses new requests, closes the store', async () => {
    const { url, stats, server: s } = await start();
    const account = await createAccount(url, 2);
    const envelopes = [sealFrom(account, 0, callRecord(2))];
    const log = await logFor(account, 0, envelopes);
    const waiting = account.clients[1]!.wait(0, 30_000);
    await until(() => stats.watches === 1);
    stats.pushDelayMs = 400;
    const pushing = account.clients[0]!.push(envelopes, log.bytes);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const closing = s.close();
    await expect(waiting).resolves.toMatchObject({ items: [] });
    await expect(pushing).resolves.toEqual(['stored']);
    await closing;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(stats.closed).toBe(true);
    const late = new HttpClient({ baseUrl: url, device: account.devices[0]!, accountId: account.accountId, retry: false });
    await expect(late.health()).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    // The push that was in flight is in the database.
    const reopened = await SqliteStore.open(join(dir, 'db.sqlite'));
    expect((await storedEnvelopes(reopened, account.accountId)).map((e) => e.bytes)).toEqual(envelopes);
    await reopened.close();
  });

  it('the fetch handler answers UNAVAILABLE once closing began', async () => {
    const { server: s } = await start();
    await s.close();
    const response = await s.fetch(new Request('http://x/v1/health'));
    expect(response.status).toBe(503);
  });
});

describe('when the store fails', () => {
  it('a bug is 500 INTERNAL with no detail; the log names only its kind', async () => {
    const { url, stats, logs } = await start();
    const account = await createAccount(url, 1, { retry: false });
    stats.failPushes.push(new TypeError('secret detail from deep inside'));
    const error = await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1))]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INTERNAL', status: 500, message: 'internal server error' });
    expect(logs.at(-1)).toMatch(/^POST \/v1\/accounts\/:account\/envelopes 500 [\d.]+ms INTERNAL TypeError$/);
    expect(logs.join('\n')).not.toContain('secret detail');
  });

  it('a database failure is 503 UNAVAILABLE, which the client retries through', async () => {
    const { url, stats, logs } = await start();
    const account = await createAccount(url, 1, { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    stats.failPushes.push(new StorageError('STORE_FAILURE', 'SQLite failed: disk I/O error at /var/secret/path'));
    expect(await pushFrom(account, 0, [sealFrom(account, 0, callRecord(2))])).toEqual(['stored']);
    expect(logs.some((l) => / 503 [\d.]+ms UNAVAILABLE StorageError:STORE_FAILURE cause=unknown$/.test(l))).toBe(true);
    expect(logs.join('\n')).not.toContain('/var/secret/path');
  });
});
