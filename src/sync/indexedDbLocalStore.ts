/**
 * `IndexedDbLocalStore`: a device's replica in one IndexedDB database, for browsers (and
 * workers), through the `idb` wrapper. The layout is in `indexedDbSchema.ts`.
 *
 * Every method checks and copies all of its input first, then runs one IndexedDB transaction:
 * a write method one `readwrite` transaction over every store it touches, which it aborts on
 * any error (ours, such as `LOCAL_VERSION_STALE`, or the browser's, such as a full quota), so a
 * failed write leaves the database as it was; it resolves only once the transaction has
 * committed. Nothing but IndexedDB requests is awaited inside a transaction (IndexedDB commits
 * a transaction that has no request pending when control returns to the event loop).
 *
 * Durability: writes ask for `durability: 'strict'` by default, which makes the browser flush
 * to disk before reporting the commit, for the reason `SqliteLocalStore` runs
 * `synchronous = FULL`: a device whose last commits were lost in a power cut could hand out a
 * sequence number or revision again for an envelope it already pushed. `'relaxed'` (the
 * default of some browsers) survives a crash of the tab or the browser, not of the machine.
 *
 * Listing reads one index range per page (`indexedDbRows.ts`), never a whole collection.
 *
 * Another tab opening the same database with a newer schema, or deleting it, closes this
 * connection so that it can go ahead; this store then rejects every call with
 * `LOCAL_STORE_CLOSED` and the page should reload. The browser may also evict the database
 * under storage pressure unless the app asked for persistent storage
 * (`navigator.storage.persist()`); see docs/api.md, "Browser persistence".
 *
 * What sits in the database in clear: values and content keys, like the other adapters (the
 * browser profile, or the disk under it, is what protects them at rest), and the vault's
 * non-extractable key, which the browser stores in a form it can read back itself
 * (`webCryptoVault.ts` says what that protects against).
 */
