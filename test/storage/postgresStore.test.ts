import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/storage/index.js';
import { POSTGRES_SCHEMA_VERSION } from '../../src/storage/postgresSchema.js';
import type { TestDatabase } from '../support/postgres.js';
import { acquirePostgres, type PostgresServer } from '../support/postgresFixture.js';
import { storeConformance } from './conformance.js';
import { bytes, chainEntry, envelope, expectCode, newAccount, pullAll, waitFor } from './fixtures.js';

/**
 * One fresh database per test file (CREATE DATABASE is slow on a busy machine); every test
 * starts from empty tables, wiped through `admin`, so tests stay isolated.
 */
let server: PostgresServer;
let fileDatabase: TestDatabase;
let admin: pg.Client;

async function wipe(): Promise<void> {
  // Cascades to chain and envelopes.
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
