/**
 * `SqliteStore`: the embedded default, one SQLite file through better-sqlite3.
 *
 * Durability. The file runs in WAL mode. With `synchronous = NORMAL`, a commit is written to
 * the WAL but not fsynced: it survives the process being killed (SIGKILL, OOM), because the
 * bytes are already in the OS page cache, but an OS crash or power loss can roll back the
 * last commits. That would not only lose acknowledged pushes: the rolled-back cursors would
 * be handed out again, and a device that pulled them before the crash would skip the new
 * envelopes behind those numbers for good. So the default is `FULL` (an fsync of the WAL per
 * commit, the same promise PostgreSQL makes with `synchronous_commit = on`); batches keep it
 * cheap. Choose `NORMAL` only where losing the last second of writes on power loss is fine.
 *
 * Concurrency. better-sqlite3 is synchronous, so each call runs to completion inside one
 * transaction (writes use BEGIN IMMEDIATE) and is atomic. Several processes may open the
 * same file; they serialise on SQLite's write lock (`busyTimeoutMs`), cursors stay in commit
 * order, and CAS appends, log appends and log cuts stay exact (a cut is checked in the same
 * write transaction as its chain append). `watch` only sees commits made through this instance.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { StorageError } from '../errors.js';
import { exceedsQuota, planBatch, withCheckpoint, type UsageDelta } from './batchPlan.js';
import { copyBytes, sameBytes, toHex } from './bytes.js';
import { MAX_CHAIN_INDEX, resolveLimits, type ResolvedLimits } from './limits.js';
import { checkCut, decideLogAppend, type LogDecision } from './logRules.js';
import { loadOptional } from './optionalDependency.js';
import { migrateSqlite } from './sqliteSchema.js';
import {
  prepareStatements,
  type AccountRow,
  type ChainRow,
  type ItemRow,
  type SqliteStatements,
} from './sqliteStatements.js';
import type {
  ChainEntryRow,
  EnvelopeInput,
  EnvelopePurge,
  LogAppend,
  LogCut,
  LogHead,
  PullPage,
  PutOutcome,
  Store,
  StoredItem,
  StoreLimits,
  Unwatch,
  Usage,
  WatchListener,
} from './store.js';
import { asStorageError, driverCode, storageError } from './storageErrors.js';
import {
  checkAccountId,
  checkChainEntry,
  checkCounter,
  checkDay,
  checkDeviceId,
  checkEnvelopes,
  checkExpiry,
  checkHash,
  checkInt,
  checkLogAppend,
  checkLogCut,
  checkMailboxBytes,
  checkMailboxId,
  checkNonceKey,
  checkPageLimit,
  checkPurges,
} from './validate.js';
import { WatcherRegistry } from './watchers.js';

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions extends StoreLimits {
  /** `FULL` (default) survives power loss; `NORMAL` survives only a process crash. See the module comment. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another process's write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

/**
 * Why `open` failed. SQLite reports a file it may not write as `SQLITE_CANTOPEN` (it cannot
 * create the -wal or -shm beside it), the same code as a missing folder; when the file, or the
 * folder it would be created in, is not writable, the failure is `STORE_READ_ONLY` instead.
 */
function openFailure(path: string, error: unknown): StorageError {
  const code = driverCode(error);
  if (code !== undefined && code.startsWith('SQLITE_CANTOPEN') && path !== ':memory:') {
    const target = existsSync(path) ? path : dirname(path);
    try {
      accessSync(target, constants.W_OK);
      if (target === path) accessSync(dirname(path), constants.W_OK);
    } catch (denied) {
      const why = driverCode(denied) ?? 'not writable';
      return storageError('STORE_READ_ONLY', `SQLite cannot write ${target} (${why})`, error);
    }
  }
  return asStorageError(error, 'SQLite');
}

/** A zero-copy Buffer view, the type better-sqlite3 binds as BLOB. */
function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toEntry(row: ChainRow): ChainEntryRow {
  return { index: row.idx, hash: copyBytes(row.hash), bytes: copyBytes(row.bytes) };
}

function toItem(row: ItemRow): StoredItem {
  if (row.kind === 'log') {
    return { kind: 'log', cursor: row.cursor, device: copyBytes(row.sender), position: row.position, bytes: copyBytes(row.bytes) };
  }
  return {
    cursor: row.cursor,
    recordId: copyBytes(row.record_id),
    revision: row.revision,
    sender: copyBytes(row.sender),
    kind: row.kind,
    expiryDay: row.expiry_day,
    bytes: copyBytes(row.bytes),
  };
}