import { deleteDB, openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { RECORD_ID_BYTES } from '../core/envelopeFormat.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { isMultikeySyncError, UsageError, type StorageError } from '../errors.js';
import { resolveListOptions, toPage } from './listQuery.js';
import { resolveKeyedOptions, toKeyedPage } from './listQueryKeyed.js';
import type {
  AckExtras,
  CountOptions,
  HeldEnvelopeInput,
  KeyedRecord,
  ListOptions,
  LocalRecord,
  LocalStore,
  OutboxItem,
  OutboxItemInput,
  RecordPage,
  RemoteExtras,
  VersionEntry,
} from './localStore.js';
import { asLocalStoreError, localStoreError } from './localStoreErrors.js';
import { prepareAckExtras, prepareRemoteExtras } from './localStoreExtras.js';
import {
  checkCollection,
  checkHeldItems,
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
import { hasOurStores, INDEXED_DB_SCHEMA_VERSION, INDEXES, STORES, upgradeIndexedDb } from './indexedDbSchema.js';
import { binaryKey, collectionRange, keyedKey, pageRange, recordKey, recordRow, withKeys, type RecordRow } from './indexedDbRows.js';
import { corruptRecord, prepareRecord, readKeyed, readRecord, readVersion, type StoredRecord } from './storedRecord.js';
import { readVersionEntry, type VersionRow } from './storedVersionEntry.js';
import { compareVersions } from './version.js';

/** Options of `IndexedDbLocalStore.open`. */
export interface IndexedDbLocalStoreOptions {
  /** `'strict'` (default): a commit is on disk before the write resolves. `'relaxed'`: survives a tab or browser crash only. */
  readonly durability?: 'strict' | 'relaxed';
}

type StoreName = (typeof STORES)[keyof typeof STORES];
/** A transaction; typed as read-write so its stores offer every method (a read-only one refuses writes at run time). */
type Tx = IDBPTransaction<unknown, StoreName[], 'readwrite'>;

const BACKEND = 'IndexedDB';
/** Rows `expire` deletes per request, so a large expiry never loads every key at once. */
const EXPIRE_BATCH = 1000;
/** Name of the vault key in the `keys` store. */
const VAULT_KEY_NAME = 'device-vault';

/**
 * Makes one request per item and awaits them all. Each request is observed as soon as it is
 * made: when making a later one throws (a browser may refuse a write at once), the transaction
 * is aborted and the earlier ones reject with AbortError, which must not surface as unhandled.
 */
async function each<I, T>(items: Iterable<I>, request: (item: I) => Promise<T>): Promise<T[]> {
  const made: Promise<T>[] = [];
  for (const item of items) {
    const promise = request(item);
    promise.catch(() => undefined);
    made.push(promise);
  }
  return Promise.all(made);
}

/** Makes the requests `makers` describe, in order, and awaits them all (see {@link each}). */
function inOrder(makers: readonly (() => Promise<unknown>)[]): Promise<unknown[]> {
  return each(makers, (make) => make());
}

function corruptOutbox(id: unknown): StorageError {
  return localStoreError('LOCAL_ROW_CORRUPT', `outbox item ${String(id)} is corrupt`);
}

function readOutboxItem(id: IDBValidKey, row: unknown): OutboxItem {
  const { record_id: recordId, bytes } = (row ?? {}) as { record_id?: unknown; bytes?: unknown };
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw corruptOutbox(id);
  if (!(recordId instanceof Uint8Array) || recordId.length !== RECORD_ID_BYTES || !(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw corruptOutbox(id);
  }
  return { id, recordId: new Uint8Array(recordId), bytes: new Uint8Array(bytes) };
}

function readHeldBytes(recordId: Uint8Array, bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw localStoreError('LOCAL_ROW_CORRUPT', `held envelope ${toHex(recordId)} is corrupt`);
  }
  return new Uint8Array(bytes);
}

function readMeta(key: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw localStoreError('LOCAL_ROW_CORRUPT', `meta value ${JSON.stringify(key)} is not bytes`);
  return new Uint8Array(value);
}

function readKeyedRow(row: RecordRow): KeyedRecord {
  if (typeof row.collection !== 'string') throw corruptRecord('(unreadable)', row.record_id, 'bad collection');
  return readKeyed(row.collection, row);
}

/** The stored version of `row` (a record of `collection`), checked. */
function storedVersion(collection: string, row: RecordRow | undefined): { revision: number; sender: Uint8Array } | null {
  return row === undefined ? null : readVersion(collection, row);
}

/** A map key for a (collection, record id) pair: the id's hex is fixed-length, so it cannot run into the name. */
function slot(collection: string, recordId: Uint8Array): string {
  return `${toHex(recordId)}${collection}`;
}

/**
 * Passes our errors through; anything else becomes `LOCAL_STORE_FAILURE`, named by the
 * browser's DOMException name (`QuotaExceededError`, `UnknownError`…), whose message is often empty.
 */
function asStoreError(error: unknown): StorageError {
  if (isMultikeySyncError(error) || !(error instanceof Error)) return asLocalStoreError(error, BACKEND);
  const detail = error.message === '' ? error.name : `${error.name}: ${error.message}`;
  return localStoreError('LOCAL_STORE_FAILURE', `${BACKEND} failed: ${detail}`, error);
}

/** True when `error` is IndexedDB's VersionError (the database is newer than this code). */
function isVersionError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'VersionError';
}

function indexedDbAvailable(): boolean {
  return typeof indexedDB !== 'undefined' && typeof IDBKeyRange !== 'undefined';
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) invalid('the database name must be a non-empty string');
}

/** A `LocalStore` in one IndexedDB database. Create it with `IndexedDbLocalStore.open`. */
export class IndexedDbLocalStore implements LocalStore {
  #closedBecause: string | null = null;

  private constructor(
    private readonly db: IDBPDatabase,
    private readonly durability: 'strict' | 'relaxed',
  ) {}

