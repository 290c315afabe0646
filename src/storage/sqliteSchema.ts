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
];

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to `SQLITE_SCHEMA_VERSION` inside one IMMEDIATE transaction, so two
 * processes opening a new file at once migrate it once.
 * @throws StorageError `SCHEMA_TOO_NEW` when a newer library already migrated the file.
 */
export function migrateSqlite(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SQLITE_SCHEMA_VERSION) {
      throw storageError(
        'SCHEMA_TOO_NEW',
        `database schema version ${version} is newer than this library's ${SQLITE_SCHEMA_VERSION}`,
      );
    }
    for (let next = version + 1; next <= SQLITE_SCHEMA_VERSION; next += 1) {
      db.exec(MIGRATIONS[next - 1] as string);
      db.pragma(`user_version = ${next}`);
    }
  }).immediate();
}
