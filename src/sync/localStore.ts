/**
 * `LocalStore`: a device's replica of its records, its durable outbox of sealed envelopes not
 * yet acknowledged by the server, and a small key-value store for its own state (pull cursors,
 * its next sequence number, cached chain entries, its passphrase-protected secrets).
 *
 * Every method is async so that an IndexedDB adapter can implement the same interface; the
 * memory and SQLite adapters resolve at once. Each write method is atomic: it either takes
 * full effect or none. The two that matter for sync:
 * - `applyLocal` stores a local write and queues it for the server together, so a write is never
 *   stored without being pushed later, nor pushed without being stored.
 * - `applyRemote` merges pulled versions and moves the pull cursor together, so a sync cut off
 *   half-way re-pulls from the last committed cursor and loses or repeats nothing (re-applying a
 *   version is a no-op: merge is idempotent).
 *
 * Both keep, per record, the winner of the reader order (`compareReaderOrder`, readerOrder.ts:
 * clock, then a tombstone on an exact clock tie, then revision and sender), checked inside their
 * transaction. Every adapter calls that one function, and so does the replica.
 *
 * It also holds envelopes the device received but cannot open yet (it was enrolled after they
 * were sealed and waits for the history grants that let it open them), by record id, until the
 * caller takes them back to open.
 *
 * Records are listed in (sortTime, recordId) order by keyset paging: a page is read with the
 * token of the previous one, so no adapter ever holds a whole collection to answer a list.
 *
 * Format v2 adds what a reader needs to judge its senders' logs: per record id, the newest
 * version a verified log claims and the newest version this device received (the version
 * index, see {@link VersionEntry}), updated in the same transaction as the pull cursor; and,
 * with each record version opened here, its content key and envelope hash, so this device can
 * hand the record's key to a device enrolled later without any old pair key.
 *
 * Errors are `StorageError`s with the codes catalogued in `localStoreErrors.ts`; async methods
 * report them by rejecting.
 */
import type { OrderedVersion } from './readerOrder.js';
import type { Version } from './version.js';

/** One version of one record as the replica holds it. */
export interface LocalRecord extends OrderedVersion {
  /** Collection name: 1 to 128 characters. */
  readonly collection: string;
  /** 16 bytes, the envelope's record id. */
  readonly recordId: Uint8Array;
  /** u32 revision (see `version.ts`). */
  readonly revision: number;
  /** 16-byte id of the device that wrote this version. */
  readonly sender: Uint8Array;
  /** True for a tombstone. */
  readonly deleted: boolean;
  /** The record's content, any CBOR-encodable value; null for a tombstone. */
  readonly value: unknown;
  /**
   * The string key the record was put under (its id is derived from it), 1 to 1024 UTF-8
   * bytes; null (or absent) for a record named by a random id and for every tombstone. Reads
   * return it only when the record has one.
   */
  readonly key?: string | null;
  /** Milliseconds (a non-negative safe integer) the collection is listed by, e.g. a call's startedAt. */
  readonly sortTime: number;
  /** Milliseconds after which `expire` removes the record; null = never. */
  readonly expiresAt: number | null;
  /**
   * The write's hybrid logical clock, 8 bytes (48-bit ms ‖ 16-bit counter, big-endian;
   * `hlc.ts`): what the reader order compares first. Versions stored before clocks existed read
   * as all zeros.
   */
  readonly clock: Uint8Array;
  /**
   * The clock of the version this write replaced (8 bytes); null (or absent) for a new record.
   * Reads always return it, null when the version has none. Two versions conflict when neither
   * writer had seen the other's (each one's base is below the other's clock).
   */
  readonly base?: Uint8Array | null;
  /**
   * The content key of the envelope that carried this version (32 bytes), kept for history
   * grants; null (or absent) for a local write not yet pushed and for local-only collections.
   * Reads always return it, null when the version has none. It is as secret as the value: it
   * opens the server's copy of this version, nothing else.
   */
  readonly contentKey?: Uint8Array | null;
  /** H of that envelope (32 bytes); null (or absent) exactly when `contentKey` is. */
  readonly envelopeHash?: Uint8Array | null;
}

/** The newest version of a record that a verified sender log claims. */
export interface VersionClaim extends Version {
  /** H of the claimed envelope (32 bytes). */
  readonly hash: Uint8Array;
  readonly kind: 'record' | 'tombstone';
  /** The claimed envelope's expiry day (0 = none): the server may drop it after that day. */
  readonly expiryDay: number;
  /** Position of the claiming checkpoint in the sender's log (1..2^32−1). */
  readonly position: number;
}

/**
 * What this device knows about one record id from the logs it verified: the newest claimed
 * version, the newest version it received with a matching hash (opened or held), and the
 * highest revision a verified log purged. A claim newer than what was received, neither
 * purged nor expired, is a record the server withheld.
 */
export interface VersionEntry {
  /** 16 bytes. */
  readonly recordId: Uint8Array;
  readonly claim: VersionClaim | null;
  readonly have: Version | null;
  /** Highest revision purged by a verified log; 0 when none. */
  readonly purgedUpTo: number;
}

