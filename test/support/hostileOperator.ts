/**
 * What a hostile operator of the sync server can do: read and rewrite its own database behind
 * the server's back (raw SQL on the SQLite file: schema v2, where envelopes and log checkpoints
 * are rows of one `items` table and each device's log head a row of `logs`), run its server over
 * a store it controls, or put a patched server in front that serves its tables without the
 * honest server's checks.
 */
import Database from 'better-sqlite3';
import { encodeValue } from '../../src/core/cbor.js';
import type { EncodedEntry } from '../../src/enrollment/chainEntry.js';
import type { Store } from '../../src/storage/store.js';

function withDb<T>(dbPath: string, run: (db: Database.Database, accountNo: number) => T, accountId: Uint8Array): T {
  const db = new Database(dbPath);
  try {
    const row = db.prepare('SELECT account_no FROM accounts WHERE account_id = ?').get(Buffer.from(accountId)) as { account_no: number };
    return db.transaction(() => run(db, row.account_no)).immediate();
  } finally {
    db.close();
  }
}

/** The chain rows as stored. */
export function storedChain(dbPath: string, accountId: Uint8Array): { idx: number; hash: Uint8Array; bytes: Uint8Array }[] {
  return withDb(dbPath, (db, no) => db.prepare('SELECT idx, hash, bytes FROM chain WHERE account_no = ? ORDER BY idx').all(no) as never, accountId);
}

/** One row of the `items` table (schema v2): an envelope, or a log checkpoint (`kind` 'log'). */
export interface StoredItemRow {
  cursor: number;
  kind: 'record' | 'tombstone' | 'log';
  /** Null for a checkpoint. */
  recordId: Uint8Array | null;
  revision: number | null;
  sender: Uint8Array;
  /** The checkpoint's log position; null for an envelope. */
  position: number | null;
  bytes: Uint8Array;
}

/** Every item row of the account as the database file holds it, in cursor order. */
export function storedItems(dbPath: string, accountId: Uint8Array): StoredItemRow[] {
  const rows = withDb(
    dbPath,
    (db, no) =>
      db.prepare('SELECT cursor, kind, record_id, revision, sender, position, bytes FROM items WHERE account_no = ? ORDER BY cursor').all(no) as {
        cursor: number;
        kind: StoredItemRow['kind'];
        record_id: Buffer | null;
        revision: number | null;
        sender: Buffer;
        position: number | null;
        bytes: Buffer;
      }[],
    accountId,
  );
  return rows.map((r) => ({
    cursor: r.cursor,
    kind: r.kind,
    recordId: r.record_id === null ? null : new Uint8Array(r.record_id),
    revision: r.revision,
    sender: new Uint8Array(r.sender),
    position: r.position,
    bytes: new Uint8Array(r.bytes),
  }));
}

/** Cuts the stored chain back to its first `length` entries and moves the head there. */
export function rollBackChain(dbPath: string, accountId: Uint8Array, length: number): void {
  withDb(dbPath, (db, no) => {
    db.prepare('DELETE FROM chain WHERE account_no = ? AND idx >= ?').run(no, length);
    const head = db.prepare('SELECT idx, hash FROM chain WHERE account_no = ? AND idx = ?').get(no, length - 1) as { idx: number; hash: Buffer };
    db.prepare('UPDATE accounts SET head_index = ?, head_hash = ? WHERE account_no = ?').run(head.idx, head.hash, no);
  }, accountId);
}

/** Writes an entry at the end of the stored chain, skipping every check the server makes. */
export function writeEntry(dbPath: string, accountId: Uint8Array, entry: EncodedEntry): void {
  withDb(dbPath, (db, no) => {
    db.prepare('INSERT INTO chain (account_no, idx, hash, bytes) VALUES (?, ?, ?, ?)').run(no, entry.entry.i, Buffer.from(entry.hash), Buffer.from(entry.bytes));
    db.prepare('UPDATE accounts SET head_index = ?, head_hash = ? WHERE account_no = ?').run(entry.entry.i, Buffer.from(entry.hash), no);
  }, accountId);
}

/**
 * A patched server: chain reads are answered straight from the SQLite tables, unverified;
 * everything else goes to the real server.
 */
export function servesItsTablesUnverified(dbPath: string): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const match = /^\/v1\/accounts\/([0-9a-f]{64})\/chain$/.exec(url.pathname);
    if (request.method !== 'GET' || match === null) return fetch(request);
    const accountId = Uint8Array.from(Buffer.from(match[1]!, 'hex'));
    const rows = storedChain(dbPath, accountId);
    const from = Number(url.searchParams.get('from') ?? 0);
    const body = {
      entries: rows.slice(from).map((r) => new Uint8Array(r.bytes)),
      head: new Uint8Array(rows.at(-1)!.hash),
      length: rows.length,
      more: false,
    };
    return new Response(encodeValue(body) as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/cbor' } });
  };
}

/** A store whose mailbox hands out what `rewrite` returns instead of what was left there. */
export function rewritingMailbox(store: Store, rewrite: (id: Uint8Array, bytes: Uint8Array) => Uint8Array): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'mailboxTake') {
        return async (id: Uint8Array, now: number) => {
          const bytes = await target.mailboxTake(id, now);
          return bytes === null ? null : rewrite(id, bytes);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
