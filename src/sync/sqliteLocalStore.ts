/**
 * `SqliteLocalStore`: a device's replica in one SQLite file (better-sqlite3), the default in
 * Node. WAL mode; every write is one IMMEDIATE transaction through prepared statements, so a
 * killed process leaves either all or none of a write. `synchronous = FULL` by default: after
 * a power loss, a device whose last commits rolled back could hand out a sequence number or
 * revision again for an envelope it already pushed, and then disagree with the server about
 * that record. `NORMAL` survives process crashes only.
 *
 * `secure_delete = ON`: SQLite zeroes what a delete or an update removes (in the page it
 * leaves and in free pages), so a dropped record, its content key, or a key ring replaced in
 * meta does not linger in the database file for anyone who reads it later. It does not reach
 * what SQLite no longer controls: page images in the WAL until they are checkpointed and
 * overwritten (the WAL is removed when the last connection closes, not wiped), copies the file
 * system or an SSD keeps on its own, and backups. Cost, measured roughly: nothing visible on
 * pulls and local writes; a large delete (dropCollection of 5,000 rows) takes about three times
 * as long, since the pages it frees are rewritten with zeros.
 */
import type Database from 'better-sqlite3';
import { loadOptional } from '../storage/optionalDependency.js';
import { RECORD_ID_BYTES } from '../core/envelopeFormat.js';
import { toHex } from '../crypto/bytes.js';
import { resolveListOptions, toPage } from './listQuery.js';
import { resolveKeyedOptions, toKeyedPage } from './listQueryKeyed.js';
import type {
  AckExtras,
  CountOptions,
  HeldEnvelopeInput,
  KeyedRecord,
  ListOptions,
  LocalExtras,
  LocalRecord,
  LocalStore,
  OutboxItem,
  OutboxItemInput,
  RecordPage,
  RemoteExtras,
  VersionEntry,
} from './localStore.js';
import { asLocalStoreError, localStoreError } from './localStoreErrors.js';
import { prepareAckExtras, prepareLocalExtras, prepareRemoteExtras } from './localStoreExtras.js';
import {
  checkCollection,
  checkHeldItems,
  checkInt,
  checkLimit,
  checkMetaKey,
  checkMetaValue,
  checkOutboxIds,
  checkOutboxItem,
  checkRecordId,
  checkRecordIds,
  checkTime,
  invalid,
} from './localStoreValidate.js';
import { migrateLocalSqlite } from './sqliteLocalSchema.js';
import {
  prepareLocalStatements,
  type KeyedRow,
  type LocalStatements,
  type OutboxRow,
  type VersionParams,
} from './sqliteLocalStatements.js';
import { corruptRecord, prepareRecord, readKeyed, readOrder, readRecord, type StoredRecord } from './storedRecord.js';
import { readVersionEntry, type PreparedVersionRow } from './storedVersionEntry.js';
import { compareReaderOrder } from './readerOrder.js';

/** Options of `SqliteLocalStore.open`. */
export interface SqliteLocalStoreOptions {
  /** `FULL` (default) survives power loss; `NORMAL` survives only a process crash. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another connection's write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

/** A zero-copy Buffer view, the type better-sqlite3 binds as BLOB. */
function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function orNull(bytes: Uint8Array | null): Buffer | null {
  return bytes === null ? null : blob(bytes);
}

function versionParams(row: PreparedVersionRow): VersionParams {
  return {
    ...row,
    record_id: blob(row.record_id),
    claim_sender: orNull(row.claim_sender),
    claim_hash: orNull(row.claim_hash),
    have_sender: orNull(row.have_sender),
  };
}

function readKeyedRow(row: KeyedRow): KeyedRecord {
  if (typeof row.collection !== 'string') throw corruptRecord('(unreadable)', row.record_id, 'bad collection');
  return readKeyed(row.collection, row);
}

function readOutboxItem(row: OutboxRow): OutboxItem {
  const { id, record_id: recordId, bytes } = row;
  if (!(recordId instanceof Uint8Array) || recordId.length !== RECORD_ID_BYTES || !(bytes instanceof Uint8Array)) {
    throw localStoreError('LOCAL_ROW_CORRUPT', `outbox item ${id} is corrupt`);
  }
  return { id, recordId: new Uint8Array(recordId), bytes: new Uint8Array(bytes) };
}

function readHeldBytes(recordId: Uint8Array, bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw localStoreError('LOCAL_ROW_CORRUPT', `held envelope ${toHex(recordId)} is corrupt`);
  }
  return new Uint8Array(bytes);
}

