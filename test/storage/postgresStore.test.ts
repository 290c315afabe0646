import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresStore, type LogAppend } from '../../src/storage/index.js';
import { migratePostgres, POSTGRES_SCHEMA_VERSION } from '../../src/storage/postgresSchema.js';
import type { TestDatabase } from '../support/postgres.js';
import { acquirePostgres, type PostgresServer } from '../support/postgresFixture.js';
import { storeConformance } from './conformance.js';
import { bytes, chainEntry, envelope, expectCode, logChain, newAccount, pullAll, pullItems, waitFor } from './fixtures.js';

/**
 * One fresh database per test file (CREATE DATABASE is slow on a busy machine); every test
 * starts from empty tables, wiped through `admin`, so tests stay isolated.
 */
let server: PostgresServer;
let fileDatabase: TestDatabase;
let admin: pg.Client;

async function wipe(): Promise<void> {
  // Cascades to chain, items and logs.
  await admin.query('DELETE FROM mks_accounts; DELETE FROM mks_mailbox; DELETE FROM mks_nonces');
}

beforeAll(async () => {
  server = await acquirePostgres();
  fileDatabase = await server.createDatabase();
  await (await PostgresStore.connect(fileDatabase.connectionString)).close();
  admin = new pg.Client({ connectionString: fileDatabase.connectionString });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await fileDatabase?.drop();
  await server?.release();
});

storeConformance('PostgresStore', async (limits) => {
  await wipe();
  const store = await PostgresStore.connect(fileDatabase.connectionString, limits);
  return { store, cleanup: () => store.close() };
});

