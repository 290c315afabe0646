/**
 * Why the database failed, from the driver's own error code: real SQLite and PostgreSQL
 * failures (a file past its size limit, a lock held by another connection, a read-only
 * connection, a lock timeout) come out as STORE_FULL, STORE_BUSY and STORE_READ_ONLY with the
 * driver's code as the cause; the message of a driver error is never what is classified.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { PostgresStore } from '../../src/storage/postgresStore.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import { asStorageError, classifyStoreFailure, storageCause, STORAGE_ERROR_CODES } from '../../src/storage/storageErrors.js';
import { acquirePostgres, type PostgresServer } from '../support/postgresFixture.js';

let postgres: PostgresServer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mks-classify-'));
  postgres = await acquirePostgres();
}, 120_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await postgres?.release();
});

function failure(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('SQLite failures', () => {
  it('a database past its size limit is STORE_FULL', () => {
    const db = new Database(join(dir, 'full.sqlite'));
    db.exec('CREATE TABLE t (x BLOB)');
    db.pragma('max_page_count = 4');
    const error = failure(() => db.prepare('INSERT INTO t VALUES (randomblob(100000))').run());
    db.close();
    expect(error).toMatchObject({ code: 'SQLITE_FULL' });
    const wrapped = asStorageError(error, 'SQLite');
    expect(wrapped).toMatchObject({ code: 'STORE_FULL' });
    expect(storageCause(wrapped)).toBe('SQLITE_FULL');
  });

  it('a lock held by another connection is STORE_BUSY; a read-only connection is STORE_READ_ONLY', () => {
    const path = join(dir, 'locks.sqlite');
    const holder = new Database(path);
    holder.exec('CREATE TABLE t (x)');
    const waiter = new Database(path, { timeout: 20 });
    holder.exec('BEGIN EXCLUSIVE');
    const busy = failure(() => waiter.prepare('INSERT INTO t VALUES (1)').run());
    holder.exec('ROLLBACK');
    expect(classifyStoreFailure(busy)).toBe('STORE_BUSY');
    const reader = new Database(path, { readonly: true });
    const readOnly = failure(() => reader.prepare('INSERT INTO t VALUES (1)').run());
    expect(readOnly).toMatchObject({ code: 'SQLITE_READONLY' });
    expect(asStorageError(readOnly, 'SQLite')).toMatchObject({ code: 'STORE_READ_ONLY' });
    for (const db of [holder, waiter, reader]) db.close();
  });

  it('SqliteStore reports a busy database as STORE_BUSY from every write', async () => {
    const path = join(dir, 'store.sqlite');
    const store = await SqliteStore.open(path, { busyTimeoutMs: 20 });
    const holder = new Database(path);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      await expect(store.mailboxPut(new Uint8Array(32), new Uint8Array(8), 2, 1)).rejects.toMatchObject({ code: 'STORE_BUSY' });
      await expect(store.rememberNonce(new Uint8Array(32), 2, 1)).rejects.toMatchObject({ code: 'STORE_BUSY' });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
      await store.close();
    }
  });
});

describe('PostgreSQL failures', () => {
  it('a lock timeout is STORE_BUSY with cause PG 55P03, and nothing was written', async () => {
    const db = await postgres.createDatabase();
    const store = await PostgresStore.connect({ connectionString: db.connectionString, lock_timeout: 100 });
    const holder = new pg.Client({ connectionString: db.connectionString });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE mks_mailbox IN ACCESS EXCLUSIVE MODE');
      const error = await store.mailboxPut(new Uint8Array(32).fill(7), new Uint8Array(8), 2_000_000_000_000, 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'STORE_BUSY' });
      expect(storageCause(error)).toBe('PG 55P03');
      await holder.query('ROLLBACK');
      expect(await store.mailboxTake(new Uint8Array(32).fill(7), 1)).toBeNull();
    } finally {
      await holder.end();
      await store.close();
      await db.drop();
    }
  });
});

describe('the classification table', () => {
  it.each([
    ['SQLITE_FULL', 'STORE_FULL'],
    ['SQLITE_READONLY_DBMOVED', 'STORE_READ_ONLY'],
    ['SQLITE_BUSY_SNAPSHOT', 'STORE_BUSY'],
    ['SQLITE_LOCKED', 'STORE_BUSY'],
    ['SQLITE_IOERR_WRITE', 'STORE_FAILURE'],
    ['53100', 'STORE_FULL'],
    ['25006', 'STORE_READ_ONLY'],
    ['53300', 'STORE_BUSY'],
    ['57P03', 'STORE_BUSY'],
    ['08006', 'STORE_FAILURE'],
    ['ENOSPC', 'STORE_FULL'],
    ['EROFS', 'STORE_READ_ONLY'],
    ['ECONNREFUSED', 'STORE_FAILURE'],
  ])('driver code %s is %s', (code, expected) => {
    const error = Object.assign(new Error('driver message that may quote values'), { code });
    expect(classifyStoreFailure(error)).toBe(expected);
    const wrapped = asStorageError(error, 'test');
    expect(wrapped.code).toBe(expected);
    expect(Object.keys(STORAGE_ERROR_CODES)).toContain(expected);
  });

  it('ignores messages and odd codes: only a short code of letters, digits and _ counts', () => {
    expect(classifyStoreFailure(new Error('SQLITE_FULL: database or disk is full'))).toBe('STORE_FAILURE');
    expect(classifyStoreFailure(Object.assign(new Error('x'), { code: 'SQLITE_FULL; DROP TABLE' }))).toBe('STORE_FAILURE');
    expect(storageCause(Object.assign(new Error('x'), { code: 42 }))).toBe('unknown');
  });
});
