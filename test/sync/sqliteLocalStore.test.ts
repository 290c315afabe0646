import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { LOCAL_SCHEMA_VERSION, migrateLocalSqlite } from '../../src/sync/sqliteLocalSchema.js';
import { prepareLocalStatements } from '../../src/sync/sqliteLocalStatements.js';
import { SqliteLocalStore } from '../../src/sync/sqliteLocalStore.js';
import { CALLS, envelope, id16, listAll, outboxFor, record, rejectsWith } from './fixtures.js';
import { localStoreConformance } from './localStoreConformance.js';
import { sqliteV2Suite } from './sqliteLocalStoreV2.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mks-local-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

localStoreConformance('SqliteLocalStore', async () => {
  const store = await SqliteLocalStore.open(join(dir, 'device.sqlite'));
  return { store, cleanup: () => store.close() };
});

sqliteV2Suite(() => dir);

/** Raw access to the same file, as another tool (or a bad disk) would have it. */
function raw(path: string): Database.Database {
  return new Database(path);
}

describe('SqliteLocalStore file', () => {
  it('keeps records, outbox and meta across closing and reopening', async () => {
    const path = join(dir, 'phone.sqlite');
    const first = await SqliteLocalStore.open(path);
    for (let i = 1; i <= 3; i++) {
      const r = record({ recordId: id16(i) });
      await first.applyLocal(r, { recordId: r.recordId, bytes: envelope(i) });
    }
    const [acked] = await first.outboxPeek(1);
    await first.outboxAck([acked!.id]);
    await first.setMeta('sequence', new Uint8Array([0, 0, 0, 4]));
    await first.close();

    const again = await SqliteLocalStore.open(path);
    expect((await again.outboxPeek(10)).map((item) => item.bytes)).toEqual([envelope(2), envelope(3)]);
    expect(await again.getMeta('sequence')).toEqual(new Uint8Array([0, 0, 0, 4]));
    expect(await again.countRecords(CALLS)).toBe(3);
    const r = record({ recordId: id16(9) });
    await again.applyLocal(r, outboxFor(r));
    const ids = (await again.outboxPeek(10)).map((item) => item.id);
    expect(ids[2]).toBeGreaterThan(ids[1]!);
    await again.close();
  });

  it('keeps held envelopes across closing and reopening', async () => {
    const path = join(dir, 'phone.sqlite');
    const first = await SqliteLocalStore.open(path);
    await first.holdEnvelopes([1, 2, 3].map((i) => ({ recordId: id16(i), bytes: envelope(i) })));
    await first.takeHeld([id16(2)]);
    await first.close();

    const again = await SqliteLocalStore.open(path);
    expect(await again.heldCount()).toBe(2);
    expect(await again.takeHeld([id16(1), id16(2), id16(3)])).toEqual(
      new Map([
        [toHex(id16(1)), envelope(1)],
        [toHex(id16(3)), envelope(3)],
      ]),
    );
    await again.close();
  });

  it('creates the held table in the first migration', () => {
    const db = new Database(':memory:');
    migrateLocalSqlite(db);
    const sql = db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'held'`).get() as
      | { sql: string }
      | undefined;
    expect(sql?.sql).toMatch(/record_id BLOB PRIMARY KEY/);
    expect(sql?.sql).toMatch(/STRICT/);
    db.close();
  });

  it('runs in WAL mode at the current schema version', async () => {
    const path = join(dir, 'device.sqlite');
    await (await SqliteLocalStore.open(path)).close();
    const db = raw(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LOCAL_SCHEMA_VERSION);
    db.close();
  });

  it('pages and expires through indexes, never a scan of the table', () => {
    const db = new Database(':memory:');
    migrateLocalSqlite(db);
    const sql = prepareLocalStatements(db);
    const plan = (source: string, ...params: unknown[]): string =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${source}`)
        .all(...params)
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
    const page = [CALLS, 0, Buffer.alloc(0), 10, 0, 101];
    expect(plan(sql.pageAsc.source, ...page)).toMatch(/SEARCH records USING INDEX records_by_time/);
    expect(plan(sql.pageDesc.source, ...page)).toMatch(/SEARCH records USING INDEX records_by_time/);
    expect(plan(sql.expire.source, 5)).toMatch(/SEARCH records USING INDEX records_by_expiry/);
    for (const text of [plan(sql.pageAsc.source, ...page), plan(sql.pageDesc.source, ...page)]) {
      expect(text).not.toMatch(/TEMP B-TREE/);
    }
    db.close();
  });

  it('refuses a file migrated by a newer library', async () => {
    const path = join(dir, 'future.sqlite');
    const db = raw(path);
    db.pragma(`user_version = ${LOCAL_SCHEMA_VERSION + 1}`);
    db.close();
    await rejectsWith(SqliteLocalStore.open(path), 'LOCAL_SCHEMA_TOO_NEW');
  });

  it('reports a file that is not a database as a store failure', async () => {
    const path = join(dir, 'garbage.sqlite');
    writeFileSync(path, 'this is not a database, only some text that is long enough'.repeat(100));
    await rejectsWith(SqliteLocalStore.open(path), 'LOCAL_STORE_FAILURE');
  });

  it('refuses bad options', async () => {
    await rejectsWith(SqliteLocalStore.open(''), 'INVALID_ARGUMENT');
    await rejectsWith(SqliteLocalStore.open(join(dir, 'a'), { synchronous: 'OFF' as never }), 'INVALID_ARGUMENT');
    await rejectsWith(SqliteLocalStore.open(join(dir, 'a'), { busyTimeoutMs: -1 }), 'INVALID_ARGUMENT');
  });
});

