/**
 * The server-blind `Store`: everything the sync server persists, and nothing it could read.
 *
 * The server sees, per account (32-byte id): a hash-linked chain of membership entries, a
 * set of opaque envelopes, and one log of checkpoints per device. Per envelope it knows only
 * a random record id (16 bytes), a revision (u32), the sending device id (16 bytes), a kind
 * (`record` | `tombstone`), an optional expiry day, and the ciphertext. Per checkpoint it
 * knows the device, the position (u32, from 1), the previous checkpoint's hash and this one's
 * (both computed by the caller), and the bytes. It does not parse checkpoints nor verify chain
 * hashes or signatures: the layer above does, and readers authenticate every record themselves.
 *
 * Semantics every adapter implements (pinned by test/storage/conformance.ts):
 * - A record id holds at most one envelope per account. Versions are ordered by revision,
 *   then by sender id bytes (lexicographic); the higher one wins.
 * - Envelopes and checkpoints share one cursor stream per account. Cursors are positive
 *   integers, increasing across the whole store. Storing a version or a checkpoint gives it a
 *   cursor larger than every cursor already handed out, so a puller that remembers its last
 *   cursor sees every new item. A replaced version is gone: its bytes are deleted.
 * - A device's log only grows by one checkpoint at a time, each naming its predecessor's hash
 *   (`LOG_CONFLICT` otherwise). Checkpoints are never superseded, purged or collected by
 *   expiry; they go only with their account. Record ids name envelopes only, so no record id
 *   reaches a checkpoint.
 * - Log appends (`putEnvelopes`, `purgeEnvelopes` with `log`) and log cuts (`appendChain`
 *   with `cut`) of one account serialise, in every adapter and across processes.
 * - Every write is atomic: when a call throws, the store is exactly as before.
 * - Arguments of the wrong type, length or range throw `StorageError` `INVALID_ARGUMENT`
 *   before anything is read or written (one class for every storage failure, so the HTTP
 *   layer maps errors by code alone).
 * - Times are integers: `expiryDay` in days since the Unix epoch (0 = never), mailbox and
 *   nonce expiry in milliseconds since the epoch. A mailbox message or nonce is live while
 *   `now < expiresAt`; `expiresAt` must be later than `now`. The caller passes `now`, so
 *   tests and servers agree on time.
 *
 * Error codes are listed in `STORAGE_ERROR_CODES` (storageErrors.ts).
 */

/** What an envelope is: a sealed record, or a tombstone that deletes one. */
export type EnvelopeKind = 'record' | 'tombstone';

/** The public header of an envelope: all the server knows about it. */
export interface EnvelopeMeta {
  /** Random id of the record, 16 bytes, chosen by the client. */
  readonly recordId: Uint8Array;
  /** Revision of the record, an integer in [0, 2^32). */
  readonly revision: number;
  /** Id of the device that sealed this version, 16 bytes; breaks revision ties. */
  readonly sender: Uint8Array;
  readonly kind: EnvelopeKind;
  /** Day (since the Unix epoch) after which the server may drop the envelope; 0 = never. */
  readonly expiryDay: number;
}

/** An envelope as pushed: header plus opaque bytes (at least one byte). */
export interface EnvelopeInput extends EnvelopeMeta {
  readonly bytes: Uint8Array;
}

/** An envelope as pulled, with the cursor the store gave it. */
export interface StoredEnvelope extends EnvelopeInput {
  readonly cursor: number;
}

/**
 * What happened to one pushed envelope.
 * - `stored`: written, with a new cursor (it was new, or newer than the stored version).
 * - `duplicate`: the identical envelope (same header and bytes) is already stored.
 * - `superseded`: an equal-or-newer, different version is stored; nothing was written.
 */
export type PutOutcome = 'stored' | 'duplicate' | 'superseded';

/** One entry of an account's membership chain, as the store keeps it. */
export interface ChainEntryRow {
  /** Position in the chain; the genesis entry is 0. */
  readonly index: number;
  /** 32-byte hash that the next entry's author names as the head it builds on. */
  readonly hash: Uint8Array;
  /** The encoded entry; opaque to the store. */
  readonly bytes: Uint8Array;
}

/** A checkpoint appended to a device's log. The store keeps `bytes` opaque. */
export interface LogAppend {
  /** The device whose log this is, 16 bytes. */
  readonly device: Uint8Array;
  /** Position in the log, 1..2^32-1; the first checkpoint is 1. */
  readonly position: number;
  /** Hash of the checkpoint at `position` - 1, 32 bytes; all zero when `position` is 1. */
  readonly prevHash: Uint8Array;
  /** This checkpoint's hash, 32 bytes, computed by the caller (the store does not hash). */
  readonly hash: Uint8Array;
  /** The checkpoint, 1 byte to `MAX_CHECKPOINT_BYTES` (4 MiB). */
  readonly bytes: Uint8Array;
}

/** A device's newest checkpoint. */
export interface LogHead {
  readonly position: number;
  readonly hash: Uint8Array;
  readonly bytes: Uint8Array;
}

