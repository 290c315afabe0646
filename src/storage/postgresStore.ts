/**
 * `PostgresStore`: the scale-out adapter. Many stateless server processes share one
 * PostgreSQL database through `pg` pools; LISTEN/NOTIFY wakes pullers in every process.
 *
 * Cursor order versus commit order. Cursors come from one sequence, and sequence values are
 * taken before commit: if transaction A took cursor 10 and B took 11, B could commit first, a
 * puller could read 11 and move past it, and A's 10 would then be skipped for good. Pulls are
 * per account, so it is enough that one account's cursors are assigned in commit order. Every
 * transaction that writes an account's envelopes therefore first takes a transaction-level
 * advisory lock for that account (`pg_advisory_xact_lock`), held until COMMIT: the next writer
 * of the account can only take a cursor after the previous one's rows are visible. The same
 * lock makes concurrent pushes of one envelope come out as one `stored` and one `duplicate`,
 * and keeps the account's usage counters exact. Different accounts never wait for each other
 * (apart from a 1-in-2^32 collision of their lock keys, which only costs a wait).
 *
 * Device logs ride on the same lock. A log append (a push or purge with a checkpoint) checks
 * and moves the device's head inside the locked transaction, and `appendChain` takes the lock
 * too, so a cut (a `remove` or `rotate` naming the device's exact head) is checked with no
 * push of that device in flight, in any process. A row lock on the head (SELECT ... FOR
 * UPDATE) would not do: a device with no checkpoint yet has no head row to lock, and the cut
 * "no checkpoint at all" must still exclude its first append. Locking the account row would
 * work, but every envelope writer already holds the advisory lock, so one lock serves both,
 * always taken first (no lock-order deadlock). Chain appends are rare, so they always take it
 * (one code path) and keep their compare-and-swap statement (see postgresSql.ts).
 *
 * Numbers: bigint columns come back from `pg` as strings and are converted; every value
 * stays a safe integer.
 */
import type pg from 'pg';
import { exceedsQuota, planBatch, withCheckpoint, type StoredVersion, type UsageDelta } from './batchPlan.js';
import { copyBytes, sameBytes, toHex } from './bytes.js';
import { MAX_CHAIN_INDEX, resolveLimits, type ResolvedLimits } from './limits.js';
import { checkCut, decideLogAppend, type HeadKey, type LogDecision } from './logRules.js';
import { loadOptional } from './optionalDependency.js';
import { ENVELOPE_CHANNEL, envelopePayload, PostgresListener } from './postgresListener.js';
import { migratePostgres } from './postgresSchema.js';
import { INSERT_CHUNK, insertEnvelopesSql, SQL, type NamedSql } from './postgresSql.js';
import type {
  ChainEntryRow,
  EnvelopeInput,
  EnvelopeKind,
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
import { asStorageError, storageError } from './storageErrors.js';
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

/** Options of `PostgresStore.connect`. */
export type PostgresStoreOptions = StoreLimits;

/**
 * Connection settings, passed to `pg.Pool` as they are (pg's `PoolConfig`: `host`, `port`,
 * `user`, `password`, `database`, `ssl`, `max`, …). Declared here so that apps type-check
 * against `multikey-sync/server` without installing `@types/pg`.
 */
export interface PostgresPoolConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string | (() => string | Promise<string>);
  database?: string;
  ssl?: boolean | object;
  /** Most connections in the pool. */
  max?: number;
  [option: string]: unknown;
}

/** First key of the two-int4 advisory lock guarding one account's envelope writes. */
const ENVELOPE_LOCK_CLASS = 0x6d6b7365;

type Row = Record<string, unknown>;

/** A Buffer view, which `pg` sends as a binary parameter. */
function param(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value as string);
}

function bytesOf(value: unknown): Uint8Array {
  return copyBytes(value as Uint8Array);
}

function toEntry(row: Row): ChainEntryRow {
  return { index: num(row['idx']), hash: bytesOf(row['hash']), bytes: bytesOf(row['bytes']) };
}