  /**
   * Opens (creating or upgrading) the database `name` of this origin.
   * @throws StorageError `INVALID_ARGUMENT` (an empty name, a bad option), `LOCAL_SCHEMA_TOO_NEW`
   *   (a newer library upgraded the database), `LOCAL_STORE_FAILURE` (IndexedDB refused: private
   *   mode without storage, a database of that name that is not a replica, a quota).
   * @throws UsageError `INDEXEDDB_UNAVAILABLE` where there is no IndexedDB (Node without a polyfill).
   */
  static async open(name: string, options: IndexedDbLocalStoreOptions = {}): Promise<IndexedDbLocalStore> {
    checkName(name);
    if (typeof options !== 'object' || options === null) invalid('options must be an object');
    const durability = options.durability ?? 'strict';
    if (durability !== 'strict' && durability !== 'relaxed') invalid("durability must be 'strict' or 'relaxed'");
    if (!indexedDbAvailable()) throw new UsageError('INDEXEDDB_UNAVAILABLE', 'IndexedDB is not available here (a browser or a worker has it)');
    let store: IndexedDbLocalStore | undefined;
    let db: IDBPDatabase;
    try {
      db = await openDB(name, INDEXED_DB_SCHEMA_VERSION, {
        upgrade: (upgrading, oldVersion) => upgradeIndexedDb(upgrading, oldVersion),
        // Another tab (or IndexedDbLocalStore.delete) upgrades or deletes the database: let it, and refuse from now on.
        blocking: () => store?.shut('the database was deleted or upgraded (by another tab, or by IndexedDbLocalStore.delete); reload the page'),
        terminated: () => store?.shut('the browser closed the database (storage cleared or evicted)'),
      });
    } catch (error) {
      if (isVersionError(error)) {
        throw localStoreError('LOCAL_SCHEMA_TOO_NEW', `database ${JSON.stringify(name)} was upgraded by a newer version of this library`, error);
      }
      throw asStoreError(error);
    }
    if (!hasOurStores(db)) {
      db.close();
      throw localStoreError('LOCAL_STORE_FAILURE', `database ${JSON.stringify(name)} exists but is not a multikey-sync replica`);
    }
    store = new IndexedDbLocalStore(db, durability);
    return store;
  }

  /**
   * Deletes the database `name` with everything in it: records, outbox, the sealed device and
   * its vault key. Open connections in this page are closed first (they then reject with
   * `LOCAL_STORE_CLOSED`).
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_STORE_FAILURE`.
   * @throws UsageError `INDEXEDDB_UNAVAILABLE`.
   */
  static async delete(name: string): Promise<void> {
    checkName(name);
    if (!indexedDbAvailable()) throw new UsageError('INDEXEDDB_UNAVAILABLE', 'IndexedDB is not available here (a browser or a worker has it)');
    try {
      await deleteDB(name);
    } catch (error) {
      throw asStoreError(error);
    }
  }

