/**
 * Health that tells the truth: /v1/health and /healthz write and read the store, answer JSON
 * for load balancers and people, and a busy or read-only database is reported with its own
 * code, on health and on requests, with the driver's cause in the log. Real databases only:
 * SQLite held locked by a second connection, PostgreSQL switched to read-only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { createServer } from '../../src/server/createServer.js';
import { PostgresStore } from '../../src/storage/postgresStore.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import type { Store } from '../../src/storage/store.js';
import { acquirePostgres, type PostgresServer } from '../support/postgresFixture.js';
import { callRecord, createAccount, pushFrom, sealFrom, startServer } from './harness.js';

let postgres: PostgresServer;
beforeAll(async () => (postgres = await acquirePostgres()), 120_000);
afterAll(async () => postgres?.release());

describe('health', () => {
  it('answers CBOR to the client, JSON on /healthz and to Accept: application/json', async () => {
    const h = await startServer();
    try {
      const device = await Device.generate();
      expect(await new HttpClient({ baseUrl: h.url, device }).health()).toMatchObject({ status: 'ok', version: 1 });
      for (const [path, accept] of [['/healthz', '*/*'], ['/v1/health', 'application/json']] as const) {
        const response = await fetch(h.url + path, { headers: { accept } });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/json');
        expect(await response.json()).toMatchObject({ status: 'ok', version: 1, time: expect.any(Number) });
      }
    } finally {
      await h.stop();
    }
  });

  it('probes the store with a real write and read, coalescing a burst of checks into one probe', async () => {
    const sqlite = await SqliteStore.open(':memory:');
    let puts = 0;
    const counting: Store = Object.assign(Object.create(sqlite) as Store, {
      mailboxPut: (...args: Parameters<Store['mailboxPut']>) => {
        puts += 1;
        return sqlite.mailboxPut(...args);
      },
    });
    const server = createServer({ store: counting });
    try {
      const { url } = await server.listen(0);
      expect(puts).toBe(1); // listen() probed once
      const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/healthz`)));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      // One probe for the burst (two if the machine is so slow that the burst outlasts a second).
      expect(puts).toBeGreaterThanOrEqual(2);
      expect(puts).toBeLessThanOrEqual(3);
      const before = puts;
      await new Promise((r) => setTimeout(r, 1100)); // past the one-second reuse of an answer
      await fetch(`${url}/healthz`);
      expect(puts).toBe(before + 1);
    } finally {
      await server.close();
    }
  });

  it('a busy SQLite database is 503 STORE_BUSY on health and on pushes, logged with cause=SQLITE_BUSY', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mks-busy-'));
    const path = join(dir, 'busy.sqlite');
    const logs: string[] = [];
    const server = createServer({ store: await SqliteStore.open(path, { busyTimeoutMs: 50 }), log: (l) => logs.push(l), limits: { ipPerSecond: Infinity } });
    const { url } = await server.listen(0);
    const holder = new Database(path);
    try {
      const account = await createAccount(url, 1, { retry: false });
      holder.exec('BEGIN EXCLUSIVE');
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'failing', code: 'STORE_BUSY' });
      const push = await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1))]).catch((e: unknown) => e);
      expect(push).toMatchObject({ code: 'STORE_BUSY', status: 503 });
      expect(logs.filter((l) => / 503 [\d.]+ms STORE_BUSY StorageError:STORE_BUSY cause=SQLITE_BUSY$/.test(l))).toHaveLength(2);
      holder.exec('ROLLBACK');
      expect(await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1))])).toEqual(['stored']);
    } finally {
      holder.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a read-only PostgreSQL database is refused at listen(), and reported as 503 STORE_READ_ONLY once running', async () => {
    const db = await postgres.createDatabase();
    const name = new URL(db.connectionString).pathname.slice(1);
    const admin = new pg.Client({ connectionString: db.connectionString });
    await admin.connect();
    try {
      // Running: the database turns read-only under the server (a failover to a standby, say).
      const logs: string[] = [];
      const running = createServer({ store: await PostgresStore.connect(db.connectionString), log: (l) => logs.push(l), limits: { ipPerSecond: Infinity } });
      const { url } = await running.listen(0);
      const account = await createAccount(url, 1, { retry: false });
      await admin.query(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      // A pooled connection the termination cut may fail first (an honest UNAVAILABLE); then the
      // new connections meet the read-only database.
      let push: unknown;
      for (let i = 0; i < 5; i++) {
        push = await pushFrom(account, 0, [sealFrom(account, 0, callRecord(2))]).catch((e: unknown) => e);
        if ((push as { code?: string }).code !== 'UNAVAILABLE') break;
      }
      expect(push).toMatchObject({ code: 'STORE_READ_ONLY', status: 503 });
      const health = await fetch(`${url}/v1/health`, { headers: { accept: 'application/json' } });
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ code: 'STORE_READ_ONLY' });
      expect(logs.some((l) => / 503 [\d.]+ms STORE_READ_ONLY StorageError:STORE_READ_ONLY cause=PG 25006$/.test(l))).toBe(true);
      await running.close();

      // Starting: a server must not say it listens on a store it cannot write.
      const starting = createServer({ store: () => PostgresStore.connect(db.connectionString) });
      await expect(starting.listen(0)).rejects.toMatchObject({ code: 'STORE_READ_ONLY' });
    } finally {
      await admin.query(`ALTER DATABASE ${name} RESET default_transaction_read_only`).catch(() => undefined);
      await admin.end();
      await db.drop();
    }
  });
});
