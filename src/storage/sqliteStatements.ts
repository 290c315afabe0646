/** Every SQL statement `SqliteStore` runs, prepared once per connection. */
import type Database from 'better-sqlite3';

/** Row shapes returned by the statements. */
export interface AccountRow {
  account_no: number;
  head_index: number;
  head_hash: Buffer;
  bytes_used: number;
  envelope_count: number;
}
export interface ChainRow {
  idx: number;
  hash: Buffer;
  bytes: Buffer;
}
export interface EnvelopeHeaderRow {
  cursor: number;
  revision: number;
  sender: Buffer;
  kind: 'record' | 'tombstone';
  expiry_day: number;
  size: number;
}
/** A pulled row: an envelope, or (kind 'log', no record id or revision) a checkpoint. */
export type ItemRow =
  | {
      cursor: number;
      kind: 'record' | 'tombstone';
      record_id: Buffer;
      revision: number;
      sender: Buffer;
      position: null;
      expiry_day: number;
      bytes: Buffer;
    }
  | {
      cursor: number;
      kind: 'log';
      record_id: null;
      revision: null;
      sender: Buffer;
      position: number;
      expiry_day: number;
      bytes: Buffer;
    };
export interface LogHeadRow {
  position: number;
  hash: Buffer;
}
export interface ExpiredGroupRow {
  account_no: number;
  n: number;
  size: number;
}

