/**
 * SQL text of `PostgresStore`. Fixed statements carry a name so each pooled connection parses
 * them once. Account-scoped reads join `mks_accounts` so "unknown account" and the data come
 * back in one round trip (no row at all = no account).
 */

/** A named, parameterised statement for `pg`. */
export interface NamedSql {
  readonly name: string;
  readonly text: string;
}

const named = (name: string, text: string): NamedSql => ({ name: `mks_${name}`, text });

export const SQL = {
  hasAccount: named('has_account', 'SELECT 1 FROM mks_accounts WHERE account_id = $1'),
  usage: named('usage', 'SELECT bytes_used, envelope_count FROM mks_accounts WHERE account_id = $1'),
  /** Read after the account's advisory lock, so the counters and the chain head are current. */
  lockedAccount: named(
    'locked_account',
    'SELECT account_no, bytes_used, envelope_count, head_index, head_hash FROM mks_accounts WHERE account_id = $1',
  ),
  createAccount: named(
    'create_account',
    `WITH created AS (
       INSERT INTO mks_accounts (account_id, head_index, head_hash) VALUES ($1, 0, $2)
       ON CONFLICT (account_id) DO NOTHING
       RETURNING account_no)
     INSERT INTO mks_chain (account_no, idx, hash, bytes) SELECT account_no, 0, $2, $3 FROM created`,
  ),
  deleteAccount: named('delete_account', 'DELETE FROM mks_accounts WHERE account_id = $1'),
  chainHead: named(
    'chain_head',
    `SELECT c.idx, c.hash, c.bytes
       FROM mks_accounts a JOIN mks_chain c ON c.account_no = a.account_no AND c.idx = a.head_index
      WHERE a.account_id = $1`,
  ),
  readChain: named(
    'read_chain',
    `SELECT c.idx, c.hash, c.bytes
       FROM mks_accounts a
       LEFT JOIN LATERAL (
         SELECT idx, hash, bytes FROM mks_chain
          WHERE account_no = a.account_no AND idx >= $2 ORDER BY idx LIMIT $3) c ON true
      WHERE a.account_id = $1`,
  ),
  /**
   * Compare-and-swap in one statement: the UPDATE matches only the expected head, and row
   * locking makes a concurrent second UPDATE re-check its WHERE against the new head, match
   * nothing, and insert nothing. The (account_no, idx) key is a second guard. (appendChain
   * also runs it under the account's advisory lock, for the log cut; the CAS stays exact
   * on its own.)
   */
  appendChain: named(
    'append_chain',
    `WITH head AS (
       UPDATE mks_accounts SET head_index = $3, head_hash = $4
        WHERE account_id = $1 AND head_hash = $2 AND head_index = $3 - 1
       RETURNING account_no)
     INSERT INTO mks_chain (account_no, idx, hash, bytes) SELECT account_no, $3, $4, $5 FROM head`,
  ),
  /**
   * Stored versions of the batch's (distinct) records; bytes only where an incoming version is
   * equal. One primary-key probe per record id: as a plain filter or join, a table without
   * statistics yet (a new deployment, a bench) was scanned across the whole account on every
   * push. LIMIT 1 (the key allows one row anyway) stops the planner flattening the probe.
   */
  currentVersions: named(
    'current_versions',
    `SELECT e.record_id, e.revision, e.sender, e.kind, e.expiry_day, e.size, e.bytes
       FROM unnest($4::bytea[]) AS wanted (record_id)
       CROSS JOIN LATERAL (
         SELECT record_id, revision, sender, kind, expiry_day, octet_length(bytes) AS size,
                CASE WHEN (revision, sender) IN (SELECT * FROM unnest($2::int8[], $3::bytea[]))
                     THEN bytes END AS bytes
           FROM mks_items
          WHERE account_no = $1 AND record_id = wanted.record_id
          LIMIT 1) e`,
  ),
  finishPut: named(
    'finish_put',
    `WITH usage AS (
       UPDATE mks_accounts SET bytes_used = bytes_used + $2, envelope_count = envelope_count + $3
        WHERE account_no = $1)
     SELECT pg_notify($4, $5)`,
  ),
  /** Envelopes and checkpoints alike; a checkpoint row has kind 'log' and a position. */
  pull: named(
    'pull',
    `SELECT e.cursor, e.kind, e.record_id, e.revision, e.sender, e.position, e.expiry_day, e.bytes
       FROM mks_accounts a
       LEFT JOIN LATERAL (
         SELECT * FROM mks_items
          WHERE account_no = a.account_no AND cursor > $2 ORDER BY cursor LIMIT $3) e ON true
      WHERE a.account_id = $1`,
  ),
  /** The device's head, and the bytes of its checkpoint at position $3 if one is stored. */
  logState: named(
    'log_state',
    `SELECT l.position, l.hash,
            (SELECT bytes FROM mks_items WHERE account_no = $1 AND sender = $2 AND position = $3) AS stored
       FROM (SELECT 1) AS one
       LEFT JOIN mks_logs l ON l.account_no = $1 AND l.device = $2`,
  ),
  logHeadKey: named('log_head_key', 'SELECT position, hash FROM mks_logs WHERE account_no = $1 AND device = $2'),
  /** No row: no account; a row with a null position: no checkpoint. */
  logHead: named(
    'log_head',
    `SELECT l.position, l.hash, i.bytes
       FROM mks_accounts a
       LEFT JOIN mks_logs l ON l.account_no = a.account_no AND l.device = $2
       LEFT JOIN mks_items i ON i.account_no = l.account_no AND i.sender = l.device AND i.position = l.position
      WHERE a.account_id = $1`,
  ),
  /** Stores a checkpoint (its cursor from the shared sequence) and makes it the device's head. */
  appendCheckpoint: named(
    'append_checkpoint',
    `WITH head AS (
       INSERT INTO mks_logs (account_no, device, position, hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_no, device) DO UPDATE SET position = EXCLUDED.position, hash = EXCLUDED.hash)
     INSERT INTO mks_items (account_no, kind, sender, position, expiry_day, bytes)
     VALUES ($1, 'log', $2, $3, 0, $5)
     RETURNING cursor`,
  ),
  /** Checkpoint rows have expiry_day 0 (a CHECK constraint), so they never expire. */
  expiredAccounts: named(
    'expired_accounts',
    `SELECT a.account_no, a.account_id FROM mks_accounts a
      WHERE EXISTS (SELECT 1 FROM mks_items e
                     WHERE e.account_no = a.account_no AND e.expiry_day > 0 AND e.expiry_day < $1)`,
  ),
  collectAccount: named(
    'collect_account',
    `WITH gone AS (
       DELETE FROM mks_items WHERE account_no = $1 AND expiry_day > 0 AND expiry_day < $2
       RETURNING octet_length(bytes) AS size),
     usage AS (
       UPDATE mks_accounts
          SET bytes_used = bytes_used - (SELECT coalesce(sum(size), 0) FROM gone),
              envelope_count = envelope_count - (SELECT count(*) FROM gone)
        WHERE account_no = $1)
     SELECT count(*) AS n FROM gone`,
  ),
  /**
   * Deletes each listed record ($2) of one account whose revision is at most its bound ($3),
   * and shrinks its usage by what went. A row named twice is deleted once.
   */
  purge: named(
    'purge',
    `WITH gone AS (
       DELETE FROM mks_items e USING unnest($2::bytea[], $3::int8[]) AS p (record_id, up_to)
        WHERE e.account_no = $1 AND e.record_id = p.record_id AND e.revision <= p.up_to
       RETURNING octet_length(e.bytes) AS size),
     usage AS (
       UPDATE mks_accounts
          SET bytes_used = bytes_used - (SELECT coalesce(sum(size), 0) FROM gone),
              envelope_count = envelope_count - (SELECT count(*) FROM gone)
        WHERE account_no = $1)
     SELECT count(*) AS n, coalesce(sum(size), 0) AS size FROM gone`,
  ),
  latestCursors: named(
    'latest_cursors',
    `SELECT a.account_id, (SELECT max(cursor) FROM mks_items e WHERE e.account_no = a.account_no) AS cursor
       FROM mks_accounts a WHERE a.account_id = ANY($1::bytea[])`,
  ),
  /**
   * Sweeps a bounded number of expired messages (SKIP LOCKED: concurrent callers in other
   * processes share the work instead of queueing), then inserts; a live message under the
   * id blocks the insert, an expired one is replaced.
   */
  mailboxPut: named(
    'mailbox_put',
    `WITH swept AS (
       DELETE FROM mks_mailbox WHERE id IN (
         SELECT id FROM mks_mailbox WHERE expires_at <= $4 AND id <> $1
          ORDER BY expires_at LIMIT 64 FOR UPDATE SKIP LOCKED))
     INSERT INTO mks_mailbox (id, bytes, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET bytes = EXCLUDED.bytes, expires_at = EXCLUDED.expires_at
      WHERE mks_mailbox.expires_at <= $4`,
  ),
  mailboxTake: named('mailbox_take', 'DELETE FROM mks_mailbox WHERE id = $1 RETURNING bytes, expires_at'),
  /** Same pattern as mailboxPut; exactly one of concurrent inserts of a key affects a row. */
  rememberNonce: named(
    'remember_nonce',
    `WITH swept AS (
       DELETE FROM mks_nonces WHERE key IN (
         SELECT key FROM mks_nonces WHERE expires_at <= $3 AND key <> $1
          ORDER BY expires_at LIMIT 64 FOR UPDATE SKIP LOCKED))
     INSERT INTO mks_nonces (key, expires_at) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
      WHERE mks_nonces.expires_at <= $3`,
  ),
} as const;

