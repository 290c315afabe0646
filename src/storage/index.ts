/** Server-blind storage: the `Store` interface and its adapters. */
export type {
  ChainEntryRow,
  EnvelopeInput,
  EnvelopeKind,
  EnvelopeMeta,
  EnvelopePurge,
  LogAppend,
  LogCut,
  LogHead,
  PullPage,
  PutOutcome,
  Store,
  StoredCheckpoint,
  StoredEnvelope,
  StoredItem,
  StoreLimits,
  Unwatch,
  Usage,
  WatchListener,
} from './store.js';
export { STORAGE_ERROR_CODES } from './storageErrors.js';
export type { StorageErrorCode, StoreFailureCode } from './storageErrors.js';
export {
  ACCOUNT_ID_BYTES,
  DEFAULT_MAX_ENVELOPES,
  DEFAULT_QUOTA_BYTES,
  DEVICE_ID_BYTES,
  HASH_BYTES,
  MAX_CHECKPOINT_BYTES,
  MAX_LOG_POSITION,
  MAX_MAILBOX_BYTES,
  MAX_PAGE,
  MAX_PURGE_IDS,
  RECORD_ID_BYTES,
} from './limits.js';
export { compareVersions } from './supersession.js';
export { MemoryStore } from './memoryStore.js';
export { SqliteStore } from './sqliteStore.js';
export type { SqliteStoreOptions } from './sqliteStore.js';
export { PostgresStore } from './postgresStore.js';
export type { PostgresStoreOptions, PostgresPoolConfig } from './postgresStore.js';
export { OPTIONAL_DEPENDENCIES } from './optionalDependency.js';