/** A current record version that has its content key, for history grants. */
export interface KeyedRecord extends Version {
  readonly collection: string;
  readonly recordId: Uint8Array;
  readonly deleted: boolean;
  readonly sortTime: number;
  readonly contentKey: Uint8Array;
  readonly envelopeHash: Uint8Array;
}

/** What else commits with a pull page (all or nothing with the records and the cursor). */
export interface RemoteExtras {
  /** Version-index entries to store, each replacing the entry of its record id. */
  readonly versions?: readonly VersionEntry[];
  /** Envelopes to hold (as `holdEnvelopes`). */
  readonly held?: readonly HeldEnvelopeInput[];
  /** Meta values to set. */
  readonly meta?: readonly (readonly [string, Uint8Array])[];
}

/** The content key and envelope hash a push gave one local version. */
export interface PushedKey {
  readonly collection: string;
  readonly recordId: Uint8Array;
  /** The version (revision, sender) the keys belong to: set only if that version is still stored. */
  readonly revision: number;
  readonly sender: Uint8Array;
  readonly contentKey: Uint8Array;
  readonly envelopeHash: Uint8Array;
}

/** What else commits with a local write. */
export interface LocalExtras {
  /** Meta values to set (a later item for the same key wins). The replica keeps its clock state here. */
  readonly meta?: readonly (readonly [string, Uint8Array])[];
}

/** What else commits with an outbox acknowledgement. */
export interface AckExtras {
  /** Keys to attach to the local versions the push carried. */
  readonly keys?: readonly PushedKey[];
  /** Meta values to set. */
  readonly meta?: readonly (readonly [string, Uint8Array])[];
}

/** A write to queue for the server with a local write. */
export interface OutboxItemInput {
  /** The record the write carries; must equal the written record's id. */
  readonly recordId: Uint8Array;
  /**
   * The write, opaque to the store (1 byte to 4 MiB). The replica queues the unsealed write
   * and seals it at push time, for the devices and keys current then.
   */
  readonly bytes: Uint8Array;
}

/** A queued envelope, with the id `outboxAck` takes once the server has it. */
export interface OutboxItem extends OutboxItemInput {
  /** Positive integer, increasing in queue order and never reused. */
  readonly id: number;
}

/** An envelope the device cannot open yet, held until it can. */
export interface HeldEnvelopeInput {
  /** 16 bytes, the record id the envelope carries. */
  readonly recordId: Uint8Array;
  /** The sealed envelope, opaque to the store (1 byte to 4 MiB). */
  readonly bytes: Uint8Array;
}

/** Filters and paging of `listRecords`. */
export interface ListOptions {
  /** Lowest sortTime listed, inclusive. Default: no bound. */
  readonly from?: number;
  /** Highest sortTime listed, exclusive. Default: no bound. */
  readonly to?: number;
  /** Page size, 1 to 1000. Default 100. */
  readonly limit?: number;
  /** The `next` token of the previous page, from a listing in the same order. */
  readonly after?: string;
  /** 'asc' (default): oldest first; 'desc': newest first. Ties go by record id bytes. */
  readonly order?: 'asc' | 'desc';
  /** List tombstones too. Default false. */
  readonly includeDeleted?: boolean;
}

/** One page of a listing. */
export interface RecordPage {
  readonly records: LocalRecord[];
  /** Token for the next page, or null when this page is the last. */
  readonly next: string | null;
}

/** Options of `countRecords`. */
export interface CountOptions {
  /** Count tombstones too. Default false. */
  readonly includeDeleted?: boolean;
}

/** A device's replica, outbox and private state. See the module comment. */
export interface LocalStore {
  /**
   * The stored version of a record (a tombstone included), or null.
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_ROW_CORRUPT`, `LOCAL_STORE_CLOSED`,
   *   `LOCAL_STORE_FAILURE`.
   */
  getRecord(collection: string, recordId: Uint8Array): Promise<LocalRecord | null>;

  /**
   * One page of a collection in (sortTime, recordId) order, with from ≤ sortTime < to.
   * A row that does not decode is reported, never skipped.
   * @throws StorageError `INVALID_ARGUMENT` (a bad option or a token that is not this order's),
   *   `LOCAL_ROW_CORRUPT`, `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  listRecords(collection: string, options?: ListOptions): Promise<RecordPage>;

  /**
   * How many records the collection holds (tombstones only with `includeDeleted`).
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  countRecords(collection: string, options?: CountOptions): Promise<number>;

  /**
   * A local write: stores `record`, queues `outboxItem` and sets `extras.meta`, in one
   * transaction. `record` must win over the stored version in the reader order (a new write's
   * clock is after the one it replaces; a re-published copy has the same clock and a higher
   * revision). `outboxItem` null is a local-only write (a collection whose sync is off): the
   * record is stored under the same check and nothing is queued. Only null means that; a
   * missing (undefined) item is refused.
   * @throws StorageError `INVALID_ARGUMENT` (nothing stored, nothing queued),
   *   `LOCAL_VERSION_STALE` (a version that wins or ties is stored; re-read and retry),
   *   `LOCAL_ROW_CORRUPT` (the stored version does not decode), `LOCAL_STORE_CLOSED`,
   *   `LOCAL_STORE_FAILURE`.
   */
  applyLocal(record: LocalRecord, outboxItem: OutboxItemInput | null, extras?: LocalExtras): Promise<void>;

