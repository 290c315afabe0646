/**
 * SQLite schema, versioned with `PRAGMA user_version`. Migration N brings the file from
 * version N-1 to N; the list only grows. Accounts get a small integer `account_no` so the
 * 32-byte id is stored once, not in every envelope row and index.
 */
import type Database from 'better-sqlite3';
import { storageError } from './storageErrors.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    account_no     INTEGER PRIMARY KEY,
    account_id     BLOB    NOT NULL UNIQUE,
    head_index     INTEGER NOT NULL,
    head_hash      BLOB    NOT NULL,
    bytes_used     INTEGER NOT NULL DEFAULT 0,
    envelope_count INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  CREATE TABLE chain (
    account_no INTEGER NOT NULL REFERENCES accounts (account_no) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    hash       BLOB    NOT NULL,
    bytes      BLOB    NOT NULL,
    PRIMARY KEY (account_no, idx)
  ) STRICT;

  -- AUTOINCREMENT: a cursor is never reused, even after the highest row is deleted.
  CREATE TABLE envelopes (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    account_no INTEGER NOT NULL REFERENCES accounts (account_no) ON DELETE CASCADE,
    record_id  BLOB    NOT NULL,
    revision   INTEGER NOT NULL,
    sender     BLOB    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('record', 'tombstone')),
    expiry_day INTEGER NOT NULL,
    bytes      BLOB    NOT NULL,
    UNIQUE (account_no, record_id)
  ) STRICT;
  CREATE INDEX envelopes_by_cursor ON envelopes (account_no, cursor);
  CREATE INDEX envelopes_by_expiry ON envelopes (expiry_day) WHERE expiry_day > 0;

  CREATE TABLE mailbox (
    id         BLOB    PRIMARY KEY,
    bytes      BLOB    NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX mailbox_by_expiry ON mailbox (expires_at);

  CREATE TABLE nonces (
    key        BLOB    PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX nonces_by_expiry ON nonces (expires_at);
  `,
  `
  -- Format v2: envelopes and device-log checkpoints share one cursor stream per account, so
  -- one ordered scan pulls both. A checkpoint row has no record id (record ids are unique
  -- among envelopes only), so no record id a client picks can reach one; sender is the log's
  -- device. From here on accounts.bytes_used and envelope_count count checkpoints too.
  CREATE TABLE items (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    account_no INTEGER NOT NULL REFERENCES accounts (account_no) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('record', 'tombstone', 'log')),
    record_id  BLOB,
    revision   INTEGER,
    sender     BLOB    NOT NULL,
    position   INTEGER,
    expiry_day INTEGER NOT NULL,
    bytes      BLOB    NOT NULL,
    CHECK (CASE WHEN kind = 'log'
                THEN record_id IS NULL AND revision IS NULL AND position IS NOT NULL AND expiry_day = 0
                ELSE record_id IS NOT NULL AND revision IS NOT NULL AND position IS NULL END)
  ) STRICT;
  CREATE UNIQUE INDEX items_by_record ON items (account_no, record_id) WHERE record_id IS NOT NULL;
  CREATE UNIQUE INDEX items_by_log ON items (account_no, sender, position) WHERE position IS NOT NULL;
  CREATE INDEX items_by_cursor ON items (account_no, cursor);
  CREATE INDEX items_by_expiry ON items (expiry_day) WHERE expiry_day > 0;

  INSERT INTO items (cursor, account_no, kind, record_id, revision, sender, expiry_day, bytes)
    SELECT cursor, account_no, kind, record_id, revision, sender, expiry_day, bytes FROM envelopes;
  -- Carry the cursor high-water mark over, so no cursor is ever handed out twice.
  DELETE FROM sqlite_sequence WHERE name = 'items';
  INSERT INTO sqlite_sequence (name, seq) SELECT 'items', seq FROM sqlite_sequence WHERE name = 'envelopes';
  DROP TABLE envelopes;

  -- Each device's log head; its checkpoint is the items row at (account_no, device, position).
  CREATE TABLE logs (
    account_no INTEGER NOT NULL REFERENCES accounts (account_no) ON DELETE CASCADE,
    device     BLOB    NOT NULL,
    position   INTEGER NOT NULL,
    hash       BLOB    NOT NULL,
    PRIMARY KEY (account_no, device)
  ) STRICT, WITHOUT ROWID;
  `,
];

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to `SQLITE_SCHEMA_VERSION` inside one IMMEDIATE transaction, so two
 * processes opening a new file at once migrate it once.
 * @param target Stop at this older version instead (tests build old files with it).
 * @throws StorageError `SCHEMA_TOO_NEW` when a newer library already migrated the file.
 */
export function migrateSqlite(db: Database.Database, target = SQLITE_SCHEMA_VERSION): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SQLITE_SCHEMA_VERSION) {
      throw storageError(
        'SCHEMA_TOO_NEW',
        `database schema version ${version} is newer than this library's ${SQLITE_SCHEMA_VERSION}`,
      );
    }
    for (let next = version + 1; next <= Math.min(target, SQLITE_SCHEMA_VERSION); next += 1) {
      db.exec(MIGRATIONS[next - 1] as string);
      db.pragma(`user_version = ${next}`);
    }
  }).immediate();
}