/** A `Store` in one SQLite file. Create it with `SqliteStore.open`. */
export class SqliteStore implements Store {
  private readonly watchers = new WatcherRegistry();
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly sql: SqliteStatements,
    private readonly limits: ResolvedLimits,
  ) {}

  /**
   * Opens (creating or migrating) the database at `path`; `:memory:` works for tests.
   * @throws StorageError `SCHEMA_TOO_NEW`, `INVALID_ARGUMENT` (bad option), `STORE_FAILURE`
   * @throws UsageError `DEPENDENCY_MISSING` when the package `better-sqlite3` is not installed.
   */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const limits = resolveLimits(options);
    const synchronous = options.synchronous ?? 'FULL';
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      throw storageError('INVALID_ARGUMENT', "synchronous must be 'FULL' or 'NORMAL'");
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    checkInt('busyTimeoutMs', busyTimeoutMs, 0, 0x7fff_ffff);
    const Driver = await loadOptional<typeof Database>('better-sqlite3', 'SqliteStore', () => import('better-sqlite3'));
    let db: Database.Database | undefined;
    try {
      db = new Driver(path, { timeout: busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      db.pragma('foreign_keys = ON');
      migrateSqlite(db);
      return new SqliteStore(db, prepareStatements(db), limits);
    } catch (error) {
      db?.close();
      throw openFailure(path, error);
    }
  }

  /** Runs `body` on an open store, turning driver errors into `STORE_FAILURE`. */
  private run<T>(body: () => T): T {
    if (this.closed) throw storageError('STORE_CLOSED', 'the store is closed');
    try {
      return body();
    } catch (error) {
      throw asStorageError(error, 'SQLite');
    }
  }

  private account(accountId: Uint8Array): AccountRow {
    checkAccountId(accountId);
    const row = this.sql.account.get(blob(accountId));
    if (row === undefined) throw storageError('ACCOUNT_NOT_FOUND', 'no such account');
    return row;
  }

  async createAccount(accountId: Uint8Array, genesis: ChainEntryRow): Promise<void> {
    checkAccountId(accountId);
    checkChainEntry(genesis);
    checkInt('genesis.index', genesis.index, 0, 0);
    this.run(() =>
      this.db
        .transaction(() => {
          if (this.sql.account.get(blob(accountId)) !== undefined) {
            throw storageError('ACCOUNT_EXISTS', 'the account already exists');
          }
          const { lastInsertRowid } = this.sql.insertAccount.run(blob(accountId), 0, blob(genesis.hash));
          this.sql.insertChain.run(Number(lastInsertRowid), 0, blob(genesis.hash), blob(genesis.bytes));
        })
        .immediate(),
    );
  }

  async hasAccount(accountId: Uint8Array): Promise<boolean> {
    checkAccountId(accountId);
    return this.run(() => this.sql.account.get(blob(accountId)) !== undefined);
  }

  async deleteAccount(accountId: Uint8Array): Promise<void> {
    this.run(() =>
      this.db.transaction(() => this.sql.deleteAccount.run(this.account(accountId).account_no)).immediate(),
    );
  }

  async chainHead(accountId: Uint8Array): Promise<ChainEntryRow> {
    return this.run(() =>
      this.db.transaction(() => {
        const account = this.account(accountId);
        return toEntry(this.sql.chainEntry.get(account.account_no, account.head_index) as ChainRow);
      })(),
    );
  }

  async readChain(accountId: Uint8Array, fromIndex: number, limit: number): Promise<ChainEntryRow[]> {
    checkInt('fromIndex', fromIndex, 0, MAX_CHAIN_INDEX);
    checkPageLimit(limit);
    return this.run(() =>
      this.db.transaction(() =>
        this.sql.chainRange.all(this.account(accountId).account_no, fromIndex, limit).map(toEntry),
      )(),
    );
  }

  async appendChain(
    accountId: Uint8Array,
    expectedHeadHash: Uint8Array,
    entry: ChainEntryRow,
    cut?: LogCut,
  ): Promise<void> {
    checkAccountId(accountId);
    checkHash('expectedHeadHash', expectedHeadHash);
    checkChainEntry(entry);
    checkLogCut(cut);
    this.run(() =>
      this.db
        .transaction(() => {
          const account = this.account(accountId);
          if (!sameBytes(account.head_hash, expectedHeadHash) || entry.index !== account.head_index + 1) {
            throw storageError('CHAIN_CONFLICT', 'the chain head moved; re-read it and retry');
          }
          // BEGIN IMMEDIATE holds the file's write lock, so no log append slips in between.
          if (cut !== undefined) checkCut(this.sql.logHeadKey.get(account.account_no, blob(cut.device)), cut);
          this.sql.insertChain.run(account.account_no, entry.index, blob(entry.hash), blob(entry.bytes));
          this.sql.setHead.run(entry.index, blob(entry.hash), account.account_no);
        })
        .immediate(),
    );
  }

  async putEnvelopes(accountId: Uint8Array, items: readonly EnvelopeInput[], log?: LogAppend): Promise<PutOutcome[]> {
    checkAccountId(accountId);
    checkEnvelopes(items);
    checkLogAppend(log);
    const { outcomes, lastCursor } = this.run(() =>
      this.db.transaction(() => this.writeBatch(accountId, items, log)).immediate(),
    );
    if (lastCursor > 0) this.watchers.emit(toHex(accountId), lastCursor);
    return outcomes;
  }

  /** Decides `log` against the account's stored log (see `decideLogAppend`). */
  private decideLog(no: number, log: LogAppend | undefined): LogDecision | undefined {
    if (log === undefined) return undefined;
    const device = blob(log.device);
    return decideLogAppend(this.sql.logHeadKey.get(no, device), log, () =>
      this.sql.checkpointBytes.get(no, device, log.position)?.bytes,
    );
  }

  /**
   * Checks the quota for `delta` plus the checkpoint when `decision` stores it, stores the
   * checkpoint and moves the head, and applies the usage change. Returns the checkpoint's
   * cursor, or 0 when none was stored.
   * @throws StorageError `QUOTA_EXCEEDED` (the caller's transaction rolls back)
   */
  private admit(account: AccountRow, delta: UsageDelta, log: LogAppend | undefined, decision: LogDecision | undefined): number {
    const no = account.account_no;
    const checkpoint = decision === 'append' ? log : undefined;
    const total = withCheckpoint(delta, checkpoint?.bytes);
    if (exceedsQuota({ bytes: account.bytes_used, envelopes: account.envelope_count }, total, this.limits)) {
      throw storageError('QUOTA_EXCEEDED', 'the call would exceed the account quota');
    }
    if (total.bytesDelta !== 0 || total.countDelta !== 0) this.sql.addUsage.run(total.bytesDelta, total.countDelta, no);
    if (checkpoint === undefined) return 0;
    const device = blob(checkpoint.device);
    const { lastInsertRowid } = this.sql.insertCheckpoint.run(no, device, checkpoint.position, blob(checkpoint.bytes));
    this.sql.setLogHead.run(no, device, checkpoint.position, blob(checkpoint.hash));
    return Number(lastInsertRowid);
  }

  /** The body of putEnvelopes, inside its transaction; throwing rolls everything back. */
  private writeBatch(accountId: Uint8Array, items: readonly EnvelopeInput[], log: LogAppend | undefined) {
    const account = this.account(accountId);
    const no = account.account_no;
    const decision = this.decideLog(no, log);
    const plan = planBatch(items, (key) => {
      const row = this.sql.envelopeHeader.get(no, Buffer.from(key, 'hex'));
      return (
        row && {
          revision: row.revision,
          sender: row.sender,
          kind: row.kind,
          expiryDay: row.expiry_day,
          size: row.size,
          bytes: () => (this.sql.envelopeBytes.get(row.cursor) as { bytes: Buffer }).bytes,
        }
      );
    });
    // The checkpoint goes in first, so its cursor is below every envelope of the call.
    let lastCursor = this.admit(account, plan, log, decision);
    for (const item of plan.writes.values()) {
      this.sql.deleteEnvelope.run(no, blob(item.recordId));
      const inserted = this.sql.insertEnvelope.run(
        no,
        blob(item.recordId),
        item.revision,
        blob(item.sender),
        item.kind,
        item.expiryDay,
        blob(item.bytes),
      );
      lastCursor = Number(inserted.lastInsertRowid);
    }
    return { outcomes: plan.outcomes, lastCursor };
  }

  async pullEnvelopes(accountId: Uint8Array, afterCursor: number, limit: number): Promise<PullPage> {
    checkCounter('afterCursor', afterCursor);
    checkPageLimit(limit);
    const rows = this.run(() =>
      this.db.transaction(() => this.sql.pull.all(this.account(accountId).account_no, afterCursor, limit + 1))(),
    );
    const items = rows.slice(0, limit).map(toItem);
    const last = items[items.length - 1];
    return { items, cursor: last?.cursor ?? afterCursor, more: rows.length > limit };
  }

  async purgeEnvelopes(accountId: Uint8Array, purges: readonly EnvelopePurge[], log?: LogAppend): Promise<number> {
    checkAccountId(accountId);
    checkPurges(purges);
    checkLogAppend(log);
    const { count, checkpointCursor } = this.run(() =>
      this.db
        .transaction(() => {
          const account = this.account(accountId);
          const no = account.account_no;
          const decision = this.decideLog(no, log);
          let count = 0;
          let size = 0;
          for (const { recordId, upToRevision } of purges) {
            const gone = this.sql.purgeEnvelope.get(no, blob(recordId), upToRevision);
            if (gone === undefined) continue;
            count += 1;
            size += gone.size;
          }
          const checkpointCursor = this.admit(account, { bytesDelta: -size, countDelta: -count }, log, decision);
          return { count, checkpointCursor };
        })
        .immediate(),
    );
    if (checkpointCursor > 0) this.watchers.emit(toHex(accountId), checkpointCursor);
    return count;
  }

  async logHead(accountId: Uint8Array, device: Uint8Array): Promise<LogHead | null> {
    checkAccountId(accountId);
    checkDeviceId('device', device);
    const row = this.run(() =>
      this.db.transaction(() => this.sql.logHead.get(this.account(accountId).account_no, blob(device)))(),
    );
    return row === undefined ? null : { position: row.position, hash: copyBytes(row.hash), bytes: copyBytes(row.bytes) };
  }

  async collectExpired(today: number): Promise<number> {
    checkDay('today', today);
    return this.run(() =>
      this.db
        .transaction(() => {
          let total = 0;
          for (const group of this.sql.expiredGroups.all(today)) {
            this.sql.subtractUsage.run(group.size, group.n, group.account_no);
            total += group.n;
          }
          this.sql.deleteExpired.run(today);
          return total;
        })
        .immediate(),
    );
  }

  async usage(accountId: Uint8Array): Promise<Usage> {
    const account = this.run(() => this.account(accountId));
    return { bytes: account.bytes_used, envelopes: account.envelope_count };
  }

  async mailboxPut(id: Uint8Array, bytes: Uint8Array, expiresAtMs: number, nowMs: number): Promise<void> {
    checkMailboxId(id);
    checkMailboxBytes(bytes);
    checkExpiry(expiresAtMs, nowMs);
    this.run(() =>
      this.db
        .transaction(() => {
          this.sql.sweepMailbox.run(nowMs);
          if (this.sql.insertMailbox.run(blob(id), blob(bytes), expiresAtMs).changes === 0) {
            throw storageError('MAILBOX_FULL', 'a message is already waiting under this id');
          }
        })
        .immediate(),
    );
  }

  async mailboxTake(id: Uint8Array, nowMs: number): Promise<Uint8Array | null> {
    checkMailboxId(id);
    checkCounter('nowMs', nowMs);
    const row = this.run(() => this.sql.takeMailbox.get(blob(id)));
    return row !== undefined && row.expires_at > nowMs ? copyBytes(row.bytes) : null;
  }

  async rememberNonce(key: Uint8Array, expiresAtMs: number, nowMs: number): Promise<boolean> {
    checkNonceKey(key);
    checkExpiry(expiresAtMs, nowMs);
    return this.run(() =>
      this.db
        .transaction(() => {
          this.sql.sweepNonces.run(nowMs);
          return this.sql.insertNonce.run(blob(key), expiresAtMs).changes === 1;
        })
        .immediate(),
    );
  }

  async watch(accountId: Uint8Array, listener: WatchListener): Promise<Unwatch> {
    this.run(() => this.account(accountId));
    const remove = this.watchers.add(toHex(accountId), listener);
    return async () => remove();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.db.close();
  }
}
