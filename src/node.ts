/**
 * `multikey-sync/node` (Node only): a device's replica in a SQLite file. Everything else a
 * device needs is in the root export.
 */
export { SqliteLocalStore } from './sync/sqliteLocalStore.js';
export type { SqliteLocalStoreOptions } from './sync/sqliteLocalStore.js';