  /**
   * Merges pulled versions in order, storing each only if it wins over what is stored then in
   * the reader order, and sets meta `cursorKey` to `cursor`, with `extras` (version-index
   * entries, held envelopes, meta values), in one transaction. Returns, per input record, whether it was applied. If
   * anything is invalid, nothing is applied and the cursor stays. Within `extras`, a later item
   * for the same record id or meta key wins; the cursor is set last, so it wins over a meta
   * value of its own key.
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_ROW_CORRUPT` (a stored version it must
   *   compare with; nothing is applied), `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  applyRemote(records: readonly LocalRecord[], cursorKey: string, cursor: Uint8Array, extras?: RemoteExtras): Promise<boolean[]>;

  /**
   * The version-index entries of `recordIds`, keyed by lower-case hex of the record id; ids
   * without an entry are absent.
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_ROW_CORRUPT`, `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  getVersions(recordIds: readonly Uint8Array[]): Promise<Map<string, VersionEntry>>;

  /**
   * One page of the current versions that carry a content key, in every collection, ordered by
   * record id bytes and, for one id in several collections, by the collection name's UTF-8 bytes
   * (keyset paging with the `next` token of the previous page); tombstones included.
   * @throws StorageError `INVALID_ARGUMENT` (limit outside 1..1000, a bad token),
   *   `LOCAL_ROW_CORRUPT`, `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  listKeyed(options: { readonly after?: string; readonly limit: number }): Promise<{ records: KeyedRecord[]; next: string | null }>;

  /**
   * Up to `limit` (1 to 1000) queued envelopes, oldest first; they stay queued until acked.
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_ROW_CORRUPT`, `LOCAL_STORE_CLOSED`,
   *   `LOCAL_STORE_FAILURE`.
   */
  outboxPeek(limit: number): Promise<OutboxItem[]>;

  /**
   * Removes the given items from the outbox (ids not queued are ignored) and applies `extras`
   * in the same transaction: each pushed key is attached to its local version if that exact
   * version (revision and sender) is still the stored one, and ignored otherwise.
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  outboxAck(ids: readonly number[], extras?: AckExtras): Promise<void>;

  /**
   * Number of queued envelopes.
   * @throws StorageError `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  outboxSize(): Promise<number>;

  /**
   * The bytes stored under `key` (1 to 256 characters), or null.
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  getMeta(key: string): Promise<Uint8Array | null>;

  /**
   * Stores a copy of `value` under `key`, replacing any previous value.
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  setMeta(key: string, value: Uint8Array): Promise<void>;

  /**
   * Removes every record, in every collection, whose expiresAt ≤ `now` (ms); returns how many.
   * A record's content key goes with it; the version index is left alone (what the logs claim
   * does not change when a copy here expires).
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  expire(now: number): Promise<number>;

  /**
   * Removes every record of `collection` (tombstones included), with their content keys;
   * returns how many. The outbox and the version index are left alone: envelopes already
   * queued are still pushed.
   * @throws StorageError `INVALID_ARGUMENT`, `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  dropCollection(collection: string): Promise<number>;

  /**
   * Holds envelopes the device cannot open yet, in one transaction: all are held or none. A
   * hold for a record id already held replaces the earlier bytes (within one call, the last
   * item for an id wins). The store keeps its own copies. Records, outbox and meta are left
   * alone, and so are held envelopes by `dropCollection` and `expire`.
   * @throws StorageError `INVALID_ARGUMENT` (`items` not an array, a record id not 16 bytes,
   *   bytes not a Uint8Array of 1 byte to 4 MiB; nothing is held), `LOCAL_STORE_CLOSED`,
   *   `LOCAL_STORE_FAILURE`.
   */
  holdEnvelopes(items: readonly HeldEnvelopeInput[]): Promise<void>;

  /**
   * Returns and removes, in one transaction, the held envelopes of `recordIds`, keyed by the
   * lower-case hex of the record id. Ids not held are absent from the map; an id given twice
   * is returned once.
   * @throws StorageError `INVALID_ARGUMENT` (`recordIds` not an array or an id not 16 bytes;
   *   nothing is removed), `LOCAL_ROW_CORRUPT` (a held row that is not bytes; nothing is
   *   removed), `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  takeHeld(recordIds: readonly Uint8Array[]): Promise<Map<string, Uint8Array>>;

  /**
   * Number of held envelopes.
   * @throws StorageError `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  heldCount(): Promise<number>;

  /**
   * Removes every held envelope; returns how many there were.
   * @throws StorageError `LOCAL_STORE_CLOSED`, `LOCAL_STORE_FAILURE`.
   */
  dropHeld(): Promise<number>;

  /** Releases the store; later calls reject with `LOCAL_STORE_CLOSED`. Safe to call twice. */
  close(): Promise<void>;
}
