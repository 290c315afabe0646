/**
 * PostgreSQL schema, versioned in `mks_schema`. Migrating runs in one transaction holding a
 * transaction-level advisory lock, so server processes starting together against a new
 * database do not race: the first migrates, the others wait and then find nothing to do.
 * The DDL is idempotent as well (IF NOT EXISTS) in case a migration is ever re-run by hand.
 */
import type pg from 'pg';
import { storageError } from './storageErrors.js';

/** Advisory lock key (two-int4 form) that serialises migrations. */
export const MIGRATION_LOCK: readonly [number, number] = [0x6d6b736d, 0];

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS mks_accounts (
    account_no     bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     bytea   NOT NULL UNIQUE,
    head_index     integer NOT NULL,
    head_hash      bytea   NOT NULL,
    bytes_used     bigint  NOT NULL DEFAULT 0,
    envelope_count bigint  NOT NULL DEFAULT 0
  );

  CREATE TABLE IF NOT EXISTS mks_chain (
    account_no bigint  NOT NULL REFERENCES mks_accounts (account_no) ON DELETE CASCADE,
    idx        integer NOT NULL,
    hash       bytea   NOT NULL,
    bytes      bytea   NOT NULL,
    PRIMARY KEY (account_no, idx)
  );

  -- One sequence for the whole store: cursors only grow. See putEnvelopes for why a puller
  -- still never skips a row although sequence values are taken before commit.
  CREATE SEQUENCE IF NOT EXISTS mks_envelope_cursor AS bigint;
  CREATE TABLE IF NOT EXISTS mks_envelopes (
    account_no bigint  NOT NULL REFERENCES mks_accounts (account_no) ON DELETE CASCADE,
    record_id  bytea   NOT NULL,
    cursor     bigint  NOT NULL DEFAULT nextval('mks_envelope_cursor'),
    revision   bigint  NOT NULL,
    sender     bytea   NOT NULL,
    kind       text    NOT NULL CHECK (kind IN ('record', 'tombstone')),
    expiry_day integer NOT NULL,
    bytes      bytea   NOT NULL,
    PRIMARY KEY (account_no, record_id)
  );
  CREATE INDEX IF NOT EXISTS mks_envelopes_by_cursor ON mks_envelopes (account_no, cursor);
  CREATE INDEX IF NOT EXISTS mks_envelopes_by_expiry ON mks_envelopes (expiry_day) WHERE expiry_day > 0;
  -- Ciphertext does not compress: store it out of line without trying.
  ALTER TABLE mks_envelopes ALTER COLUMN bytes SET STORAGE EXTERNAL;

  CREATE TABLE IF NOT EXISTS mks_mailbox (
    id         bytea  PRIMARY KEY,
    bytes      bytea  NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX IF NOT EXISTS mks_mailbox_by_expiry ON mks_mailbox (expires_at);

  CREATE TABLE IF NOT EXISTS mks_nonces (
    key        bytea  PRIMARY KEY,
    expires_at bigint NOT NULL
  );
  CREATE INDEX IF NOT EXISTS mks_nonces_by_expiry ON mks_nonces (expires_at);
  `,
  `
  -- Format v2: envelopes and device-log checkpoints share one cursor stream per account, so
  -- one ordered scan pulls both. A checkpoint row has no record id (record ids are unique
  -- among envelopes only), so no record id a client picks can reach one; sender is the log's
  -- device. From here on mks_accounts.bytes_used and envelope_count count checkpoints too.
  ALTER TABLE IF EXISTS mks_envelopes RENAME TO mks_items;
  ALTER TABLE mks_items
    DROP CONSTRAINT IF EXISTS mks_envelopes_pkey,
    DROP CONSTRAINT IF EXISTS mks_envelopes_kind_check,
    DROP CONSTRAINT IF EXISTS mks_items_shape,
    ALTER COLUMN record_id DROP NOT NULL,
    ALTER COLUMN revision DROP NOT NULL,
    ADD COLUMN IF NOT EXISTS position bigint;
  ALTER TABLE mks_items ADD CONSTRAINT mks_items_shape CHECK (
    CASE WHEN kind = 'log'
         THEN record_id IS NULL AND revision IS NULL AND position IS NOT NULL AND expiry_day = 0
         ELSE kind IN ('record', 'tombstone') AND record_id IS NOT NULL AND revision IS NOT NULL AND position IS NULL
    END);
  CREATE UNIQUE INDEX IF NOT EXISTS mks_items_by_record ON mks_items (account_no, record_id) WHERE record_id IS NOT NULL;
  CREATE UNIQUE INDEX IF NOT EXISTS mks_items_by_log ON mks_items (account_no, sender, position) WHERE position IS NOT NULL;
  ALTER INDEX IF EXISTS mks_envelopes_by_cursor RENAME TO mks_items_by_cursor;
  ALTER INDEX IF EXISTS mks_envelopes_by_expiry RENAME TO mks_items_by_expiry;

  -- Each device's log head; its checkpoint is the mks_items row at (account_no, device, position).
  CREATE TABLE IF NOT EXISTS mks_logs (
    account_no bigint NOT NULL REFERENCES mks_accounts (account_no) ON DELETE CASCADE,
    device     bytea  NOT NULL,
    position   bigint NOT NULL,
    hash       bytea  NOT NULL,
    PRIMARY KEY (account_no, device)
  );
  `,
];

/** The schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to `POSTGRES_SCHEMA_VERSION`.
 * @param target Stop at this older version instead (tests build old databases with it).
 * @throws StorageError `SCHEMA_TOO_NEW`; driver errors pass through for the caller to wrap.
 */
export async function migratePostgres(pool: pg.Pool, target = POSTGRES_SCHEMA_VERSION): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...MIGRATION_LOCK]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS mks_schema (
        one     boolean PRIMARY KEY DEFAULT true CHECK (one),
        version integer NOT NULL
      )`);
    const found = await client.query<{ version: number }>('SELECT version FROM mks_schema');
    const version = found.rows[0]?.version ?? 0;
    if (version > POSTGRES_SCHEMA_VERSION) {
      throw storageError(
        'SCHEMA_TOO_NEW',
        `database schema version ${version} is newer than this library's ${POSTGRES_SCHEMA_VERSION}`,
      );
    }
    const last = Math.min(target, POSTGRES_SCHEMA_VERSION);
    for (let next = version + 1; next <= last; next += 1) {
      await client.query(MIGRATIONS[next - 1] as string);
    }
    await client.query(
      `INSERT INTO mks_schema (version) VALUES ($1) ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version`,
      [Math.max(version, last)],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
