/**
 * The server freezes after the account is made: it accepts connections and never answers.
 * `sync()` must reject at its own deadline with `SYNC_TIMEOUT`, not after every request's
 * attempts run out (60 s × 4 each, minutes in all). The replica stays usable: once the server
 * answers again, the next sync pushes what was written meanwhile.
 */
import { createServer as createTcpServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient, isMultikeySyncError, MemoryLocalStore, Replica, type SyncAccount } from '../../src/index.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer({ realTime: true });
});
afterEach(async () => {
  await env.stop();
});

/** A TCP port that swallows every connection; `thaw` closes them and forwards nothing more. */
async function frozenServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a frozen server', () => {
  it('sync() rejects with SYNC_TIMEOUT at its deadline, and the replica syncs once the server answers again', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = devices[0]!;
    const frozen = await frozenServer();
    const through = (baseUrl: string): SyncAccount => ({
      device: phone.device,
      accountId: phone.accountId,
      chain: phone.chain,
      transport: new HttpClient({ baseUrl, device: phone.device, accountId: phone.accountId }),
    });
    const store = new MemoryLocalStore();
    const stuck = await Replica.open({ account: through(frozen.url), store, syncTimeoutMs: 1_000 });
    await stuck.collection('calls').put(call());
    const started = Date.now();
    const error = await stuck.sync().then(() => undefined, (e: unknown) => e);
    const took = Date.now() - started;
    expect(isMultikeySyncError(error, 'SYNC_TIMEOUT'), String(error)).toBe(true);
    expect((error as Error).message).toBe('sync did not finish within 1000 ms (syncTimeoutMs): the server is slow or does not answer');
    expect(took).toBeGreaterThanOrEqual(990);
    expect(took).toBeLessThan(5_000);
    // A per-call limit overrides the replica's.
    const again = Date.now();
    await expect(stuck.sync({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'SYNC_TIMEOUT' });
    expect(Date.now() - again).toBeLessThan(3_000);
    await expect(stuck.sync({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'SYNC_OPTIONS_INVALID' });
    await frozen.close();

    const working = await Replica.open({ account: through(env.url), store });
    expect((await working.sync()).pushed).toBe(1);
  });
});