describe('SqliteLocalStore corruption', () => {
  async function withGarbage(sql: string): Promise<SqliteLocalStore> {
    const path = join(dir, 'device.sqlite');
    const store = await SqliteLocalStore.open(path);
    await store.applyRemote(
      [1, 2, 3].map((i) => record({ recordId: id16(i), sortTime: i })),
      'cursor',
      new Uint8Array(1),
    );
    const db = raw(path);
    db.prepare(sql).run(Buffer.from(id16(2)));
    db.close();
    return store;
  }

  it('reports a value that does not decode, naming the collection and record id', async () => {
    const store = await withGarbage(`UPDATE records SET value = X'ff00ff' WHERE record_id = ?`);
    const error = await rejectsWith(store.getRecord(CALLS, id16(2)), 'LOCAL_ROW_CORRUPT');
    expect(error.message).toContain(toHex(id16(2)));
    expect(error.message).toContain('"calls"');
    expect(await store.getRecord(CALLS, id16(1))).not.toBeNull();
    await store.close();
  });

  it('fails a listing that reaches the corrupt row instead of skipping it, in both orders', async () => {
    const store = await withGarbage(`UPDATE records SET value = X'a1' WHERE record_id = ?`);
    await rejectsWith(listAll(store, CALLS, { limit: 1 }), 'LOCAL_ROW_CORRUPT');
    await rejectsWith(listAll(store, CALLS, { limit: 1, order: 'desc' }), 'LOCAL_ROW_CORRUPT');
    const first = await store.listRecords(CALLS, { limit: 1 });
    expect(first.records.map((r) => r.sortTime)).toEqual([1]);
    await rejectsWith(store.listRecords(CALLS, { limit: 1, after: first.next! }), 'LOCAL_ROW_CORRUPT');
    await store.close();
  });

  it('reports a corrupt version instead of merging over it', async () => {
    const store = await withGarbage(`UPDATE records SET sender = X'00' WHERE record_id = ?`);
    const newer = record({ recordId: id16(2), revision: 9 });
    await rejectsWith(store.applyRemote([newer], 'cursor', new Uint8Array([2])), 'LOCAL_ROW_CORRUPT');
    expect(await store.getMeta('cursor')).toEqual(new Uint8Array(1));
    await rejectsWith(store.getRecord(CALLS, id16(2)), 'LOCAL_ROW_CORRUPT');
    await store.close();
  });

  it('reports a held row that is not an envelope, and removes nothing it was asked to take', async () => {
    const path = join(dir, 'device.sqlite');
    const store = await SqliteLocalStore.open(path);
    await store.holdEnvelopes([1, 2].map((i) => ({ recordId: id16(i), bytes: envelope(i) })));
    const db = raw(path);
    db.prepare(`UPDATE held SET bytes = X'' WHERE record_id = ?`).run(Buffer.from(id16(2)));
    db.close();
    const error = await rejectsWith(store.takeHeld([id16(1), id16(2)]), 'LOCAL_ROW_CORRUPT');
    expect(error.message).toContain(toHex(id16(2)));
    expect(await store.heldCount()).toBe(2);
    expect(await store.dropHeld()).toBe(2);
    await store.close();
  });

  it('reports a live row without a value and a tombstone with one', async () => {
    const store = await withGarbage(`UPDATE records SET value = NULL WHERE record_id = ?`);
    await rejectsWith(store.getRecord(CALLS, id16(2)), 'LOCAL_ROW_CORRUPT');
    const db = raw(join(dir, 'device.sqlite'));
    db.prepare('UPDATE records SET deleted = 1, value = X\'f6\' WHERE record_id = ?').run(Buffer.from(id16(3)));
    db.close();
    await rejectsWith(store.getRecord(CALLS, id16(3)), 'LOCAL_ROW_CORRUPT');
    await store.close();
  });
});

