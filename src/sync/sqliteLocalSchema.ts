/**
 * Schema of a device's SQLite replica, versioned with `PRAGMA user_version`. Migration N brings
 * the file from version N-1 to N; the list only grows.
 */
import type Database from 'better-sqlite3';
import { localStoreError } from './localStoreErrors.js';

/** The migrations in order: entry N-1 brings a file from version N-1 to N. Append only. */
export const LOCAL_MIGRATIONS: readonly string[] = [
  `
  -- A tombstone has deleted = 1 and value NULL; a live record's value is CBOR (encodeValue).
  CREATE TABLE records (
    collection TEXT    NOT NULL,
    record_id  BLOB    NOT NULL,
    revision   INTEGER NOT NULL,
    sender     BLOB    NOT NULL,
    deleted    INTEGER NOT NULL,
    value      BLOB,
    sort_time  INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (collection, record_id)
  ) STRICT;
  CREATE INDEX records_by_time ON records (collection, sort_time, record_id);
  CREATE INDEX records_by_expiry ON records (expires_at) WHERE expires_at IS NOT NULL;

  -- AUTOINCREMENT: an id is never reused, so a late ack cannot remove a newer item.
  CREATE TABLE outbox (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id BLOB    NOT NULL,
    bytes     BLOB    NOT NULL
  ) STRICT;

  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
  ) STRICT;

  -- Envelopes the device cannot open yet (enrolled after they were sealed), until it can.
  CREATE TABLE held (
    record_id BLOB PRIMARY KEY,
    bytes     BLOB NOT NULL
  ) STRICT;
  `,
  `
  -- Format v2. Each version opened here keeps its content key and envelope hash (32 bytes
  -- each, both or neither) for history grants; they go with the row.
  ALTER TABLE records ADD COLUMN content_key BLOB;
  ALTER TABLE records ADD COLUMN envelope_hash BLOB;
  -- listKeyed: keyed versions of every collection in (record_id, collection) order.
  CREATE INDEX records_keyed ON records (record_id, collection) WHERE content_key IS NOT NULL;

  -- The version index (design §9), one row per record id across collections. The claim
  -- columns are all NULL when no verified log claims the record, the have columns likewise;
  -- claim_tombstone is 1 for a tombstone claim. expire and dropCollection leave it alone.
  CREATE TABLE versions (
    record_id        BLOB PRIMARY KEY,
    claim_revision   INTEGER,
    claim_sender     BLOB,
    claim_hash       BLOB,
    claim_tombstone  INTEGER,
    claim_expiry_day INTEGER,
    claim_position   INTEGER,
    have_revision    INTEGER,
    have_sender      BLOB,
    purged_up_to     INTEGER NOT NULL
  ) STRICT;
  `,
  `
  -- Clocks (issue 11): each version's hybrid logical clock (8 bytes, compared as bytes by the
  -- reader order) and the clock of the version it replaced (NULL for a new record). Versions
  -- stored before clocks existed read as clock zero: any clocked version beats them.
  ALTER TABLE records ADD COLUMN clock BLOB NOT NULL DEFAULT x'0000000000000000';
  ALTER TABLE records ADD COLUMN base BLOB;
  -- String keys: the key a record was put under (its id is derived from it); NULL for none.
  ALTER TABLE records ADD COLUMN record_key TEXT;
  `,
];

/** The schema version this code writes. */
export const LOCAL_SCHEMA_VERSION = LOCAL_MIGRATIONS.length;

/**
 * Brings the file to `LOCAL_SCHEMA_VERSION` in one IMMEDIATE transaction.
 * @throws StorageError `LOCAL_SCHEMA_TOO_NEW` when a newer library already migrated the file.
 */
export function migrateLocalSqlite(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LOCAL_SCHEMA_VERSION) {
      throw localStoreError(
        'LOCAL_SCHEMA_TOO_NEW',
        `local store schema version ${version} is newer than this library's ${LOCAL_SCHEMA_VERSION}`,
      );
    }
    for (let next = version + 1; next <= LOCAL_SCHEMA_VERSION; next += 1) {
      db.exec(LOCAL_MIGRATIONS[next - 1]!);
      db.pragma(`user_version = ${next}`);
    }
  }).immediate();
}
