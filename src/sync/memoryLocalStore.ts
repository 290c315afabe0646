/**
 * `MemoryLocalStore`: a `LocalStore` in process memory, for tests and for devices that keep
 * nothing between runs. Values are kept as CBOR bytes, like the SQLite adapter, so both accept
 * the same values and hand out fresh copies. Each method validates and encodes everything
 * before it changes anything, which is what makes it atomic.
 *
 * Content keys sit in ordinary memory with the records: JavaScript gives no way to wipe them
 * reliably, and a dropped record's key lingers until the garbage collector reuses its memory.
 */
import { equalBytes, toHex } from '../crypto/bytes.js';
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
import { localStoreError } from './localStoreErrors.js';
import { prepareAckExtras, prepareLocalExtras, prepareRemoteExtras } from './localStoreExtras.js';
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
import { MemoryCollection } from './memoryCollection.js';
import { MemoryKeyedIndex } from './memoryKeyedIndex.js';
import { prepareRecord, readKeyed, readRecord, toRow, type StoredRecord } from './storedRecord.js';
import { readVersionEntry, type PreparedVersionRow } from './storedVersionEntry.js';
import { compareReaderOrder } from './readerOrder.js';

function toLocal(record: StoredRecord): LocalRecord {
  return readRecord(record.collection, toRow(record));
}

/** A `LocalStore` held in memory; everything is lost when the process ends. */
export class MemoryLocalStore implements LocalStore {
  private readonly collections = new Map<string, MemoryCollection>();
  private readonly outbox = new Map<number, OutboxItemInput>();
  private readonly meta = new Map<string, Uint8Array>();
  /** Held envelopes by lower-case hex of the record id; private copies. */
  private readonly held = new Map<string, Uint8Array>();
  /** Version-index rows by lower-case hex of the record id. */
  private readonly versions = new Map<string, PreparedVersionRow>();
  /** The versions that carry a content key, in `listKeyed` order. */
  private readonly keyed = new MemoryKeyedIndex();
  private nextOutboxId = 1;
  private closed = false;

  private ensureOpen(): void {
    if (this.closed) throw localStoreError('LOCAL_STORE_CLOSED', 'the local store is closed');
  }

  private collection(name: string): MemoryCollection {
    let collection = this.collections.get(name);
    if (collection === undefined) {
      collection = new MemoryCollection();
      this.collections.set(name, collection);
    }
    return collection;
  }

  /** Stores `record` over any version of its id, keeping the keyed index in step. */
  private put(record: StoredRecord): void {
    const idHex = toHex(record.recordId);
    this.collection(record.collection).put(idHex, record);
    this.keyed.set(record, idHex, record.contentKey !== null);
  }

  /** Takes removed records out of the keyed index. */
  private unindex(removed: readonly StoredRecord[]): void {
    for (const record of removed) this.keyed.set(record, toHex(record.recordId), false);
  }

  private stored(collection: string, idHex: string): StoredRecord | undefined {
    return this.collections.get(collection)?.byId.get(idHex);
  }

  /** @inheritDoc LocalStore.getRecord */
  async getRecord(collection: string, recordId: Uint8Array): Promise<LocalRecord | null> {
    this.ensureOpen();
    checkCollection(collection);
    checkRecordId(recordId);
    const record = this.collections.get(collection)?.byId.get(toHex(recordId));
    return record === undefined ? null : toLocal(record);
  }

  /** @inheritDoc LocalStore.listRecords */
  async listRecords(collection: string, options?: ListOptions): Promise<RecordPage> {
    this.ensureOpen();
    checkCollection(collection);
    const query = resolveListOptions(options);
    const found = this.collections.get(collection)?.scan(query) ?? [];
    return toPage(query, found.slice(0, query.limit).map(toLocal), found.length > query.limit);
  }

  /** @inheritDoc LocalStore.countRecords */
  async countRecords(collection: string, options?: CountOptions): Promise<number> {
    this.ensureOpen();
    checkCollection(collection);
    const includeDeleted = options?.includeDeleted ?? false;
    if (typeof includeDeleted !== 'boolean') invalid('includeDeleted must be a boolean');
    const c = this.collections.get(collection);
    return c === undefined ? 0 : includeDeleted ? c.byId.size : c.live;
  }

  /** @inheritDoc LocalStore.applyLocal */
  async applyLocal(record: LocalRecord, outboxItem: OutboxItemInput | null, extras?: LocalExtras): Promise<void> {
    this.ensureOpen();
    const stored = prepareRecord(record);
    if (outboxItem !== null) checkOutboxItem(outboxItem, stored.recordId);
    const meta = prepareLocalExtras(extras);
    const current = this.stored(stored.collection, toHex(stored.recordId));
    if (current !== undefined && compareReaderOrder(stored, current) <= 0) {
      throw localStoreError('LOCAL_VERSION_STALE', 'a version that wins or ties in the reader order is already stored');
    }
    this.put(stored);
    for (const [key, value] of meta) this.meta.set(key, value);
    if (outboxItem === null) return;
    this.outbox.set(this.nextOutboxId++, { recordId: outboxItem.recordId.slice(), bytes: outboxItem.bytes.slice() });
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
    const { versions, held, meta } = prepareRemoteExtras(extras);
    const applied = prepared.map((stored) => {
      const current = this.stored(stored.collection, toHex(stored.recordId));
      if (current !== undefined && compareReaderOrder(stored, current) <= 0) return false;
      this.put(stored);
      return true;
    });
    for (const row of versions) this.versions.set(toHex(row.record_id), row);
    for (const item of held) this.held.set(toHex(item.recordId), item.bytes);
    for (const [key, value] of meta) this.meta.set(key, value);
    this.meta.set(cursorKey, cursor.slice());
    return applied;
  }

