/**
 * `multikey-sync/server` (Node only): the sync server and the stores it runs on.
 * The root export stays free of Node modules so it bundles for browsers.
 */
export { createServer } from './createServer.js';
export type { SyncServer, ListeningServer } from './createServer.js';
export type { ServerOptions, ServerLimits, StoreOpener, AdmissionHook, AdmissionRequest, ServerLogger, HttpLimits } from './options.js';
export { WIRE_ERRORS } from '../http/wireErrors.js';
export type { WireErrorCode } from '../http/wireErrors.js';

export { MemoryStore, SqliteStore, PostgresStore, STORAGE_ERROR_CODES } from '../storage/index.js';
export type {
  SqliteStoreOptions,
  PostgresStoreOptions,
  PostgresPoolConfig,
  Store,
  StoreLimits,
  StorageErrorCode,
  StoreFailureCode,
  EnvelopeInput,
  EnvelopeMeta,
  StoredEnvelope,
  StoredCheckpoint,
  StoredItem,
  LogAppend,
  LogHead,
  LogCut,
  EnvelopePurge,
  PutOutcome,
  PullPage,
  ChainEntryRow,
  Usage,
  WatchListener,
  Unwatch,
} from '../storage/index.js';