/**
 * The log head a chain entry names for a device: `position` 0 with `hash` null means "no
 * checkpoint at all"; otherwise the head's position (1..2^32-1) and its 32-byte hash.
 */
export interface LogCut {
  readonly device: Uint8Array;
  readonly position: number;
  readonly hash: Uint8Array | null;
}

/** One record of a purge: delete its envelope if the stored revision is at most `upToRevision`. */
export interface EnvelopePurge {
  /** 16-byte record id. */
  readonly recordId: Uint8Array;
  /** Highest revision to delete, 0..2^32-1; a stored version above it survives. */
  readonly upToRevision: number;
}

/** A checkpoint as pulled, with the cursor the store gave it. */
export interface StoredCheckpoint {
  readonly kind: 'log';
  readonly cursor: number;
  readonly device: Uint8Array;
  readonly position: number;
  readonly bytes: Uint8Array;
}

/** What a pull returns: envelopes and checkpoints, told apart by `kind` (`'log'` or not). */
export type StoredItem = StoredEnvelope | StoredCheckpoint;

/** One page of a pull. */
export interface PullPage {
  /** Envelopes and checkpoints with cursor > the requested one, in cursor order. */
  readonly items: StoredItem[];
  /** Cursor to pass to the next pull: the last item's, or the requested one if none. */
  readonly cursor: number;
  /** True when more items follow this page. */
  readonly more: boolean;
}

/**
 * Storage used by one account: bytes of envelopes and checkpoints (headers not counted), and
 * how many of them are stored (`envelopes` counts checkpoint rows too).
 */
export interface Usage {
  readonly bytes: number;
  readonly envelopes: number;
}

/** Per-account limits, shared by every adapter's options. Checkpoints count toward both. */
export interface StoreLimits {
  /** Maximum total bytes of envelopes and checkpoints per account. Default 256 MiB. */
  readonly quotaBytes?: number;
  /** Maximum number of items (records, tombstones, checkpoints) per account. Default 1,000,000. */
  readonly maxEnvelopes?: number;
}

/**
 * Called after a commit that stored at least one envelope or checkpoint for the watched
 * account, with the highest cursor of that commit. Listeners must not throw (exceptions are
 * ignored) and should only wake a puller: wakeups may be coalesced, duplicated, or (after a
 * lost database connection) sent without a new item, so the puller's cursor is the truth.
 */
export type WatchListener = (cursor: number) => void;

/** Stops a watch. Idempotent. */
export type Unwatch = () => Promise<void>;