describe('PostgresStore across processes', () => {
  const opened: PostgresStore[] = [];
  const open = async (connectionString = fileDatabase.connectionString): Promise<PostgresStore> => {
    const store = await PostgresStore.connect(connectionString);
    opened.push(store);
    return store;
  };
  const freshDatabases: TestDatabase[] = [];
  const freshDatabase = async (): Promise<TestDatabase> => {
    const database = await server.createDatabase();
    freshDatabases.push(database);
    return database;
  };
  beforeEach(wipe);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await Promise.all(freshDatabases.splice(0).map((database) => database.drop()));
  });

  it('processes starting at once on a new database migrate it once, without racing', async () => {
    const database = await freshDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => open(database.connectionString)));
    const id = await newAccount(stores[0] as PostgresStore);
    for (const store of stores) expect(await store.hasAccount(id)).toBe(true);
    const client = new pg.Client({ connectionString: database.connectionString });
    await client.connect();
    const { rows } = await client.query('SELECT version FROM mks_schema');
    await client.end();
    expect(rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
  });

  it('a push handled by one process wakes a puller parked in another', async () => {
    const serverA = await open();
    const serverB = await open();
    const id = await newAccount(serverA);
    const woken: number[] = [];
    await serverB.watch(id, (cursor) => woken.push(cursor));
    await serverA.putEnvelopes(id, [envelope()]);
    const [stored] = await pullAll(serverB, id);
    await waitFor(() => woken.length > 0);
    expect(woken).toEqual([stored?.cursor]);
  });

  it('two devices append through different processes: exactly one wins', async () => {
    const serverA = await open();
    const serverB = await open();
    const id = await newAccount(serverA);
    for (let round = 1; round <= 5; round += 1) {
      const head = await serverA.chainHead(id);
      const results = await Promise.allSettled([
        serverA.appendChain(id, head.hash, chainEntry(round)),
        serverB.appendChain(id, head.hash, chainEntry(round)),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    }
    expect(await serverB.readChain(id, 0, 100)).toHaveLength(6);
  });

  it('one device pushes through two processes at once: exactly one checkpoint per position wins', async () => {
    const serverA = await open();
    const serverB = await open();
    const id = await newAccount(serverA);
    const device = bytes(16);
    let prevHash: Uint8Array = new Uint8Array(32);
    for (let position = 1; position <= 8; position += 1) {
      const [a, b] = [0, 1].map(() => logChain(device, 1, 64, position, prevHash)[0] as LogAppend);
      const results = await Promise.allSettled([
        serverA.putEnvelopes(id, [envelope({ sender: device })], a),
        serverB.putEnvelopes(id, [envelope({ sender: device })], b),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('LOG_CONFLICT');
      const winner = results[0]?.status === 'fulfilled' ? a! : b!;
      expect(await serverB.logHead(id, device)).toEqual({ position, hash: winner.hash, bytes: winner.bytes });
      prevHash = winner.hash;
    }
    const items = await pullItems(serverA, id);
    expect(items.filter((item) => item.kind === 'log').map((item) => (item.kind === 'log' ? item.position : 0))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await serverA.usage(id)).toEqual({ bytes: 16 * 64, envelopes: 16 });
  });

  it('a cut checked in one process sees the pushes another process committed', async () => {
    const serverA = await open();
    const serverB = await open();
    const id = await newAccount(serverA);
    const device = bytes(16);
    const log = logChain(device, 6);
    await serverA.putEnvelopes(id, [], log[0]);
    for (let i = 1; i < log.length; i += 1) {
      const previous = log[i - 1] as LogAppend;
      const chain = await serverA.chainHead(id);
      const [push, append] = await Promise.allSettled([
        serverA.putEnvelopes(id, [envelope({ sender: device })], log[i]),
        serverB.appendChain(id, chain.hash, chainEntry(chain.index + 1), { device, position: previous.position, hash: previous.hash }),
      ]);
      expect(push.status).toBe('fulfilled');
      if (append.status === 'rejected') expect(append.reason.code).toBe('LOG_CUT_STALE');
    }
    const head = await serverB.chainHead(id);
    await expectCode(serverB.appendChain(id, head.hash, chainEntry(head.index + 1), { device, position: 5, hash: log[4]!.hash }), 'LOG_CUT_STALE');
    await serverB.appendChain(id, head.hash, chainEntry(head.index + 1), { device, position: 6, hash: log[5]!.hash });
  });

  it('migrating a version-1 database keeps its envelopes and their cursors', async () => {
    const database = await freshDatabase();
    const pool = new pg.Pool({ connectionString: database.connectionString });
    await migratePostgres(pool, 1);
    const id = bytes(32);
    const rows = [envelope(), envelope({ kind: 'tombstone' })];
    const { rows: [account] } = await pool.query(
      `INSERT INTO mks_accounts (account_id, head_index, head_hash, bytes_used, envelope_count) VALUES ($1, 0, $2, 128, 2)
       RETURNING account_no`,
      [id, bytes(32)],
    );
    await pool.query('INSERT INTO mks_chain (account_no, idx, hash, bytes) VALUES ($1, 0, $2, $3)', [account.account_no, bytes(32), bytes(40)]);
    for (const e of rows) {
      await pool.query(
        'INSERT INTO mks_envelopes (account_no, record_id, revision, sender, kind, expiry_day, bytes) VALUES ($1, $2, 1, $3, $4, 0, $5)',
        [account.account_no, e.recordId, e.sender, e.kind, e.bytes],
      );
    }
    await pool.end();
    const store = await open(database.connectionString);
    const kept = await pullAll(store, id);
    expect(kept.map(({ cursor: _cursor, ...e }) => e)).toEqual(rows);
    expect(await store.usage(id)).toEqual({ bytes: 128, envelopes: 2 });
    // The record ids stay unique, and checkpoints come after.
    expect(await store.putEnvelopes(id, [rows[0]!], logChain(bytes(16), 1)[0])).toEqual(['duplicate']);
    const items = await pullItems(store, id);
    expect(items.map((item) => item.kind)).toEqual(['record', 'tombstone', 'log']);
    expect(items[2]!.cursor).toBeGreaterThan(kept[1]!.cursor);
  });

  it('a replayed request is caught by another process', async () => {
    const serverA = await open();
    const serverB = await open();
    const key = bytes(32);
    const now = Date.now();
    expect(await serverA.rememberNonce(key, now + 60_000, now)).toBe(true);
    expect(await serverB.rememberNonce(key, now + 60_000, now)).toBe(false);
  });

  it('the same envelope pushed through two processes at once is stored once', async () => {
    const serverA = await open();
    const serverB = await open();
    const id = await newAccount(serverA);
    const batch = Array.from({ length: 20 }, () => envelope());
    const [a, b] = await Promise.all([serverA.putEnvelopes(id, batch), serverB.putEnvelopes(id, batch)]);
    const outcomes = (a as string[]).map((outcome, i) => [outcome, (b as string[])[i]].sort().join());
    expect(new Set(outcomes)).toEqual(new Set(['duplicate,stored']));
    expect(await serverA.usage(id)).toEqual({ bytes: 20 * 64, envelopes: 20 });
  });

  it('the watcher survives losing its LISTEN connection and wakes after reconnecting', async () => {
    const serverA = await open();
    const serverB = await open();
    const id = await newAccount(serverA);
    const woken: number[] = [];
    await serverB.watch(id, (cursor) => woken.push(cursor));
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'multikey-sync-listen' AND datname = current_database()`,
    );
    expect(killed.rowCount).toBe(1);
    await serverA.putEnvelopes(id, [envelope()]);
    const [stored] = await pullAll(serverA, id);
    // Either the resync after reconnecting or a later notification carries the new cursor.
    await waitFor(() => woken.includes(stored?.cursor ?? -1), 10_000);
    await serverA.putEnvelopes(id, [envelope()]);
    const all = await pullAll(serverA, id);
    await waitFor(() => woken.includes(all[1]?.cursor ?? -1), 10_000);
  });

  it('refuses a database migrated by a newer version', async () => {
    const database = await freshDatabase();
    await (await open(database.connectionString)).close();
    const client = new pg.Client({ connectionString: database.connectionString });
    await client.connect();
    await client.query('UPDATE mks_schema SET version = version + 1');
    await client.end();
    await expectCode(PostgresStore.connect(database.connectionString), 'SCHEMA_TOO_NEW');
  });

  it('reports an unreachable server as STORE_FAILURE', async () => {
    await expectCode(
      PostgresStore.connect({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 2000 }),
      'STORE_FAILURE',
    );
  });
});
