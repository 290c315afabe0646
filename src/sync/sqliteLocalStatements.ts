/** Every SQL statement `SqliteLocalStore` runs, prepared once per connection. */
import type Database from 'better-sqlite3';
import type { RawKeyedRow, RawRecordRow } from './storedRecord.js';
import type { VersionRow as VersionEntryRow } from './storedVersionEntry.js';

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** A records row as better-sqlite3 returns it; `storedRecord.ts` checks every field. */
export type RecordRow = RawRecordRow;

/** The columns of a records row the reader order compares. */
export type VersionRow = Pick<RawRecordRow, 'record_id' | 'revision' | 'sender' | 'deleted' | 'clock'>;

/** A keyed row of `listKeyed`, with its collection. */
export interface KeyedRow extends RawKeyedRow {
  collection: unknown;
}

/** A version-index row with its byte columns bound as Buffers. */
export type VersionParams = {
  [K in keyof VersionEntryRow]: Buffer | number | null;
};

/** An outbox row. */
export interface OutboxRow {
  id: number;
  record_id: unknown;
  bytes: unknown;
}

/** Parameters of a page query: collection, start time, start id, stop time, include deleted (0/1), row count. */
type PageParams = [string, number, Buffer, number, number, number];

/** Parameters of a keyed page: start record id, start collection, row count. */
type KeyedParams = [Buffer, string, number];

/** Parameters of attaching keys: content key, envelope hash, collection, record id, revision, sender. */
type AttachParams = [Buffer, Buffer, string, Buffer, number, Buffer];

/** The prepared statements of one connection. */
export interface LocalStatements {
  record: Statement<[string, Buffer], RecordRow>;
  version: Statement<[string, Buffer], VersionRow>;
  upsert: Statement<
    [string, Buffer, number, Buffer, number, Buffer | null, number, number | null, Buffer | null, Buffer | null, Buffer, Buffer | null, string | null]
  >;
  keyedPage: Statement<KeyedParams, KeyedRow>;
  attachKeys: Statement<AttachParams>;
  getVersion: Statement<[Buffer], VersionEntryRow>;
  putVersion: Statement<[VersionParams]>;
  pageAsc: Statement<PageParams, RecordRow>;
  pageDesc: Statement<PageParams, RecordRow>;
  countLive: Statement<[string], { n: number }>;
  countAll: Statement<[string], { n: number }>;
  expire: Statement<[number]>;
  dropCollection: Statement<[string]>;
  enqueue: Statement<[Buffer, Buffer]>;
  peek: Statement<[number], OutboxRow>;
  ack: Statement<[number]>;
  outboxSize: Statement<[], { n: number }>;
  getMeta: Statement<[string], { value: Buffer }>;
  setMeta: Statement<[string, Buffer]>;
  hold: Statement<[Buffer, Buffer]>;
  takeHeld: Statement<[Buffer], { bytes: unknown }>;
  heldCount: Statement<[], { n: number }>;
  dropHeld: Statement<[]>;
}

const RECORD_COLUMNS =
  'record_id, revision, sender, deleted, value, sort_time, expires_at, content_key, envelope_hash, clock, base, record_key';

const VERSION_COLUMNS = [
  'record_id',
  'claim_revision',
  'claim_sender',
  'claim_hash',
  'claim_tombstone',
  'claim_expiry_day',
  'claim_position',
  'have_revision',
  'have_sender',
  'purged_up_to',
];

/** Prepares the statements for `db`. */
export function prepareLocalStatements(db: Database.Database): LocalStatements {
  return {
    record: db.prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE collection = ? AND record_id = ?`),
    version: db.prepare('SELECT record_id, revision, sender, deleted, clock FROM records WHERE collection = ? AND record_id = ?'),
    upsert: db.prepare(
      `INSERT INTO records (collection, ${RECORD_COLUMNS})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (collection, record_id) DO UPDATE SET
         revision = excluded.revision, sender = excluded.sender, deleted = excluded.deleted,
         value = excluded.value, sort_time = excluded.sort_time, expires_at = excluded.expires_at,
         content_key = excluded.content_key, envelope_hash = excluded.envelope_hash,
         clock = excluded.clock, base = excluded.base, record_key = excluded.record_key`,
    ),
    // Keyset pages of keyed versions over the partial index records_keyed; an empty start id
    // and name mean "from the start".
    keyedPage: db.prepare(
      `SELECT collection, record_id, revision, sender, deleted, sort_time, content_key, envelope_hash
         FROM records
        WHERE content_key IS NOT NULL AND (record_id, collection) > (?, ?)
        ORDER BY record_id, collection LIMIT ?`,
    ),
    attachKeys: db.prepare(
      `UPDATE records SET content_key = ?, envelope_hash = ?
        WHERE collection = ? AND record_id = ? AND revision = ? AND sender = ?`,
    ),
    getVersion: db.prepare(`SELECT ${VERSION_COLUMNS.join(', ')} FROM versions WHERE record_id = ?`),
    putVersion: db.prepare(
      `INSERT INTO versions (${VERSION_COLUMNS.join(', ')})
       VALUES (${VERSION_COLUMNS.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (record_id) DO UPDATE SET
         ${VERSION_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`,
    ),
    // Keyset pages: the row value comparison starts the index scan at the previous page's
    // last position; an empty start id means "from the start of that millisecond".
    pageAsc: db.prepare(
      `SELECT ${RECORD_COLUMNS} FROM records
        WHERE collection = ? AND (sort_time, record_id) > (?, ?) AND sort_time < ? AND (? OR deleted = 0)
        ORDER BY sort_time, record_id LIMIT ?`,
    ),
    pageDesc: db.prepare(
      `SELECT ${RECORD_COLUMNS} FROM records
        WHERE collection = ? AND (sort_time, record_id) < (?, ?) AND sort_time >= ? AND (? OR deleted = 0)
        ORDER BY sort_time DESC, record_id DESC LIMIT ?`,
    ),
    countLive: db.prepare('SELECT count(*) AS n FROM records WHERE collection = ? AND deleted = 0'),
    countAll: db.prepare('SELECT count(*) AS n FROM records WHERE collection = ?'),
    expire: db.prepare('DELETE FROM records WHERE expires_at <= ?'),
    dropCollection: db.prepare('DELETE FROM records WHERE collection = ?'),
    enqueue: db.prepare('INSERT INTO outbox (record_id, bytes) VALUES (?, ?)'),
    peek: db.prepare('SELECT id, record_id, bytes FROM outbox ORDER BY id LIMIT ?'),
    ack: db.prepare('DELETE FROM outbox WHERE id = ?'),
    outboxSize: db.prepare('SELECT count(*) AS n FROM outbox'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    hold: db.prepare(
      'INSERT INTO held (record_id, bytes) VALUES (?, ?) ON CONFLICT (record_id) DO UPDATE SET bytes = excluded.bytes',
    ),
    takeHeld: db.prepare('DELETE FROM held WHERE record_id = ? RETURNING bytes'),
    heldCount: db.prepare('SELECT count(*) AS n FROM held'),
    dropHeld: db.prepare('DELETE FROM held'),
  };
}