function toItem(row: Row): StoredItem {
  if (row['kind'] === 'log') {
    return {
      kind: 'log',
      cursor: num(row['cursor']),
      device: bytesOf(row['sender']),
      position: num(row['position']),
      bytes: bytesOf(row['bytes']),
    };
  }
  return {
    cursor: num(row['cursor']),
    recordId: bytesOf(row['record_id']),
    revision: num(row['revision']),
    sender: bytesOf(row['sender']),
    kind: row['kind'] as EnvelopeKind,
    expiryDay: num(row['expiry_day']),
    bytes: bytesOf(row['bytes']),
  };
}

/** The advisory lock key of an account: its first four bytes (ids are random or hashes). */
function accountLockKey(accountId: Uint8Array): number {
  return new DataView(accountId.buffer, accountId.byteOffset, 4).getInt32(0);
}

function notFound(): never {
  throw storageError('ACCOUNT_NOT_FOUND', 'no such account');
}

function headKey(row: Row | undefined): HeadKey | undefined {
  if (row === undefined || row['position'] === null) return undefined;
  return { position: num(row['position']), hash: row['hash'] as Buffer };
}

/** A `Store` in PostgreSQL. Create it with `PostgresStore.connect`. */
export class PostgresStore implements Store {
  private readonly listener: PostgresListener;
  private closed = false;

  private constructor(
    driver: typeof pg,
    private readonly pool: pg.Pool,
    clientConfig: pg.ClientConfig,
    private readonly limits: ResolvedLimits,
  ) {
    this.listener = new PostgresListener(driver, clientConfig, (hexes) => this.latestCursors(hexes));
  }

  /**
   * Connects a pool, creates or migrates the schema, and returns the store. The LISTEN
   * connection opens on the first `watch`.
   * @throws StorageError `SCHEMA_TOO_NEW`, `INVALID_ARGUMENT` (bad option), `STORE_FAILURE`
   *   (cannot connect).
   * @throws UsageError `DEPENDENCY_MISSING` when the package `pg` is not installed.
   */
  static async connect(config: string | PostgresPoolConfig, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const limits = resolveLimits(options);
    const driver = await loadOptional<typeof pg>('pg', 'PostgresStore', () => import('pg'));
    const poolConfig: pg.PoolConfig = typeof config === 'string' ? { connectionString: config } : (config as pg.PoolConfig);
    const pool = new driver.Pool(poolConfig);
    // An idle pooled connection that dies emits 'error' on the pool; without a handler Node
    // would crash. The pool drops that connection and opens a new one when needed.
    pool.on('error', () => undefined);
    try {
      await migratePostgres(pool);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw asStorageError(error, 'PostgreSQL');
    }
    return new PostgresStore(driver, pool, poolConfig, limits);
  }

  private open(): void {
    if (this.closed) throw storageError('STORE_CLOSED', 'the store is closed');
  }

  private async query(sql: NamedSql, values: unknown[]): Promise<pg.QueryResult<Row>> {
    this.open();
    try {
      return await this.pool.query<Row>({ name: sql.name, text: sql.text, values });
    } catch (error) {
      throw asStorageError(error, 'PostgreSQL');
    }
  }