describe('SqliteLocalStore transactions', () => {
  async function withTrigger(sql: string): Promise<SqliteLocalStore> {
    const path = join(dir, 'device.sqlite');
    const store = await SqliteLocalStore.open(path);
    const db = raw(path);
    db.exec(sql);
    db.close();
    return store;
  }

  it('rolls the record back when queuing its envelope fails', async () => {
    const store = await withTrigger(
      `CREATE TRIGGER fail BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END;`,
    );
    const r = record();
    await rejectsWith(store.applyLocal(r, outboxFor(r)), 'LOCAL_STORE_FAILURE');
    expect(await store.getRecord(CALLS, r.recordId)).toBeNull();
    expect(await store.outboxSize()).toBe(0);
    await store.close();
  });

  it('stores a local-only write without touching the outbox table', async () => {
    const store = await withTrigger(
      `CREATE TRIGGER fail BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END;`,
    );
    const r = record();
    await store.applyLocal(r, null);
    expect(await store.getRecord(CALLS, r.recordId)).toEqual(r);
    await store.close();
  });

  it('holds all of a batch or none of it', async () => {
    const store = await withTrigger(
      `CREATE TRIGGER fail BEFORE INSERT ON held WHEN NEW.bytes = X'ee' BEGIN SELECT RAISE(ABORT, 'disk full'); END;`,
    );
    const items = [
      { recordId: id16(1), bytes: envelope(1) },
      { recordId: id16(2), bytes: new Uint8Array([0xee]) },
    ];
    await rejectsWith(store.holdEnvelopes(items), 'LOCAL_STORE_FAILURE');
    expect(await store.heldCount()).toBe(0);
    await store.close();
  });

  it('rolls the merged records back when moving the cursor fails', async () => {
    const store = await withTrigger(
      `CREATE TRIGGER fail BEFORE INSERT ON meta WHEN NEW.key = 'cursor' BEGIN SELECT RAISE(ABORT, 'disk full'); END;`,
    );
    await rejectsWith(store.applyRemote([record()], 'cursor', new Uint8Array([1])), 'LOCAL_STORE_FAILURE');
    expect(await store.getRecord(CALLS, id16(1))).toBeNull();
    expect(await store.getMeta('cursor')).toBeNull();
    await store.close();
  });
});