/** A `LocalStore` in one SQLite file. Create it with `SqliteLocalStore.open`. */
export class SqliteLocalStore implements LocalStore {
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly sql: LocalStatements,
  ) {}

  /**
   * Opens (creating or migrating) the replica at `path`; `:memory:` works for tests.
   * @throws StorageError `INVALID_ARGUMENT` (a bad option), `LOCAL_SCHEMA_TOO_NEW`,
   *   `LOCAL_STORE_FAILURE` (the file cannot be opened or is not a database).
   * @throws UsageError `DEPENDENCY_MISSING` when the package `better-sqlite3` is not installed.
   */
  static async open(path: string, options: SqliteLocalStoreOptions = {}): Promise<SqliteLocalStore> {
    if (typeof path !== 'string' || path.length === 0) invalid('path must be a non-empty string');
    const synchronous = options.synchronous ?? 'FULL';
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') invalid("synchronous must be 'FULL' or 'NORMAL'");
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    checkInt('busyTimeoutMs', busyTimeoutMs, 0, 0x7fff_ffff);
    const Driver = await loadOptional<typeof Database>('better-sqlite3', 'SqliteLocalStore', () => import('better-sqlite3'));
    let db: Database.Database | undefined;
    try {
      db = new Driver(path, { timeout: busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      db.pragma('secure_delete = ON');
      migrateLocalSqlite(db);
      return new SqliteLocalStore(db, prepareLocalStatements(db));
    } catch (error) {
      db?.close();
      throw asLocalStoreError(error, 'SQLite');
    }
  }

  /** Runs `body` on an open store; driver errors become `LOCAL_STORE_FAILURE`. */
  private run<T>(body: () => T): T {
    if (this.closed) throw localStoreError('LOCAL_STORE_CLOSED', 'the local store is closed');
    try {
      return body();
    } catch (error) {
      throw asLocalStoreError(error, 'SQLite');
    }
  }

  /** Runs `body` in one read transaction, so its reads see one snapshot. */
  private read<T>(body: () => T): T {
    return this.run(() => this.db.transaction(body).deferred());
  }

  /** Runs `body` in one IMMEDIATE transaction (all or nothing). */
  private write<T>(body: () => T): T {
    return this.run(() => this.db.transaction(body).immediate());
  }

  /** `record` against the stored version in the reader order: > 0 when `record` wins or is new. */
  private order(record: StoredRecord): number {
    const row = this.sql.version.get(record.collection, blob(record.recordId));
    return row === undefined ? 1 : compareReaderOrder(record, readOrder(record.collection, row));
  }

  private store(record: StoredRecord): void {
    this.sql.upsert.run(
      record.collection,
      blob(record.recordId),
      record.revision,
      blob(record.sender),
      record.deleted ? 1 : 0,
      record.valueBytes === null ? null : blob(record.valueBytes),
      record.sortTime,
      record.expiresAt,
      orNull(record.contentKey),
      orNull(record.envelopeHash),
      blob(record.clock),
      orNull(record.base),
      record.key,
    );
  }

  /** @inheritDoc LocalStore.getRecord */
  async getRecord(collection: string, recordId: Uint8Array): Promise<LocalRecord | null> {
    return this.run(() => {
      checkCollection(collection);
      checkRecordId(recordId);
      const row = this.sql.record.get(collection, blob(recordId));
      return row === undefined ? null : readRecord(collection, row);
    });
  }

  /** @inheritDoc LocalStore.listRecords */
  async listRecords(collection: string, options?: ListOptions): Promise<RecordPage> {
    return this.run(() => {
      checkCollection(collection);
      const q = resolveListOptions(options);
      const statement = q.order === 'asc' ? this.sql.pageAsc : this.sql.pageDesc;
      const rows = statement.all(
        collection,
        q.start.sortTime,
        blob(q.start.recordId),
        q.stopTime,
        q.includeDeleted ? 1 : 0,
        q.limit + 1,
      );
      const records = rows.slice(0, q.limit).map((row) => readRecord(collection, row));
      return toPage(q, records, rows.length > q.limit);
    });
  }

  /** @inheritDoc LocalStore.countRecords */
  async countRecords(collection: string, options?: CountOptions): Promise<number> {
    return this.run(() => {
      checkCollection(collection);
      const includeDeleted = options?.includeDeleted ?? false;
      if (typeof includeDeleted !== 'boolean') invalid('includeDeleted must be a boolean');
      return (includeDeleted ? this.sql.countAll : this.sql.countLive).get(collection)!.n;
    });
  }

  /** @inheritDoc LocalStore.applyLocal */
  async applyLocal(record: LocalRecord, outboxItem: OutboxItemInput | null, extras?: LocalExtras): Promise<void> {
    this.run(() => {
      const stored = prepareRecord(record);
      if (outboxItem !== null) checkOutboxItem(outboxItem, stored.recordId);
      const meta = prepareLocalExtras(extras);
      this.write(() => {
        if (this.order(stored) <= 0) {
          throw localStoreError('LOCAL_VERSION_STALE', 'a version that wins or ties in the reader order is already stored');
        }
        this.store(stored);
        if (outboxItem !== null) this.sql.enqueue.run(blob(stored.recordId), blob(outboxItem.bytes));
        for (const [key, value] of meta) this.sql.setMeta.run(key, blob(value));
      });
    });
  }

  /** @inheritDoc LocalStore.applyRemote */
  async applyRemote(
    records: readonly LocalRecord[],
    cursorKey: string,
    cursor: Uint8Array,
    extras?: RemoteExtras,
  ): Promise<boolean[]> {
    return this.run(() => {
      if (!Array.isArray(records)) invalid('records must be an array');
      const prepared = records.map(prepareRecord);
      checkMetaKey(cursorKey);
      checkMetaValue(cursor);
      const { versions, held, meta } = prepareRemoteExtras(extras);
      return this.write(() => {
        const applied = prepared.map((stored) => {
          if (this.order(stored) <= 0) return false;
          this.store(stored);
          return true;
        });
        for (const row of versions) this.sql.putVersion.run(versionParams(row));
        for (const item of held) this.sql.hold.run(blob(item.recordId), blob(item.bytes));
        for (const [key, value] of meta) this.sql.setMeta.run(key, blob(value));
        this.sql.setMeta.run(cursorKey, blob(cursor));
        return applied;
      });
    });
  }

  /** @inheritDoc LocalStore.getVersions */
  async getVersions(recordIds: readonly Uint8Array[]): Promise<Map<string, VersionEntry>> {
    return this.read(() => {
      checkRecordIds(recordIds);
      const found = new Map<string, VersionEntry>();
      for (const recordId of recordIds) {
        const row = this.sql.getVersion.get(blob(recordId));
        if (row !== undefined) found.set(toHex(recordId), readVersionEntry(row));
      }
      return found;
    });
  }

  /** @inheritDoc LocalStore.listKeyed */
  async listKeyed(options: {
    readonly after?: string;
    readonly limit: number;
  }): Promise<{ records: KeyedRecord[]; next: string | null }> {
    return this.run(() => {
      const query = resolveKeyedOptions(options);
      const start = query.after ?? { recordId: new Uint8Array(0), collection: '' };
      const rows = this.sql.keyedPage.all(blob(start.recordId), start.collection, query.limit + 1);
      return toKeyedPage(rows.slice(0, query.limit).map(readKeyedRow), rows.length > query.limit);
    });
  }

  /** @inheritDoc LocalStore.outboxPeek */
  async outboxPeek(limit: number): Promise<OutboxItem[]> {
    return this.run(() => {
      checkLimit(limit);
      return this.sql.peek.all(limit).map(readOutboxItem);
    });
  }

  /** @inheritDoc LocalStore.outboxAck */
  async outboxAck(ids: readonly number[], extras?: AckExtras): Promise<void> {
    this.run(() => {
      checkOutboxIds(ids);
      const { keys, meta } = prepareAckExtras(extras);
      this.write(() => {
        for (const id of ids) this.sql.ack.run(id);
        // The WHERE clause is the version check: keys for a version since replaced match no row.
        for (const k of keys) {
          this.sql.attachKeys.run(
            blob(k.contentKey),
            blob(k.envelopeHash),
            k.collection,
            blob(k.recordId),
            k.revision,
            blob(k.sender),
          );
        }
        for (const [key, value] of meta) this.sql.setMeta.run(key, blob(value));
      });
    });
  }

  /** @inheritDoc LocalStore.outboxSize */
  async outboxSize(): Promise<number> {
    return this.run(() => this.sql.outboxSize.get()!.n);
  }

  /** @inheritDoc LocalStore.getMeta */
  async getMeta(key: string): Promise<Uint8Array | null> {
    return this.run(() => {
      checkMetaKey(key);
      const row = this.sql.getMeta.get(key);
      return row === undefined ? null : new Uint8Array(row.value);
    });
  }

  /** @inheritDoc LocalStore.setMeta */
  async setMeta(key: string, value: Uint8Array): Promise<void> {
    this.run(() => {
      checkMetaKey(key);
      checkMetaValue(value);
      this.write(() => this.sql.setMeta.run(key, blob(value)));
    });
  }

  /** @inheritDoc LocalStore.expire */
  async expire(now: number): Promise<number> {
    return this.run(() => {
      checkTime('now', now);
      return this.write(() => this.sql.expire.run(now).changes);
    });
  }

  /** @inheritDoc LocalStore.dropCollection */
  async dropCollection(collection: string): Promise<number> {
    return this.run(() => {
      checkCollection(collection);
      return this.write(() => this.sql.dropCollection.run(collection).changes);
    });
  }

  /** @inheritDoc LocalStore.holdEnvelopes */
  async holdEnvelopes(items: readonly HeldEnvelopeInput[]): Promise<void> {
    this.run(() => {
      checkHeldItems(items);
      this.write(() => {
        for (const item of items) this.sql.hold.run(blob(item.recordId), blob(item.bytes));
      });
    });
  }

  /** @inheritDoc LocalStore.takeHeld */
  async takeHeld(recordIds: readonly Uint8Array[]): Promise<Map<string, Uint8Array>> {
    return this.run(() => {
      checkRecordIds(recordIds);
      return this.write(() => {
        const taken = new Map<string, Uint8Array>();
        for (const recordId of recordIds) {
          const row = this.sql.takeHeld.get(blob(recordId));
          if (row !== undefined) taken.set(toHex(recordId), readHeldBytes(recordId, row.bytes));
        }
        return taken;
      });
    });
  }

  /** @inheritDoc LocalStore.heldCount */
  async heldCount(): Promise<number> {
    return this.run(() => this.sql.heldCount.get()!.n);
  }

  /** @inheritDoc LocalStore.dropHeld */
  async dropHeld(): Promise<number> {
    return this.run(() => this.write(() => this.sql.dropHeld.run().changes));
  }

  /** @inheritDoc LocalStore.close */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
