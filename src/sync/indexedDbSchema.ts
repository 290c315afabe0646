/**
 * Schema of a device's IndexedDB replica, versioned with the database version. Upgrade N brings
 * a database from version N-1 to N inside IndexedDB's upgrade transaction; the list only grows.
 *
 * Object stores (rows use the column names of the SQLite replica, so `storedRecord.ts` and
 * `storedVersionEntry.ts` check them the same way):
 *
 * | store      | key                                 | value                                   |
 * |------------|-------------------------------------|-----------------------------------------|
 * | `records`  | `[collection, record_id]` (in-line) | a record row plus its index fields      |
 * | `outbox`   | auto-increment id (never reused)    | `{ record_id, bytes }`                  |
 * | `meta`     | the meta key (out-of-line)          | the bytes                               |
 * | `held`     | record id bytes (out-of-line)       | the envelope bytes                      |
 * | `versions` | `record_id` (in-line)               | a version-index row                     |
 * | `keys`     | a name (out-of-line)                | a non-extractable `CryptoKey`           |
 *
 * Indexes on `records`, each a keyset order a method pages through:
 * - `byTime`, `[collection, sort_time, record_id]`: `listRecords` with tombstones.
 * - `liveByTime`, `[collection, live_time, record_id]`: `live_time` is set on live rows only,
 *   so tombstones are not in it and a listing without them never steps over them.
 * - `keyed`, `keyed`: `[record_id, UTF-8 bytes of collection]` on rows with a content key
 *   only; binary keys compare as bytes, shorter first, which is `listKeyed`'s order.
 * - `byExpiry`, `expires_at`: null is not a key, so rows that never expire are not in it.
 */
import type { IDBPDatabase } from 'idb';

/** Object store names. */
export const STORES = {
  records: 'records',
  outbox: 'outbox',
  meta: 'meta',
  held: 'held',
  versions: 'versions',
  keys: 'keys',
} as const;

/** Index names on `records`. */
export const INDEXES = { byTime: 'byTime', liveByTime: 'liveByTime', keyed: 'keyed', byExpiry: 'byExpiry' } as const;

/** The upgrades in order: entry N-1 brings a database from version N-1 to N. Append only. */
const UPGRADES: readonly ((db: IDBPDatabase) => void)[] = [
  (db) => {
    const records = db.createObjectStore(STORES.records, { keyPath: ['collection', 'record_id'] });
    records.createIndex(INDEXES.byTime, ['collection', 'sort_time', 'record_id']);
    records.createIndex(INDEXES.liveByTime, ['collection', 'live_time', 'record_id']);
    records.createIndex(INDEXES.keyed, 'keyed');
    records.createIndex(INDEXES.byExpiry, 'expires_at');
    db.createObjectStore(STORES.outbox, { autoIncrement: true });
    db.createObjectStore(STORES.meta);
    db.createObjectStore(STORES.held);
    db.createObjectStore(STORES.versions, { keyPath: 'record_id' });
    db.createObjectStore(STORES.keys);
  },
];

/** The database version this code writes. */
export const INDEXED_DB_SCHEMA_VERSION = UPGRADES.length;

/** Runs the upgrades from `oldVersion` to the current version (IndexedDB's `upgradeneeded`). */
export function upgradeIndexedDb(db: IDBPDatabase, oldVersion: number): void {
  for (let next = oldVersion + 1; next <= INDEXED_DB_SCHEMA_VERSION; next += 1) UPGRADES[next - 1]!(db);
}

/** True when `db` has every store this code uses (a database of the same name made by someone else may not). */
export function hasOurStores(db: IDBPDatabase): boolean {
  return Object.values(STORES).every((name) => db.objectStoreNames.contains(name));
}