/** The server's persistence. Every method is async and rejects with `StorageError`. */
export interface Store {
  /**
   * Creates an account whose chain starts with `genesis` (index 0).
   * @throws StorageError `ACCOUNT_EXISTS`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  createAccount(accountId: Uint8Array, genesis: ChainEntryRow): Promise<void>;

  /**
   * Whether the account exists.
   * @throws StorageError `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  hasAccount(accountId: Uint8Array): Promise<boolean>;

  /**
   * Deletes the account with its chain, envelopes and logs (mailbox and nonces are not per
   * account).
   * @throws StorageError `ACCOUNT_NOT_FOUND`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  deleteAccount(accountId: Uint8Array): Promise<void>;

  /**
   * The newest chain entry.
   * @throws StorageError `ACCOUNT_NOT_FOUND`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  chainHead(accountId: Uint8Array): Promise<ChainEntryRow>;

  /**
   * Up to `limit` (1..10,000) entries with index >= `fromIndex`, in index order.
   * @throws StorageError `ACCOUNT_NOT_FOUND`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  readChain(accountId: Uint8Array, fromIndex: number, limit: number): Promise<ChainEntryRow[]>;

  /**
   * Compare-and-swap append: succeeds only if the head's hash is `expectedHeadHash` and
   * `entry.index` is the head's index + 1. Of two concurrent appends on the same head,
   * exactly one succeeds, in every adapter and across processes.
   *
   * With `cut`, in the same transaction, the device's log head must also be exactly
   * (`cut.position`, `cut.hash`), position 0 and hash null meaning "no checkpoint"; so a
   * `remove` or `rotate` names the device's exact head with no race against its pushes. The
   * chain is checked first: when both are stale the error is `CHAIN_CONFLICT`.
   * @throws StorageError `CHAIN_CONFLICT`, `LOG_CUT_STALE` (nothing written),
   *   `ACCOUNT_NOT_FOUND`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  appendChain(accountId: Uint8Array, expectedHeadHash: Uint8Array, entry: ChainEntryRow, cut?: LogCut): Promise<void>;

  /**
   * Stores a batch in one transaction, item by item in order (so a repeated item inside the
   * batch is a `duplicate`). Returns one outcome per item. Wakes watchers if anything (an
   * envelope or the checkpoint) was stored. Quota is checked on the call's net effect, the
   * checkpoint included: a call that grows usage beyond a limit fails as a whole; one that
   * shrinks it (tombstones) is always accepted.
   *
   * With `log`, in the same transaction: if the device's head is (`position` - 1, `prevHash`)
   * (for position 1: the device has no checkpoint), the checkpoint is stored with a cursor
   * below every envelope of the call and becomes the head. Otherwise, if the checkpoint
   * stored at exactly `position` has byte-identical bytes, the call is a re-push: the
   * envelopes are stored as usual and the checkpoint is not stored again. Anything else is
   * `LOG_CONFLICT`, and nothing is stored.
   * @throws StorageError `LOG_CONFLICT`, `QUOTA_EXCEEDED`, `ACCOUNT_NOT_FOUND`,
   *   `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  putEnvelopes(accountId: Uint8Array, items: readonly EnvelopeInput[], log?: LogAppend): Promise<PutOutcome[]>;

  /**
   * Up to `limit` (1..10,000) items (envelopes and checkpoints, one each) with cursor >
   * `afterCursor`, in cursor order; reads only that page from the database.
   * @throws StorageError `ACCOUNT_NOT_FOUND`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  pullEnvelopes(accountId: Uint8Array, afterCursor: number, limit: number): Promise<PullPage>;

  /**
   * Deletes, for each purge, the record's envelope (record or tombstone alike) if its
   * revision is at most `upToRevision` (a version written concurrently above it survives),
   * in one transaction, and returns how many envelopes were deleted. Unknown ids are
   * ignored; an id named twice is deleted at most once. Nothing is left in their place: no
   * tombstone, no memory of the version, so a later push of any version of such a record is
   * stored as new. Usage shrinks by what was deleted. Without `log` watchers are not woken
   * (nothing new to pull).
   *
   * With `log`, the same head check as `putEnvelopes`, atomically with the deletes: the
   * checkpoint is appended (and wakes watchers), a byte-identical re-push purges without
   * storing it again, anything else is `LOG_CONFLICT` and deletes nothing. Quota is checked
   * on the net effect, as for a push.
   * @throws StorageError `LOG_CONFLICT`, `QUOTA_EXCEEDED`, `ACCOUNT_NOT_FOUND`,
   *   `INVALID_ARGUMENT` (not an array, over `MAX_PURGE_IDS` purges, an id not 16 bytes, a
   *   revision out of range), `STORE_CLOSED`, `STORE_FAILURE`
   */
  purgeEnvelopes(accountId: Uint8Array, purges: readonly EnvelopePurge[], log?: LogAppend): Promise<number>;

  /**
   * The device's newest checkpoint, or null when it has none.
   * @throws StorageError `ACCOUNT_NOT_FOUND`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  logHead(accountId: Uint8Array, device: Uint8Array): Promise<LogHead | null>;

  /**
   * Deletes, across all accounts, envelopes with 0 < expiryDay < `today`; returns how many.
   * Checkpoints never expire.
   * @throws StorageError `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  collectExpired(today: number): Promise<number>;

  /**
   * Current usage of the account.
   * @throws StorageError `ACCOUNT_NOT_FOUND`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  usage(accountId: Uint8Array): Promise<Usage>;

  /**
   * Leaves one message (at most 64 KiB) under `id` (16..64 bytes) until `expiresAtMs`.
   * First writer wins: while a live message sits under `id`, another put fails with
   * `MAILBOX_FULL` instead of replacing it (so whoever learns an id cannot swap a message);
   * an expired one is replaced. Also sweeps expired messages.
   * @throws StorageError `MAILBOX_FULL`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  mailboxPut(id: Uint8Array, bytes: Uint8Array, expiresAtMs: number, nowMs: number): Promise<void>;

  /**
   * Removes and returns the message under `id`; null when there is none or it has expired.
   * Of concurrent takes, at most one gets the message.
   * @throws StorageError `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  mailboxTake(id: Uint8Array, nowMs: number): Promise<Uint8Array | null>;

  /**
   * Records `key` (8..64 bytes) until `expiresAtMs`; false if it is already recorded and live
   * (a replay). Shared by every server process on the same database; of concurrent calls
   * with one key, exactly one gets true. Also sweeps expired keys. `expiresAtMs` must cover
   * the window in which the server would still accept the request.
   * @throws StorageError `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  rememberNonce(key: Uint8Array, expiresAtMs: number, nowMs: number): Promise<boolean>;

  /**
   * Calls `listener` after each commit that stores envelopes or a checkpoint for the account,
   * including commits by other processes where the adapter supports it (PostgreSQL). Once the
   * promise resolves the watch is live, so "watch, then pull" never misses an item.
   * @throws StorageError `ACCOUNT_NOT_FOUND`, `INVALID_ARGUMENT`, `STORE_CLOSED`, `STORE_FAILURE`
   */
  watch(accountId: Uint8Array, listener: WatchListener): Promise<Unwatch>;

  /** Releases connections and files; later calls throw `STORE_CLOSED`. Idempotent. */
  close(): Promise<void>;
}
