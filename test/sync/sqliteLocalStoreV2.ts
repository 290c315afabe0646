/**
 * What only the SQLite adapter can show about format v2: keys and the version index in the
 * file across reopening, the migration from a version 1 file, the keyed index, secure_delete,
 * corrupt rows written with raw SQL, and rollback when the driver fails mid-transaction.
 * Called from `sqliteLocalStore.test.ts` with its temporary directory.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { LOCAL_MIGRATIONS, LOCAL_SCHEMA_VERSION, migrateLocalSqlite } from '../../src/sync/sqliteLocalSchema.js';
import { prepareLocalStatements } from '../../src/sync/sqliteLocalStatements.js';
import { SqliteLocalStore } from '../../src/sync/sqliteLocalStore.js';
import { zeroClock } from '../../src/sync/hlc.js';
import { CALLS, clockAt, DEVICE, envelope, id16, keysFor, listAll, outboxFor, record, rejectsWith } from './fixtures.js';
import { entry } from './conformance/versionIndex.js';

/** Defines the tests; `dir()` is the test's own temporary directory. */
export function sqliteV2Suite(dir: () => string): void {
  const file = (): string => join(dir(), 'device.sqlite');

  /** Runs `sql` on the file through a second connection, as another tool (or a bad disk) would. */
  function rawRun(sql: string, ...params: unknown[]): void {
    const db = new Database(file());
    db.prepare(sql).run(...params);
    db.close();
  }

  describe('SqliteLocalStore v2 file', () => {
    it('keeps content keys, acked keys and version entries across closing and reopening', async () => {
      const first = await SqliteLocalStore.open(file());
      await first.applyRemote([record({ recordId: id16(1), ...keysFor(1) })], 'cursor', new Uint8Array(1), {
        versions: [entry(1), entry(2, { claim: null })],
      });
      const mine = record({ recordId: id16(2) });
      await first.applyLocal(mine, outboxFor(mine));
      const [item] = await first.outboxPeek(1);
      await first.outboxAck([item!.id], {
        keys: [{ collection: CALLS, recordId: id16(2), revision: 1, sender: DEVICE[0]!, ...keysFor(2) }],
      });
      await first.close();

      const again = await SqliteLocalStore.open(file());
      expect(await again.getRecord(CALLS, id16(1))).toEqual(record({ recordId: id16(1), ...keysFor(1) }));
      expect(await again.getRecord(CALLS, id16(2))).toEqual({ ...mine, ...keysFor(2) });
      expect((await again.listKeyed({ limit: 10 })).records.map((r) => r.recordId)).toEqual([id16(1), id16(2)]);
      expect([...(await again.getVersions([id16(1), id16(2)])).values()]).toEqual([entry(1), entry(2, { claim: null })]);
      await again.close();
    });

    it('migrates a version 1 file: its records kept without keys (content keys or string keys), the index empty', async () => {
      const db = new Database(file());
      db.exec(LOCAL_MIGRATIONS[0]!);
      db.pragma('user_version = 1');
      db.prepare(
        `INSERT INTO records (collection, record_id, revision, sender, deleted, value, sort_time, expires_at)
         VALUES (?, ?, 1, ?, 0, X'f6', 5, NULL)`,
      ).run(CALLS, Buffer.from(id16(1)), Buffer.from(DEVICE[0]!));
      db.close();

      const store = await SqliteLocalStore.open(file());
      expect(LOCAL_SCHEMA_VERSION).toBe(3);
      expect(await store.getRecord(CALLS, id16(1))).toEqual(record({ value: null, sortTime: 5, clock: zeroClock() }));
      expect(await store.listKeyed({ limit: 10 })).toEqual({ records: [], next: null });
      expect(await store.getVersions([id16(1)])).toEqual(new Map());
      await store.close();
      const check = new Database(file());
      expect(check.pragma('user_version', { simple: true })).toBe(3);
      check.close();
    });

    it('migrates a version 2 file: each version reads as clock zero with no base, and any clocked version beats it', async () => {
      const db = new Database(file());
      db.exec(LOCAL_MIGRATIONS[0]!);
      db.exec(LOCAL_MIGRATIONS[1]!);
      db.pragma('user_version = 2');
      db.prepare(
        `INSERT INTO records (collection, record_id, revision, sender, deleted, value, sort_time, expires_at)
         VALUES (?, ?, 9, ?, 0, X'f6', 5, NULL)`,
      ).run(CALLS, Buffer.from(id16(1)), Buffer.from(DEVICE[2]!));
      db.close();

      const store = await SqliteLocalStore.open(file());
      const old = record({ revision: 9, sender: DEVICE[2]!, value: null, sortTime: 5, clock: zeroClock() });
      expect(await store.getRecord(CALLS, id16(1))).toEqual(old);
      // A clocked version at a lower revision from a lower device id still wins the reader order.
      const clocked = record({ revision: 2, sender: DEVICE[0]!, clock: clockAt(2), base: zeroClock() });
      expect(await store.applyRemote([clocked], 'cursor', new Uint8Array(1))).toEqual([true]);
      expect(await store.getRecord(CALLS, id16(1))).toEqual(clocked);
      await store.close();
      const check = new Database(file());
      expect(check.pragma('user_version', { simple: true })).toBe(3);
      expect(check.prepare('SELECT record_key FROM records').all()).toEqual([{ record_key: null }]);
      check.close();
    });

    it('lists keyed versions through the partial index, never a scan of the table or a sort', () => {
      const db = new Database(':memory:');
      migrateLocalSqlite(db);
      const sql = prepareLocalStatements(db);
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${sql.keyedPage.source}`)
        .all(Buffer.alloc(0), '', 11)
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
      expect(plan).toMatch(/SEARCH records USING INDEX records_keyed/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
      db.close();
    });

    it('leaves no copy of a dropped record, its key, or a replaced meta value in the file (secure_delete)', async () => {
      const key = randomBytes(32);
      const hash = randomBytes(32);
      const ring = randomBytes(48);
      const marker = `marker-${randomBytes(8).toString('hex')}`;
      const found = (needle: Uint8Array): boolean =>
        [file(), `${file()}-wal`].some((path) => existsSync(path) && readFileSync(path).includes(Buffer.from(needle)));

      const first = await SqliteLocalStore.open(file());
      await first.applyRemote(
        [record({ value: marker, contentKey: key, envelopeHash: hash }), record({ recordId: id16(2) })],
        'cursor',
        new Uint8Array(1),
      );
      await first.setMeta('keyring', ring);
      await first.close();
      // The test can see them when they are there.
      expect([found(key), found(hash), found(ring), found(Buffer.from(marker))]).toEqual([true, true, true, true]);

      const again = await SqliteLocalStore.open(file());
      expect(await again.dropCollection(CALLS)).toBe(2);
      await again.setMeta('keyring', new Uint8Array(16));
      await again.close();
      expect([found(key), found(hash), found(ring), found(Buffer.from(marker))]).toEqual([false, false, false, false]);
    });
  });

  describe('SqliteLocalStore v2 corruption', () => {
    async function withKeyed(): Promise<SqliteLocalStore> {
      const store = await SqliteLocalStore.open(file());
      await store.applyRemote(
        [1, 2, 3].map((n) => record({ recordId: id16(n), sortTime: n, ...keysFor(n) })),
        'cursor',
        new Uint8Array(1),
      );
      return store;
    }

    const badKeys: [string, string][] = [
      ['a 31-byte content key', `UPDATE records SET content_key = substr(content_key, 2) WHERE record_id = ?`],
      ['a 33-byte envelope hash', `UPDATE records SET envelope_hash = zeroblob(33) WHERE record_id = ?`],
      ['a content key without a hash', `UPDATE records SET envelope_hash = NULL WHERE record_id = ?`],
      ['a hash without a content key', `UPDATE records SET content_key = NULL WHERE record_id = ?`],
    ];
    for (const [name, sql] of badKeys) {
      it(`reports ${name} from every read, naming the record and not the key`, async () => {
        const store = await withKeyed();
        rawRun(sql, Buffer.from(id16(2)));
        const error = await rejectsWith(store.getRecord(CALLS, id16(2)), 'LOCAL_ROW_CORRUPT');
        expect(error.message).toContain(toHex(id16(2)));
        expect(error.message).toContain('"calls"');
        expect(error.message).not.toContain(toHex(keysFor(2).contentKey).slice(0, 16));
        expect(error.message).not.toContain(toHex(keysFor(2).envelopeHash).slice(0, 16));
        await rejectsWith(listAll(store, CALLS, { limit: 1 }), 'LOCAL_ROW_CORRUPT');
        if (name !== 'a hash without a content key') {
          // A row without a content key is not keyed, so only the other three reach listKeyed.
          await rejectsWith(store.listKeyed({ limit: 10 }), 'LOCAL_ROW_CORRUPT');
        }
        expect(await store.getRecord(CALLS, id16(1))).toEqual(record({ recordId: id16(1), sortTime: 1, ...keysFor(1) }));
        await store.close();
      });
    }

    it('reports a keyed row whose version is corrupt from listKeyed', async () => {
      const store = await withKeyed();
      rawRun(`UPDATE records SET sender = X'00' WHERE record_id = ?`, Buffer.from(id16(3)));
      const first = await store.listKeyed({ limit: 2 });
      expect(first.records).toHaveLength(2);
      await rejectsWith(store.listKeyed({ limit: 2, after: first.next! }), 'LOCAL_ROW_CORRUPT');
      await store.close();
    });

    const badEntries: [string, string][] = [
      ['a 1-byte claim hash', `UPDATE versions SET claim_hash = X'00' WHERE record_id = ?`],
      ['a claim kind of 2', `UPDATE versions SET claim_tombstone = 2 WHERE record_id = ?`],
      ['a claim without its sender', `UPDATE versions SET claim_sender = NULL WHERE record_id = ?`],
      ['a claim position of 0', `UPDATE versions SET claim_position = 0 WHERE record_id = ?`],
      ['a claim expiry day of 65536', `UPDATE versions SET claim_expiry_day = 65536 WHERE record_id = ?`],
      ['a claim revision of 2^32', `UPDATE versions SET claim_revision = 4294967296 WHERE record_id = ?`],
      ['a negative have revision', `UPDATE versions SET have_revision = -1 WHERE record_id = ?`],
      ['a have without its sender', `UPDATE versions SET have_sender = NULL WHERE record_id = ?`],
      ['a purged revision of 2^32', `UPDATE versions SET purged_up_to = 4294967296 WHERE record_id = ?`],
    ];
    for (const [name, sql] of badEntries) {
      it(`reports a version entry with ${name}, naming its record id`, async () => {
        const store = await SqliteLocalStore.open(file());
        await store.applyRemote([], 'cursor', new Uint8Array(1), { versions: [entry(1), entry(2)] });
        rawRun(sql, Buffer.from(id16(2)));
        const error = await rejectsWith(store.getVersions([id16(1), id16(2)]), 'LOCAL_ROW_CORRUPT');
        expect(error.message).toContain(toHex(id16(2)));
        expect(error.message).toContain('version entry');
        expect((await store.getVersions([id16(1)])).get(toHex(id16(1)))).toEqual(entry(1));
        await store.close();
      });
    }
  });

  describe('SqliteLocalStore v2 transactions', () => {
    async function withTrigger(sql: string): Promise<SqliteLocalStore> {
      const store = await SqliteLocalStore.open(file());
      const db = new Database(file());
      db.exec(sql);
      db.close();
      return store;
    }

    it('rolls back records, cursor, held and meta when storing a version entry fails', async () => {
      const store = await withTrigger(
        `CREATE TRIGGER fail BEFORE INSERT ON versions WHEN NEW.purged_up_to = 66 BEGIN SELECT RAISE(ABORT, 'disk full'); END;`,
      );
      const extras = {
        versions: [entry(1), entry(2, { purgedUpTo: 66 })],
        held: [{ recordId: id16(3), bytes: envelope(3) }],
        meta: [['log-head', new Uint8Array([1])] as const],
      };
      await rejectsWith(
        store.applyRemote([record({ ...keysFor(1) })], 'cursor', new Uint8Array([1]), extras),
        'LOCAL_STORE_FAILURE',
      );
      expect(await store.getRecord(CALLS, id16(1))).toBeNull();
      expect(await store.getMeta('cursor')).toBeNull();
      expect(await store.getMeta('log-head')).toBeNull();
      expect(await store.heldCount()).toBe(0);
      expect(await store.getVersions([id16(1), id16(2)])).toEqual(new Map());
      await store.close();
    });

    it('rolls back the ack and the attached keys when setting a meta value fails', async () => {
      const store = await withTrigger(
        `CREATE TRIGGER fail BEFORE INSERT ON meta WHEN NEW.key = 'log-head' BEGIN SELECT RAISE(ABORT, 'disk full'); END;`,
      );
      const r = record();
      await store.applyLocal(r, outboxFor(r));
      const [item] = await store.outboxPeek(1);
      const keys = [{ collection: CALLS, recordId: id16(1), revision: 1, sender: DEVICE[0]!, ...keysFor(1) }];
      await rejectsWith(store.outboxAck([item!.id], { keys, meta: [['log-head', new Uint8Array(1)]] }), 'LOCAL_STORE_FAILURE');
      expect(await store.outboxSize()).toBe(1);
      expect(await store.getRecord(CALLS, id16(1))).toEqual(r);
      await store.close();
    });
  });
}