/** Most rows per INSERT; 7 parameters per row stay far below PostgreSQL's 65,535. */
export const INSERT_CHUNK = 1000;

const insertTexts = new Map<number, string>();

/**
 * `INSERT ... VALUES (...), (...)` for `rows` envelopes of one account ($1). Multi-row VALUES
 * rather than unnest(): each bytea travels as a binary parameter, not hex in an array literal.
 * A conflicting record gets the new version and a fresh cursor from the column default.
 */
export function insertEnvelopesSql(rows: number): string {
  let text = insertTexts.get(rows);
  if (text === undefined) {
    const tuples: string[] = [];
    for (let r = 0; r < rows; r += 1) {
      const p = 2 + r * 6;
      tuples.push(`($1, $${p}, $${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5})`);
    }
    text = `INSERT INTO mks_items (account_no, record_id, revision, sender, kind, expiry_day, bytes)
      VALUES ${tuples.join(', ')}
      ON CONFLICT (account_no, record_id) WHERE record_id IS NOT NULL DO UPDATE SET
        cursor = EXCLUDED.cursor, revision = EXCLUDED.revision, sender = EXCLUDED.sender,
        kind = EXCLUDED.kind, expiry_day = EXCLUDED.expiry_day, bytes = EXCLUDED.bytes
      RETURNING cursor`;
    if (insertTexts.size < 64) insertTexts.set(rows, text);
  }
  return text;
}