  /** Runs `body` in a transaction holding the account's envelope lock (see the module comment). */
  private async inAccountTransaction<T>(accountId: Uint8Array, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.open();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw asStorageError(error, 'PostgreSQL');
    }
    let broken: Error | undefined;
    try {
      // Integers only, so one simple-protocol round trip can carry both statements.
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${ENVELOPE_LOCK_CLASS}, ${accountLockKey(accountId)})`);
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw asStorageError(error, 'PostgreSQL');
    } finally {
      client.release(broken);
    }
  }

  async createAccount(accountId: Uint8Array, genesis: ChainEntryRow): Promise<void> {
    checkAccountId(accountId);
    checkChainEntry(genesis);
    checkInt('genesis.index', genesis.index, 0, 0);
    const result = await this.query(SQL.createAccount, [param(accountId), param(genesis.hash), param(genesis.bytes)]);
    if (result.rowCount !== 1) throw storageError('ACCOUNT_EXISTS', 'the account already exists');
  }

  async hasAccount(accountId: Uint8Array): Promise<boolean> {
    checkAccountId(accountId);
    return (await this.query(SQL.hasAccount, [param(accountId)])).rows.length > 0;
  }

  async deleteAccount(accountId: Uint8Array): Promise<void> {
    checkAccountId(accountId);
    const deleted = await this.inAccountTransaction(accountId, async (client) => {
      const result = await client.query({ ...SQL.deleteAccount, values: [param(accountId)] });
      return result.rowCount === 1;
    });
    if (!deleted) notFound();
  }

  async chainHead(accountId: Uint8Array): Promise<ChainEntryRow> {
    checkAccountId(accountId);
    const row = (await this.query(SQL.chainHead, [param(accountId)])).rows[0];
    return row === undefined ? notFound() : toEntry(row);
  }

  async readChain(accountId: Uint8Array, fromIndex: number, limit: number): Promise<ChainEntryRow[]> {
    checkAccountId(accountId);
    checkInt('fromIndex', fromIndex, 0, MAX_CHAIN_INDEX);
    checkPageLimit(limit);
    const { rows } = await this.query(SQL.readChain, [param(accountId), fromIndex, limit]);
    if (rows.length === 0) notFound();
    return rows.filter((row) => row['idx'] !== null).map(toEntry);
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
    const conflict = (): never => {
      throw storageError('CHAIN_CONFLICT', 'the chain head moved; re-read it and retry');
    };
    // Under the account's lock, so the cut is checked against a head no push can move meanwhile.
    await this.inAccountTransaction(accountId, async (client) => {
      const account = (await client.query<Row>({ ...SQL.lockedAccount, values: [param(accountId)] })).rows[0];
      if (account === undefined) notFound();
      const head = { index: num(account['head_index']), hash: account['head_hash'] as Buffer };
      if (!sameBytes(head.hash, expectedHeadHash) || entry.index !== head.index + 1) conflict();
      if (cut !== undefined) {
        const { rows } = await client.query<Row>({ ...SQL.logHeadKey, values: [account['account_no'], param(cut.device)] });
        checkCut(headKey(rows[0]), cut);
      }
      const values = [param(accountId), param(expectedHeadHash), entry.index, param(entry.hash), param(entry.bytes)];
      if ((await client.query({ ...SQL.appendChain, values })).rowCount !== 1) conflict();
    });
  }

  async putEnvelopes(accountId: Uint8Array, items: readonly EnvelopeInput[], log?: LogAppend): Promise<PutOutcome[]> {
    checkAccountId(accountId);
    checkEnvelopes(items);
    checkLogAppend(log);
    return this.inAccountTransaction(accountId, async (client) => {
      const account = (await client.query<Row>({ ...SQL.lockedAccount, values: [param(accountId)] })).rows[0];
      if (account === undefined) notFound();
      const accountNo = account['account_no'];
      const decision = await this.decideLog(client, accountNo, log);
      const stored = await this.storedVersions(client, accountNo, items);
      const plan = planBatch(items, (key) => stored.get(key));
      const checkpoint = decision === 'append' ? log : undefined;
      const total = withCheckpoint(plan, checkpoint?.bytes);
      const used = { bytes: num(account['bytes_used']), envelopes: num(account['envelope_count']) };
      if (exceedsQuota(used, total, this.limits)) {
        throw storageError('QUOTA_EXCEEDED', 'the call would exceed the account quota');
      }
      // The checkpoint goes in first, so its cursor is below every envelope of the call.
      let lastCursor = checkpoint === undefined ? 0 : await this.appendCheckpoint(client, accountNo, checkpoint);
      const writes = [...plan.writes.values()];
      for (let start = 0; start < writes.length; start += INSERT_CHUNK) {
        const chunk = writes.slice(start, start + INSERT_CHUNK);
        const values: unknown[] = [accountNo];
        for (const item of chunk) {
          values.push(param(item.recordId), item.revision, param(item.sender), item.kind, item.expiryDay, param(item.bytes));
        }
        const inserted = await client.query<Row>(insertEnvelopesSql(chunk.length), values);
        for (const row of inserted.rows) lastCursor = Math.max(lastCursor, num(row['cursor']));
      }
      if (lastCursor > 0) await this.finishPut(client, accountId, accountNo, total, lastCursor);
      return plan.outcomes;
    });
  }

  /** Decides `log` against the device's stored log (see `decideLogAppend`); under the account lock. */
  private async decideLog(client: pg.PoolClient, accountNo: unknown, log: LogAppend | undefined): Promise<LogDecision | undefined> {
    if (log === undefined) return undefined;
    const { rows } = await client.query<Row>({ ...SQL.logState, values: [accountNo, param(log.device), log.position] });
    const row = rows[0];
    return decideLogAppend(headKey(row), log, () => (row?.['stored'] ?? undefined) as Buffer | undefined);
  }

  /** Stores `log` and makes it the device's head; returns its cursor. */
  private async appendCheckpoint(client: pg.PoolClient, accountNo: unknown, log: LogAppend): Promise<number> {
    const { rows } = await client.query<Row>({
      ...SQL.appendCheckpoint,
      values: [accountNo, param(log.device), log.position, param(log.hash), param(log.bytes)],
    });
    return num(rows[0]?.['cursor']);
  }

  /** Applies the usage change and queues the wakeup for `lastCursor`. */
  private async finishPut(
    client: pg.PoolClient,
    accountId: Uint8Array,
    accountNo: unknown,
    delta: UsageDelta,
    lastCursor: number,
  ): Promise<void> {
    // NOTIFY inside the transaction is delivered at COMMIT, and only if it commits.
    await client.query({
      ...SQL.finishPut,
      values: [accountNo, delta.bytesDelta, delta.countDelta, ENVELOPE_CHANNEL, envelopePayload(toHex(accountId), lastCursor)],
    });
  }

  /** The stored versions of the batch's record ids, keyed by record id hex. */
  private async storedVersions(
    client: pg.PoolClient,
    accountNo: unknown,
    items: readonly EnvelopeInput[],
  ): Promise<Map<string, StoredVersion>> {
    const found = new Map<string, StoredVersion>();
    if (items.length === 0) return found;
    const { rows } = await client.query<Row>({
      ...SQL.currentVersions,
      values: [
        accountNo,
        items.map((item) => item.revision),
        items.map((item) => param(item.sender)),
        [...new Map(items.map((item) => [toHex(item.recordId), param(item.recordId)])).values()],
      ],
    });
    for (const row of rows) {
      const bytes = row['bytes'] as Buffer | null;
      found.set(toHex(row['record_id'] as Buffer), {
        revision: num(row['revision']),
        sender: row['sender'] as Buffer,
        kind: row['kind'] as EnvelopeKind,
        expiryDay: num(row['expiry_day']),
        size: num(row['size']),
        // Loaded only for an equal version; an absent body never equals a pushed one.
        bytes: () => bytes ?? new Uint8Array(0),
      });
    }
    return found;
  }

  async pullEnvelopes(accountId: Uint8Array, afterCursor: number, limit: number): Promise<PullPage> {
    checkAccountId(accountId);
    checkCounter('afterCursor', afterCursor);
    checkPageLimit(limit);
    const { rows } = await this.query(SQL.pull, [param(accountId), afterCursor, limit + 1]);
    if (rows.length === 0) notFound();
    const found = rows.filter((row) => row['cursor'] !== null);
    const items = found.slice(0, limit).map(toItem);
    const last = items[items.length - 1];
    return { items, cursor: last?.cursor ?? afterCursor, more: found.length > limit };
  }

  async purgeEnvelopes(accountId: Uint8Array, purges: readonly EnvelopePurge[], log?: LogAppend): Promise<number> {
    checkAccountId(accountId);
    checkPurges(purges);
    checkLogAppend(log);
    // Under the account's lock, like a push, so the usage counters and the log head stay exact.
    return this.inAccountTransaction(accountId, async (client) => {
      const account = (await client.query<Row>({ ...SQL.lockedAccount, values: [param(accountId)] })).rows[0];
      if (account === undefined) notFound();
      const accountNo = account['account_no'];
      const decision = await this.decideLog(client, accountNo, log);
      let count = 0;
      let size = 0;
      if (purges.length > 0) {
        const values = [accountNo, purges.map((p) => param(p.recordId)), purges.map((p) => p.upToRevision)];
        const gone = (await client.query<Row>({ ...SQL.purge, values })).rows[0];
        count = num(gone?.['n'] ?? 0);
        size = num(gone?.['size'] ?? 0);
      }
      if (decision !== 'append' || log === undefined) return count;
      // The deletes already shrank the counters; the quota sees the call's net effect.
      const used = { bytes: num(account['bytes_used']), envelopes: num(account['envelope_count']) };
      if (exceedsQuota(used, withCheckpoint({ bytesDelta: -size, countDelta: -count }, log.bytes), this.limits)) {
        throw storageError('QUOTA_EXCEEDED', 'the call would exceed the account quota');
      }
      const cursor = await this.appendCheckpoint(client, accountNo, log);
      await this.finishPut(client, accountId, accountNo, { bytesDelta: log.bytes.length, countDelta: 1 }, cursor);
      return count;
    });
  }

  async logHead(accountId: Uint8Array, device: Uint8Array): Promise<LogHead | null> {
    checkAccountId(accountId);
    checkDeviceId('device', device);
    const { rows } = await this.query(SQL.logHead, [param(accountId), param(device)]);
    const row = rows[0];
    if (row === undefined) notFound();
    if (row['position'] === null) return null;
    return { position: num(row['position']), hash: bytesOf(row['hash']), bytes: bytesOf(row['bytes']) };
  }

  /**
   * One transaction per account that has expired envelopes, under that account's lock, so
   * collection never races a push's counters; a failure part-way leaves the remaining
   * accounts for the next run.
   */
  async collectExpired(today: number): Promise<number> {
    checkDay('today', today);
    const { rows } = await this.query(SQL.expiredAccounts, [today]);
    let total = 0;
    for (const row of rows) {
      total += await this.inAccountTransaction(row['account_id'] as Buffer, async (client) => {
        const result = await client.query<Row>({ ...SQL.collectAccount, values: [row['account_no'], today] });
        return num(result.rows[0]?.['n'] ?? 0);
      });
    }
    return total;
  }

  async usage(accountId: Uint8Array): Promise<Usage> {
    checkAccountId(accountId);
    const row = (await this.query(SQL.usage, [param(accountId)])).rows[0];
    if (row === undefined) notFound();
    return { bytes: num(row['bytes_used']), envelopes: num(row['envelope_count']) };
  }

  async mailboxPut(id: Uint8Array, bytes: Uint8Array, expiresAtMs: number, nowMs: number): Promise<void> {
    checkMailboxId(id);
    checkMailboxBytes(bytes);
    checkExpiry(expiresAtMs, nowMs);
    const result = await this.query(SQL.mailboxPut, [param(id), param(bytes), expiresAtMs, nowMs]);
    if (result.rowCount !== 1) throw storageError('MAILBOX_FULL', 'a message is already waiting under this id');
  }

  async mailboxTake(id: Uint8Array, nowMs: number): Promise<Uint8Array | null> {
    checkMailboxId(id);
    checkCounter('nowMs', nowMs);
    const row = (await this.query(SQL.mailboxTake, [param(id)])).rows[0];
    return row !== undefined && num(row['expires_at']) > nowMs ? bytesOf(row['bytes']) : null;
  }

  async rememberNonce(key: Uint8Array, expiresAtMs: number, nowMs: number): Promise<boolean> {
    checkNonceKey(key);
    checkExpiry(expiresAtMs, nowMs);
    return (await this.query(SQL.rememberNonce, [param(key), expiresAtMs, nowMs])).rowCount === 1;
  }

  async watch(accountId: Uint8Array, listener: WatchListener): Promise<Unwatch> {
    checkAccountId(accountId);
    this.open();
    try {
      await this.listener.ensure();
    } catch (error) {
      throw asStorageError(error, 'PostgreSQL LISTEN');
    }
    if (!(await this.hasAccount(accountId))) notFound();
    const remove = this.listener.watchers.add(toHex(accountId), listener);
    return async () => remove();
  }

  /** Highest cursor per watched account, to wake watchers after the LISTEN connection was lost. */
  private async latestCursors(accountHexes: string[]): Promise<Array<[string, number]>> {
    const ids = accountHexes.map((hex) => Buffer.from(hex, 'hex'));
    const { rows } = await this.query(SQL.latestCursors, [ids]);
    return rows.map((row) => [toHex(row['account_id'] as Buffer), num(row['cursor'] ?? 0)]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener.close();
    await this.pool.end();
  }
}