/** The prepared statements of one connection. */
export interface SqliteStatements {
  account: Statement<[Buffer], AccountRow>;
  insertAccount: Statement<[Buffer, number, Buffer]>;
  deleteAccount: Statement<[number]>;
  setHead: Statement<[number, Buffer, number]>;
  addUsage: Statement<[number, number, number]>;
  insertChain: Statement<[number, number, Buffer, Buffer]>;
  chainEntry: Statement<[number, number], ChainRow>;
  chainRange: Statement<[number, number, number], ChainRow>;
  envelopeHeader: Statement<[number, Buffer], EnvelopeHeaderRow>;
  envelopeBytes: Statement<[number], { bytes: Buffer }>;
  deleteEnvelope: Statement<[number, Buffer]>;
  purgeEnvelope: Statement<[number, Buffer, number], { size: number }>;
  insertEnvelope: Statement<[number, Buffer, number, Buffer, string, number, Buffer]>;
  insertCheckpoint: Statement<[number, Buffer, number, Buffer]>;
  checkpointBytes: Statement<[number, Buffer, number], { bytes: Buffer }>;
  logHeadKey: Statement<[number, Buffer], LogHeadRow>;
  logHead: Statement<[number, Buffer], LogHeadRow & { bytes: Buffer }>;
  setLogHead: Statement<[number, Buffer, number, Buffer]>;
  pull: Statement<[number, number, number], ItemRow>;
  expiredGroups: Statement<[number], ExpiredGroupRow>;
  subtractUsage: Statement<[number, number, number]>;
  deleteExpired: Statement<[number]>;
  sweepMailbox: Statement<[number]>;
  insertMailbox: Statement<[Buffer, Buffer, number]>;
  takeMailbox: Statement<[Buffer], { bytes: Buffer; expires_at: number }>;
  sweepNonces: Statement<[number]>;
  insertNonce: Statement<[Buffer, number]>;
}

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** Prepares the statements for `db`. */
export function prepareStatements(db: Database.Database): SqliteStatements {
  return {
    account: db.prepare<[Buffer], AccountRow>(
      'SELECT account_no, head_index, head_hash, bytes_used, envelope_count FROM accounts WHERE account_id = ?',
    ),
    insertAccount: db.prepare<[Buffer, number, Buffer]>(
      'INSERT INTO accounts (account_id, head_index, head_hash) VALUES (?, ?, ?)',
    ),
    deleteAccount: db.prepare<[number]>('DELETE FROM accounts WHERE account_no = ?'),
    setHead: db.prepare<[number, Buffer, number]>('UPDATE accounts SET head_index = ?, head_hash = ? WHERE account_no = ?'),
    addUsage: db.prepare<[number, number, number]>(
      'UPDATE accounts SET bytes_used = bytes_used + ?, envelope_count = envelope_count + ? WHERE account_no = ?',
    ),
    insertChain: db.prepare<[number, number, Buffer, Buffer]>(
      'INSERT INTO chain (account_no, idx, hash, bytes) VALUES (?, ?, ?, ?)',
    ),
    chainEntry: db.prepare<[number, number], ChainRow>('SELECT idx, hash, bytes FROM chain WHERE account_no = ? AND idx = ?'),
    chainRange: db.prepare<[number, number, number], ChainRow>(
      'SELECT idx, hash, bytes FROM chain WHERE account_no = ? AND idx >= ? ORDER BY idx LIMIT ?',
    ),
    // Every envelope statement names a record id, which checkpoint rows lack: none reaches one.
    envelopeHeader: db.prepare<[number, Buffer], EnvelopeHeaderRow>(
      `SELECT cursor, revision, sender, kind, expiry_day, length(bytes) AS size
         FROM items WHERE account_no = ? AND record_id = ?`,
    ),
    envelopeBytes: db.prepare<[number], { bytes: Buffer }>('SELECT bytes FROM items WHERE cursor = ?'),
    deleteEnvelope: db.prepare<[number, Buffer]>('DELETE FROM items WHERE account_no = ? AND record_id = ?'),
    purgeEnvelope: db.prepare<[number, Buffer, number], { size: number }>(
      'DELETE FROM items WHERE account_no = ? AND record_id = ? AND revision <= ? RETURNING length(bytes) AS size',
    ),
    insertEnvelope: db.prepare<[number, Buffer, number, Buffer, string, number, Buffer]>(
      `INSERT INTO items (account_no, record_id, revision, sender, kind, expiry_day, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertCheckpoint: db.prepare<[number, Buffer, number, Buffer]>(
      `INSERT INTO items (account_no, kind, sender, position, expiry_day, bytes) VALUES (?, 'log', ?, ?, 0, ?)`,
    ),
    checkpointBytes: db.prepare<[number, Buffer, number], { bytes: Buffer }>(
      'SELECT bytes FROM items WHERE account_no = ? AND sender = ? AND position = ?',
    ),
    logHeadKey: db.prepare<[number, Buffer], LogHeadRow>('SELECT position, hash FROM logs WHERE account_no = ? AND device = ?'),
    logHead: db.prepare<[number, Buffer], LogHeadRow & { bytes: Buffer }>(
      `SELECT l.position, l.hash, i.bytes
         FROM logs l JOIN items i ON i.account_no = l.account_no AND i.sender = l.device AND i.position = l.position
        WHERE l.account_no = ? AND l.device = ?`,
    ),
    setLogHead: db.prepare<[number, Buffer, number, Buffer]>(
      `INSERT INTO logs (account_no, device, position, hash) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_no, device) DO UPDATE SET position = excluded.position, hash = excluded.hash`,
    ),
    pull: db.prepare<[number, number, number], ItemRow>(
      `SELECT cursor, kind, record_id, revision, sender, position, expiry_day, bytes
         FROM items WHERE account_no = ? AND cursor > ? ORDER BY cursor LIMIT ?`,
    ),
    // Checkpoint rows have expiry_day 0 (a CHECK constraint), so they never expire.
    expiredGroups: db.prepare<[number], ExpiredGroupRow>(
      `SELECT account_no, count(*) AS n, sum(length(bytes)) AS size
         FROM items WHERE expiry_day > 0 AND expiry_day < ? GROUP BY account_no`,
    ),
    subtractUsage: db.prepare<[number, number, number]>(
      'UPDATE accounts SET bytes_used = bytes_used - ?, envelope_count = envelope_count - ? WHERE account_no = ?',
    ),
    deleteExpired: db.prepare<[number]>('DELETE FROM items WHERE expiry_day > 0 AND expiry_day < ?'),
    sweepMailbox: db.prepare<[number]>('DELETE FROM mailbox WHERE expires_at <= ?'),
    insertMailbox: db.prepare<[Buffer, Buffer, number]>(
      'INSERT OR IGNORE INTO mailbox (id, bytes, expires_at) VALUES (?, ?, ?)',
    ),
    takeMailbox: db.prepare<[Buffer], { bytes: Buffer; expires_at: number }>(
      'DELETE FROM mailbox WHERE id = ? RETURNING bytes, expires_at',
    ),
    sweepNonces: db.prepare<[number]>('DELETE FROM nonces WHERE expires_at <= ?'),
    insertNonce: db.prepare<[Buffer, number]>('INSERT OR IGNORE INTO nonces (key, expires_at) VALUES (?, ?)'),
  };
}