  /** @inheritDoc LocalStore.getVersions */
  async getVersions(recordIds: readonly Uint8Array[]): Promise<Map<string, VersionEntry>> {
    this.ensureOpen();
    checkRecordIds(recordIds);
    const found = new Map<string, VersionEntry>();
    for (const recordId of recordIds) {
      const idHex = toHex(recordId);
      const row = this.versions.get(idHex);
      if (row !== undefined) found.set(idHex, readVersionEntry(row));
    }
    return found;
  }

  /** @inheritDoc LocalStore.listKeyed */
  async listKeyed(options: {
    readonly after?: string;
    readonly limit: number;
  }): Promise<{ records: KeyedRecord[]; next: string | null }> {
    this.ensureOpen();
    const query = resolveKeyedOptions(options);
    const refs = this.keyed.page(query.after, query.limit + 1);
    const records = refs
      .slice(0, query.limit)
      .map(({ collection, idHex }) => readKeyed(collection, toRow(this.stored(collection, idHex)!)));
    return toKeyedPage(records, refs.length > query.limit);
  }

  /** @inheritDoc LocalStore.outboxPeek */
  async outboxPeek(limit: number): Promise<OutboxItem[]> {
    this.ensureOpen();
    checkLimit(limit);
    const items: OutboxItem[] = [];
    for (const [id, item] of this.outbox) {
      if (items.length === limit) break;
      items.push({ id, recordId: item.recordId.slice(), bytes: item.bytes.slice() });
    }
    return items;
  }

  /** @inheritDoc LocalStore.outboxAck */
  async outboxAck(ids: readonly number[], extras?: AckExtras): Promise<void> {
    this.ensureOpen();
    checkOutboxIds(ids);
    const { keys, meta } = prepareAckExtras(extras);
    for (const id of ids) this.outbox.delete(id);
    for (const key of keys) {
      const current = this.stored(key.collection, toHex(key.recordId));
      if (current === undefined || current.revision !== key.revision || !equalBytes(current.sender, key.sender)) continue;
      this.put({ ...current, contentKey: key.contentKey, envelopeHash: key.envelopeHash });
    }
    for (const [key, value] of meta) this.meta.set(key, value);
  }

  /** @inheritDoc LocalStore.outboxSize */
  async outboxSize(): Promise<number> {
    this.ensureOpen();
    return this.outbox.size;
  }

  /** @inheritDoc LocalStore.getMeta */
  async getMeta(key: string): Promise<Uint8Array | null> {
    this.ensureOpen();
    checkMetaKey(key);
    return this.meta.get(key)?.slice() ?? null;
  }

  /** @inheritDoc LocalStore.setMeta */
  async setMeta(key: string, value: Uint8Array): Promise<void> {
    this.ensureOpen();
    checkMetaKey(key);
    checkMetaValue(value);
    this.meta.set(key, value.slice());
  }

  /** @inheritDoc LocalStore.expire */
  async expire(now: number): Promise<number> {
    this.ensureOpen();
    checkTime('now', now);
    let removed = 0;
    for (const collection of this.collections.values()) {
      const gone = collection.removeWhere((r) => r.expiresAt !== null && r.expiresAt <= now);
      this.unindex(gone);
      removed += gone.length;
    }
    return removed;
  }

  /** @inheritDoc LocalStore.dropCollection */
  async dropCollection(collection: string): Promise<number> {
    this.ensureOpen();
    checkCollection(collection);
    const records = [...(this.collections.get(collection)?.byId.values() ?? [])];
    this.unindex(records);
    this.collections.delete(collection);
    return records.length;
  }

  /** @inheritDoc LocalStore.holdEnvelopes */
  async holdEnvelopes(items: readonly HeldEnvelopeInput[]): Promise<void> {
    this.ensureOpen();
    checkHeldItems(items);
    const copies = items.map((item) => [toHex(item.recordId), item.bytes.slice()] as const);
    for (const [key, bytes] of copies) this.held.set(key, bytes);
  }

  /** @inheritDoc LocalStore.takeHeld */
  async takeHeld(recordIds: readonly Uint8Array[]): Promise<Map<string, Uint8Array>> {
    this.ensureOpen();
    checkRecordIds(recordIds);
    const taken = new Map<string, Uint8Array>();
    for (const recordId of recordIds) {
      const key = toHex(recordId);
      const bytes = this.held.get(key);
      if (bytes === undefined) continue;
      this.held.delete(key);
      taken.set(key, bytes);
    }
    return taken;
  }

  /** @inheritDoc LocalStore.heldCount */
  async heldCount(): Promise<number> {
    this.ensureOpen();
    return this.held.size;
  }

  /** @inheritDoc LocalStore.dropHeld */
  async dropHeld(): Promise<number> {
    this.ensureOpen();
    const removed = this.held.size;
    this.held.clear();
    return removed;
  }

  /** @inheritDoc LocalStore.close */
  async close(): Promise<void> {
    this.closed = true;
    this.collections.clear();
    this.outbox.clear();
    this.meta.clear();
    this.held.clear();
    this.versions.clear();
    this.keyed.clear();
  }
}