  private shut(reason: string): void {
    if (this.#closedBecause !== null) return;
    this.#closedBecause = reason;
    this.db.close();
  }

  private ensureOpen(): void {
    if (this.#closedBecause !== null) throw localStoreError('LOCAL_STORE_CLOSED', `the local store is closed: ${this.#closedBecause}`);
  }

  /**
   * Runs `body` in one transaction over `stores` and resolves once it has committed. Any error
   * aborts it, so a write either commits whole or leaves nothing; browser errors become
   * `LOCAL_STORE_FAILURE`.
   */
  private async run<T>(stores: StoreName[], mode: IDBTransactionMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    this.ensureOpen();
    let tx: Tx;
    try {
      tx = this.db.transaction(stores, mode, mode === 'readwrite' ? { durability: this.durability } : {}) as unknown as Tx;
    } catch (error) {
      throw asStoreError(error);
    }
    // Observed at once: an aborted transaction's `done` rejects, and is awaited only on success.
    const done = tx.done;
    done.catch(() => undefined);
    try {
      const result = await body(tx);
      await done;
      return result;
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already committed or aborted (by the browser, which is the error we report).
      }
      throw asStoreError(error);
    }
  }

  private read<T>(stores: StoreName[], body: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(stores, 'readonly', body);
  }

  private write<T>(stores: StoreName[], body: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(stores, 'readwrite', body);
  }

  /**
   * The current rows of the given records, by `slot`, read in one round of requests.
   * @throws StorageError `LOCAL_ROW_CORRUPT` for a stored version that does not decode.
   */
  private async currentVersions(tx: Tx, wanted: readonly { collection: string; recordId: Uint8Array }[]): Promise<Map<string, { revision: number; sender: Uint8Array } | null>> {
    const records = tx.objectStore(STORES.records);
    const unique = new Map(wanted.map((w) => [slot(w.collection, w.recordId), w]));
    const rows = await each(unique.values(), (w) => records.get(recordKey(w.collection, w.recordId)) as Promise<RecordRow | undefined>);
    const found = new Map<string, { revision: number; sender: Uint8Array } | null>();
    [...unique.entries()].forEach(([key, w], i) => found.set(key, storedVersion(w.collection, rows[i])));
    return found;
  }

  /** @inheritDoc LocalStore.getRecord */
  async getRecord(collection: string, recordId: Uint8Array): Promise<LocalRecord | null> {
    this.ensureOpen();
    checkCollection(collection);
    checkRecordId(recordId);
    const key = recordKey(collection, recordId.slice());
    return this.read([STORES.records], async (tx) => {
      const row = (await tx.objectStore(STORES.records).get(key)) as RecordRow | undefined;
      return row === undefined ? null : readRecord(collection, row);
    });
  }

  /** @inheritDoc LocalStore.listRecords */
  async listRecords(collection: string, options?: ListOptions): Promise<RecordPage> {
    this.ensureOpen();
    checkCollection(collection);
    const query = resolveListOptions(options);
    const range = pageRange(collection, query);
    if (range === null) return toPage(query, [], false);
    const rows = await this.read([STORES.records], async (tx) => {
      const index = tx.objectStore(STORES.records).index(query.includeDeleted ? INDEXES.byTime : INDEXES.liveByTime);
      const wanted = query.limit + 1;
      if (query.order === 'asc') return (await index.getAll(range, wanted)) as RecordRow[];
      const found: RecordRow[] = [];
      for (let cursor = await index.openCursor(range, 'prev'); cursor !== null && found.length < wanted; cursor = await cursor.continue()) {
        found.push(cursor.value as RecordRow);
      }
      return found;
    });
    const records = rows.slice(0, query.limit).map((row) => readRecord(collection, row));
    return toPage(query, records, rows.length > query.limit);
  }

  /** @inheritDoc LocalStore.countRecords */
  async countRecords(collection: string, options?: CountOptions): Promise<number> {
    this.ensureOpen();
    checkCollection(collection);
    const includeDeleted = options?.includeDeleted ?? false;
    if (typeof includeDeleted !== 'boolean') invalid('includeDeleted must be a boolean');
    return this.read([STORES.records], (tx) =>
      tx.objectStore(STORES.records).index(includeDeleted ? INDEXES.byTime : INDEXES.liveByTime).count(collectionRange(collection)),
    );
  }

  /** @inheritDoc LocalStore.applyLocal */
  async applyLocal(record: LocalRecord, outboxItem: OutboxItemInput | null): Promise<void> {
    this.ensureOpen();
    const stored = prepareRecord(record);
    if (outboxItem !== null) checkOutboxItem(outboxItem, stored.recordId);
    const queued = outboxItem === null ? null : { record_id: stored.recordId.slice(), bytes: outboxItem.bytes.slice() };
    await this.write([STORES.records, STORES.outbox], async (tx) => {
      const current = (await this.currentVersions(tx, [stored])).get(slot(stored.collection, stored.recordId));
      if (current !== null && current !== undefined && compareVersions(stored, current) <= 0) {
        throw localStoreError('LOCAL_VERSION_STALE', 'a version at least as new is already stored');
      }
      const writes = [() => tx.objectStore(STORES.records).put(recordRow(stored))];
      if (queued !== null) writes.push(() => tx.objectStore(STORES.outbox).add(queued));
      await inOrder(writes);
    });
  }

  /** @inheritDoc LocalStore.applyRemote */
  async applyRemote(
    records: readonly LocalRecord[],
    cursorKey: string,
    cursor: Uint8Array,
    extras?: RemoteExtras,
  ): Promise<boolean[]> {
    this.ensureOpen();
    if (!Array.isArray(records)) invalid('records must be an array');
    const prepared = records.map(prepareRecord);
    checkMetaKey(cursorKey);
    checkMetaValue(cursor);
    const cursorCopy = cursor.slice();
    const { versions, held, meta } = prepareRemoteExtras(extras);
    return this.write([STORES.records, STORES.versions, STORES.held, STORES.meta], async (tx) => {
      // Every stored version is read (and checked) before anything is written; the batch is
      // then merged in order in memory, so a record given twice ends at its newest version.
      const current = await this.currentVersions(tx, prepared);
      const winners = new Map<string, StoredRecord>();
      const applied = prepared.map((stored) => {
        const key = slot(stored.collection, stored.recordId);
        const have = current.get(key);
        if (have !== null && have !== undefined && compareVersions(stored, have) <= 0) return false;
        current.set(key, stored);
        winners.set(key, stored);
        return true;
      });
      // IndexedDB runs a transaction's requests in the order they were made: later meta values win, the cursor last.
      const records = tx.objectStore(STORES.records);
      const versionStore = tx.objectStore(STORES.versions);
      const heldStore = tx.objectStore(STORES.held);
      const metaStore = tx.objectStore(STORES.meta);
      await inOrder([
        ...[...winners.values()].map((stored) => () => records.put(recordRow(stored))),
        ...versions.map((row) => () => versionStore.put(row)),
        ...held.map((item) => () => heldStore.put(item.bytes, binaryKey(item.recordId))),
        ...meta.map(([key, value]) => () => metaStore.put(value, key)),
        () => metaStore.put(cursorCopy, cursorKey),
      ]);
      return applied;
    });
  }

  /** @inheritDoc LocalStore.getVersions */
  async getVersions(recordIds: readonly Uint8Array[]): Promise<Map<string, VersionEntry>> {
    this.ensureOpen();
    checkRecordIds(recordIds);
    const unique = new Map(recordIds.map((id) => [toHex(id), id.slice()]));
    const rows = await this.read([STORES.versions], (tx) => {
      const store = tx.objectStore(STORES.versions);
      return each(unique.values(), (id) => store.get(binaryKey(id)) as Promise<VersionRow | undefined>);
    });
    const found = new Map<string, VersionEntry>();
    [...unique.keys()].forEach((idHex, i) => {
      const row = rows[i];
      if (row !== undefined) found.set(idHex, readVersionEntry(row));
    });
    return found;
  }

  /** @inheritDoc LocalStore.listKeyed */
  async listKeyed(options: {
    readonly after?: string;
    readonly limit: number;
  }): Promise<{ records: KeyedRecord[]; next: string | null }> {
    this.ensureOpen();
    const query = resolveKeyedOptions(options);
    const range = query.after === null ? null : IDBKeyRange.lowerBound(keyedKey(query.after), true);
    const rows = await this.read([STORES.records], async (tx) =>
      (await tx.objectStore(STORES.records).index(INDEXES.keyed).getAll(range, query.limit + 1)) as RecordRow[],
    );
    return toKeyedPage(rows.slice(0, query.limit).map(readKeyedRow), rows.length > query.limit);
  }

  /** @inheritDoc LocalStore.outboxPeek */
  async outboxPeek(limit: number): Promise<OutboxItem[]> {
    this.ensureOpen();
    checkLimit(limit);
    const [ids, rows] = await this.read([STORES.outbox], (tx) => {
      const outbox = tx.objectStore(STORES.outbox);
      const ids = outbox.getAllKeys(null, limit);
      ids.catch(() => undefined); // observed, should the next request throw
      return Promise.all([ids, outbox.getAll(null, limit)]);
    });
    return ids.map((id, i) => readOutboxItem(id, rows[i]));
  }

  /** @inheritDoc LocalStore.outboxAck */
  async outboxAck(ids: readonly number[], extras?: AckExtras): Promise<void> {
    this.ensureOpen();
    checkOutboxIds(ids);
    const idList = [...ids];
    const { keys, meta } = prepareAckExtras(extras);
    await this.write([STORES.outbox, STORES.records, STORES.meta], async (tx) => {
      const records = tx.objectStore(STORES.records);
      const rows = await each(keys, (k) => records.get(recordKey(k.collection, k.recordId)) as Promise<RecordRow | undefined>);
      // A key is attached only to the exact version it was pushed for; a later key for the same row wins.
      const updated = new Map<string, RecordRow>();
      keys.forEach((k, i) => {
        const key = slot(k.collection, k.recordId);
        const row = updated.get(key) ?? rows[i];
        if (row === undefined) return;
        const version = readVersion(k.collection, row);
        if (version.revision !== k.revision || !equalBytes(version.sender, k.sender)) return;
        updated.set(key, withKeys(row, k.collection, k.contentKey, k.envelopeHash));
      });
      const outbox = tx.objectStore(STORES.outbox);
      const metaStore = tx.objectStore(STORES.meta);
      await inOrder([
        ...idList.map((id) => () => outbox.delete(id)),
        ...[...updated.values()].map((row) => () => records.put(row)),
        ...meta.map(([key, value]) => () => metaStore.put(value, key)),
      ]);
    });
  }

  /** @inheritDoc LocalStore.outboxSize */
  async outboxSize(): Promise<number> {
    return this.read([STORES.outbox], (tx) => tx.objectStore(STORES.outbox).count());
  }

  /**
   * @inheritDoc LocalStore.getMeta
   * @throws StorageError `LOCAL_ROW_CORRUPT` too, for a stored value that is not bytes (written
   *   behind the store's back).
   */
  async getMeta(key: string): Promise<Uint8Array | null> {
    this.ensureOpen();
    checkMetaKey(key);
    const value = await this.read([STORES.meta], (tx) => tx.objectStore(STORES.meta).get(key));
    return value === undefined ? null : readMeta(key, value);
  }

  /** @inheritDoc LocalStore.setMeta */
  async setMeta(key: string, value: Uint8Array): Promise<void> {
    this.ensureOpen();
    checkMetaKey(key);
    checkMetaValue(value);
    const copy = value.slice();
    await this.write([STORES.meta], async (tx) => {
      await tx.objectStore(STORES.meta).put(copy, key);
    });
  }

  /** @inheritDoc LocalStore.expire */
  async expire(now: number): Promise<number> {
    this.ensureOpen();
    checkTime('now', now);
    return this.write([STORES.records], async (tx) => {
      const records = tx.objectStore(STORES.records);
      const expiring = records.index(INDEXES.byExpiry);
      const range = IDBKeyRange.upperBound(now);
      let removed = 0;
      for (;;) {
        // Deleted rows leave the index, so each batch starts where the last one ended.
        const keys = await expiring.getAllKeys(range, EXPIRE_BATCH);
        await each(keys, (key) => records.delete(key));
        removed += keys.length;
        if (keys.length < EXPIRE_BATCH) return removed;
      }
    });
  }

  /** @inheritDoc LocalStore.dropCollection */
  async dropCollection(collection: string): Promise<number> {
    this.ensureOpen();
    checkCollection(collection);
    return this.write([STORES.records], async (tx) => {
      const records = tx.objectStore(STORES.records);
      const range = collectionRange(collection);
      const [count] = await inOrder([() => records.count(range), () => records.delete(range)]);
      return count as number;
    });
  }

  /** @inheritDoc LocalStore.holdEnvelopes */
  async holdEnvelopes(items: readonly HeldEnvelopeInput[]): Promise<void> {
    this.ensureOpen();
    checkHeldItems(items);
    const copies = items.map((item) => [item.recordId.slice(), item.bytes.slice()] as const);
    await this.write([STORES.held], async (tx) => {
      const held = tx.objectStore(STORES.held);
      await each(copies, ([recordId, bytes]) => held.put(bytes, binaryKey(recordId)));
    });
  }

  /** @inheritDoc LocalStore.takeHeld */
  async takeHeld(recordIds: readonly Uint8Array[]): Promise<Map<string, Uint8Array>> {
    this.ensureOpen();
    checkRecordIds(recordIds);
    const unique = new Map(recordIds.map((id) => [toHex(id), id.slice()]));
    return this.write([STORES.held], async (tx) => {
      const held = tx.objectStore(STORES.held);
      const ids = [...unique.values()];
      const rows = await each(ids, (id) => held.get(binaryKey(id)));
      // Every row is checked before any is removed; a corrupt one aborts the whole take.
      const taken = new Map<string, Uint8Array>();
      ids.forEach((id, i) => {
        if (rows[i] !== undefined) taken.set(toHex(id), readHeldBytes(id, rows[i]));
      });
      await each(ids.filter((_, i) => rows[i] !== undefined), (id) => held.delete(binaryKey(id)));
      return taken;
    });
  }

  /** @inheritDoc LocalStore.heldCount */
  async heldCount(): Promise<number> {
    return this.read([STORES.held], (tx) => tx.objectStore(STORES.held).count());
  }

  /** @inheritDoc LocalStore.dropHeld */
  async dropHeld(): Promise<number> {
    return this.write([STORES.held], async (tx) => {
      const held = tx.objectStore(STORES.held);
      const [count] = await inOrder([() => held.count(), () => held.clear()]);
      return count as number;
    });
  }

  /**
   * The non-extractable AES-GCM key this database keeps for `saveDeviceWithKey` and
   * `loadDeviceWithKey`, made on first use. Script of this origin can use it; nobody can read
   * its bytes through the API. Deleting the database deletes it, and with it the only way to
   * open a device sealed under it.
   * @throws StorageError `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`, `LOCAL_ROW_CORRUPT` (what
   *   is stored under its name is not an AES-GCM key).
   * @throws UsageError `WEBCRYPTO_UNAVAILABLE` outside a secure context (https or localhost).
   */
  async vaultKey(): Promise<CryptoKey> {
    this.ensureOpen();
    const subtle = globalThis.crypto?.subtle;
    if (subtle === undefined) throw new UsageError('WEBCRYPTO_UNAVAILABLE', 'WebCrypto is not available (a page needs a secure context: https or localhost)');
    const stored = await this.read([STORES.keys], (tx) => tx.objectStore(STORES.keys).get(VAULT_KEY_NAME));
    if (stored !== undefined) return readVaultKey(stored);
    // Made outside the transaction (WebCrypto is not an IndexedDB request); a key another tab
    // stored meanwhile wins, so every tab ends up with the same one.
    const made = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const kept = await this.write([STORES.keys], async (tx) => {
      const keys = tx.objectStore(STORES.keys);
      const raced = await keys.get(VAULT_KEY_NAME);
      if (raced !== undefined) return raced;
      await keys.add(made, VAULT_KEY_NAME);
      return made;
    });
    return readVaultKey(kept);
  }

  /** @inheritDoc LocalStore.close */
  async close(): Promise<void> {
    this.shut('close() was called');
  }
}

function readVaultKey(value: unknown): CryptoKey {
  const key = value as CryptoKey;
  if (typeof CryptoKey === 'undefined' || !(value instanceof CryptoKey) || key.algorithm.name !== 'AES-GCM') {
    throw localStoreError('LOCAL_ROW_CORRUPT', 'the stored vault key is not an AES-GCM key');
  }
  return key;
}
