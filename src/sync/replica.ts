/**
 * The replica: a device's local-first copy of the account's records, and the engine that syncs
 * it. A write lands in the local store and the outbox in one transaction; `sync()` refreshes the
 * device chain, pulls what is new, pushes the outbox (sealing and logging it then), and pulls
 * again; `live()` keeps doing so, waiting on the server's change feed.
 *
 * Nothing pulled counts because the server sent it: a record applies only if its sender's log
 * claims it at a position the chain authorises (inbound.ts), and a claim that never arrives is
 * reported as withheld (`withheld` event, `SyncReport.withheld`) until it does. A fork alarm
 * stops sync, is saved with the chain at once, and keeps the replica from writing until the app
 * acknowledges it.
 *
 * Each write carries this device's hybrid logical clock in its body (hlc.ts); the store keeps
 * the reader-order winner of every record (readerOrder.ts), and after each pulled page the
 * replica raises conflicts, writes collections' merges and re-publishes local winners the
 * server's copy lost to (reconcile.ts), so every device converges on the later write.
 */
import { CodecError, MultikeySyncError, UsageError, ValidationError } from '../errors.js';
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import { sealRandom, systemRandom } from '../crypto/random.js';
import { decodeValue, encodeCanonical, encodeValue } from '../core/cbor.js';
import type { Device } from '../core/device.js';
import { cardKey, idKey, type DevicePublic } from '../core/devicePublic.js';
import type { ChainState } from '../enrollment/chainState.js';
import type { EnrollmentTransport } from '../enrollment/transport.js';
import { ForkAlarm, type ForkAlarmReason } from '../enrollment/forkAlarm.js';
import { Collection, type CollectionHost, type CollectionOptions, type RecordRef } from './collection.js';
import { BODY_LIMITS, resolveCollectionLimits, VALUE_CEILING_LIMITS, type ValueLimits } from './collectionLimits.js';
import { VAULT_KEYS } from './deviceVault.js';
import { Emitter } from './emitter.js';
import { historyBundles } from './historyHandoff.js';
import { checkHistoryOption, type HistoryBound, type HistoryOption } from './historyOption.js';
import { HistoryWanted } from './historyWanted.js';
import type { ApproveOfferOptions } from '../enrollment/qrPairing.js';
import type { SasOptions } from '../enrollment/codePairing.js';
import { HybridClock } from './hlc.js';
import { Inbound, type ExtraReader, type Rejection } from './inbound.js';
import { KeyRing } from './keyRing.js';
import { startLiveLoop, type LiveLoopOptions, type LiveSync } from './liveLoop.js';
import { checkSyncTimeout, DEFAULT_SYNC_TIMEOUT_MS, withSyncDeadline } from './syncDeadline.js';
import type { LocalRecord, LocalStore } from './localStore.js';
import { LogHeads, type LogIssue } from './logHeads.js';
import { encodeOutboxWrite } from './outboxItem.js';
import { DEFAULT_EPOCH_POLICY, Outbound, OUTBOUND_KEYS, type EpochPolicy, type OutboundTransport } from './outbound.js';
import { reconcilePage, republishedCopy, settlePage, type ConflictEvent, type PageReconciliation, type SettleHost } from './reconcile.js';
import { NamingKeys, NAMING_KEY_RECORD_ID } from './namingKey.js';
import type { AttachmentRef } from './attachment.js';
import { deleteAttachment, readAttachment, writeAttachment, type AttachmentHost, type AttachOptions } from './attachments.js';
import { ACCOUNT_COLLECTION, bodyToWire, CHUNKS_COLLECTION, checkCollectionName, type RecordBody } from './recordBody.js';
import { checkRecordKey } from './recordKey.js';
import { nextRevision } from './version.js';
import { IndexBatch, isWithheld } from './versionIndex.js';
import { authorise, chainDevice } from './writers.js';
import { cardAtChainIndex, rotationIndices } from './cardAtChainIndex.js';
import { decodeEntry } from '../enrollment/chainEntry.js';

const DAY_MS = 86_400_000;
/** Items per pull request: the server's default maximum. */
const PAGE = 1000;
/** Most pull pages one sync reads before it stops with `PULL_TOO_LONG` (10 million items). */
const MAX_PAGES = 10_000;
const PURGE_BATCH = 1000;
const CURSOR_KEY = 'sync/cursor';
const HEADS_KEY = 'sync/logs';
const ALARM_KEY = 'sync/withheld';
/** The chain length the replica last judged removals on. */
const CHAIN_SEEN_KEY = 'sync/chain-seen';
/** Held envelopes no hand-off has covered yet (historyWanted.ts). */
const WANTED_KEY = 'sync/history-wanted';
/** Where this device's last hand-off to each device ended in its own log. */
const HANDED_KEY = 'sync/handed-to';
/** This device's hybrid logical clock state (hlc.ts): saved with every write and pull page. */
const HLC_KEY = 'sync/hlc';
/** Extra push-and-pull rounds one sync makes for merges and re-publishes its own pulls caused. */
const SETTLE_ROUNDS = 3;
const NONE = Uint8Array.of(0);
/**
 * Most envelopes held for a grant: the server's default item quota per account. A pull past it
 * stops with `HELD_LIMIT` rather than let a server fill the device.
 */
const MAX_HELD = 1_000_000;
/** Records reported withheld that are remembered across syncs until they arrive. */
const MAX_UNRESOLVED = 10_000;

/** The server calls the replica needs (HttpClient provides them). */
export interface SyncTransport extends OutboundTransport {
  pull(after: number, limit?: number): Promise<{ items: Uint8Array[]; cursor: number; more: boolean }>;
  wait(after: number, timeoutMs: number, signal?: AbortSignal, limit?: number): Promise<unknown>;
}

/** The verified device chain, as the replica uses it (an enrollment `DeviceChain`). */
export interface SyncChain {
  readonly state: ChainState;
  readonly entries: readonly Uint8Array[];
  readonly forkAlarm?: ForkAlarmReason;
  refresh(transport: EnrollmentTransport): Promise<unknown>;
  checkHead(head: Uint8Array, transport: EnrollmentTransport): Promise<unknown>;
  /** The index of the verified entry whose hash is `head` (a `DeviceChain` has it); without it, peers are taken to seal to current cards. */
  indexOf?(head: Uint8Array): number | undefined;
  /** The chain's saved form: kept in the local store after each change, and at once on an alarm. */
  toBytes?(): Uint8Array;
}

/** What the replica needs of an enrollment `Account` (an `Account<HttpClient>` fits). */
export interface SyncAccount {
  /** This device (it changes after a key rotation, so it is read on every use). */
  readonly device: Device;
  readonly accountId: Uint8Array;
  readonly chain: SyncChain;
  readonly transport: SyncTransport & EnrollmentTransport;
  /** Approves a QR offer (an enrollment `Account` has it); {@link Replica.approveOffer} needs it. */
  approveOffer?(uri: string, options: ApproveOfferOptions): Promise<DevicePublic>;
  /** Approves a typed code (an enrollment `Account` has it); {@link Replica.approveCode} needs it. */
  approveCode?(code: string, options: SasOptions): Promise<DevicePublic>;
}

/** What an approval through the replica hands the new device, besides approving it. */
export interface ApprovalHistoryOptions {
  /**
   * The history the new device gets at once, sealed for it alone: `'all'` (default), the records
   * whose sort time is within `{ sinceDays }`, or `'none'`. Either way it does not ask again.
   */
  history?: HistoryOption;
}

/** Options of {@link Replica.open}. */
export interface ReplicaOptions {
  account: SyncAccount;
  store: LocalStore;
  /** Clock in ms since the epoch (default Date.now). */
  clock?: () => number;
  /** Epoch timing (default: a new epoch every 7 days, 14 days' grace). */
  epochs?: Partial<EpochPolicy>;
  /** Total time limit of one `sync()` in ms (default 90 000; `Infinity` for none). */
  syncTimeoutMs?: number;
  /**
   * Devices that read alongside this one: after a recovery, the recovery pseudo-device, so the
   * first sync opens the history that was sealed to the words. Wipe them after that sync.
   */
  readers?: Device[];
}

/** Records and logs the server did not deliver. */
export interface WithheldReport {
  /** Claimed versions that never arrived (nor anything newer), still owed. */
  records: { recordId: Uint8Array; sender: Uint8Array; revision: number }[];
  /** Senders whose logs the server cut short or forked, or that wrote past their removal. */
  logs: LogIssue[];
}

export type { ConflictEvent, ConflictVersion } from './reconcile.js';

/** Events a replica raises. */
export interface ReplicaEvents extends Record<string, unknown> {
  /** A record changed here, by a local write or by sync. */
  change: {
    collection: string;
    id: Uint8Array;
    deleted: boolean;
    origin: 'local' | 'remote';
    /** The record's new value (null when deleted), so a listener need not read it back. */
    value: unknown;
  };
  /** A pulled version and the local one were written concurrently (see {@link ConflictEvent}). */
  conflict: ConflictEvent;
  /** A pulled item was refused and skipped (or a collection's `merge` threw: `MERGE_FAILED`). */
  rejected: Rejection;
  /** The server withholds records or cut a device's log short (code `RECORDS_WITHHELD`). */
  withheld: WithheldReport & { code: 'RECORDS_WITHHELD' };
  /** A sync round finished. */
  synced: SyncReport;
  /** A `live()` round failed; `fatal` when live sync stopped because of it (else it retries). */
  error: { error: unknown; fatal: boolean };
}

/** What one `sync()` did. */
export interface SyncReport {
  pushed: number;
  pulled: number;
  applied: number;
  rejected: number;
  expired: number;
  /** Records the server owes this device (claimed in a verified log, never delivered). */
  withheld: number;
  /** Envelopes held for a history grant (sealed before this device could read them). */
  held: number;
}

/** A device's replica of the account's records. */
export class Replica {
  readonly #account: SyncAccount;
  readonly #accountId: Uint8Array;
  readonly #transport: SyncTransport & EnrollmentTransport;
  readonly #store: LocalStore;
  readonly #clock: () => number;
  readonly #events = new Emitter<ReplicaEvents>();
  readonly #collections = new Map<string, Collection<unknown>>();
  readonly #ring: KeyRing;
  readonly #heads: LogHeads;
  readonly #readers: ExtraReader[];
  readonly #outbound: Outbound;
  readonly #policy: EpochPolicy;
  readonly #syncTimeoutMs: number;
  readonly #hlc: HybridClock;
  #cursor: number;
  #logIssues: LogIssue[];
  #unresolved: Set<string>;
  #running: Promise<SyncReport> | undefined;
  #keptChainLength = 0;
  #askHistory: Uint8Array | undefined;
  readonly #wanted: HistoryWanted;
  /** Where this device's last hand-off to each device ended in its log (a request made before it saw that is already answered). */
  readonly #handedTo: Map<string, number>;
  /** Rotation indices by device (cardAtChainIndex.ts), for the chain length they were read at. */
  #rotations = { length: -1, byDevice: new Map<string, number[]>() };
  /** The device object the saved key ring was last sealed with: a rotation replaces it (and adds a retired card to keep). */
  #ringSealedFor: Device | undefined;
  #kick: (() => void) | undefined;
  readonly #naming: NamingKeys;
  readonly #attachments: AttachmentHost;

  private constructor(
    options: ReplicaOptions,
    state: {
      cursor: number;
      ring: KeyRing;
      heads: LogHeads;
      issues: LogIssue[];
      unresolved: string[];
      wanted: HistoryWanted;
      handedTo: Map<string, number>;
      hlc: HybridClock;
    },
  ) {
    this.#syncTimeoutMs = checkSyncTimeout(options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS);
    this.#account = options.account;
    this.#accountId = options.account.accountId;
    this.#transport = options.account.transport;
    this.#store = options.store;
    this.#clock = options.clock ?? Date.now;
    this.#cursor = state.cursor;
    this.#hlc = state.hlc;
    this.#ring = state.ring;
    this.#heads = state.heads;
    this.#logIssues = state.issues;
    this.#unresolved = new Set(state.unresolved);
    this.#wanted = state.wanted;
    this.#handedTo = state.handedTo;
    this.#readers = (options.readers ?? []).map((device) => ({ device, ring: new KeyRing() }));
    const policy = { ...DEFAULT_EPOCH_POLICY, ...options.epochs };
    this.#policy = policy;
    this.#outbound = new Outbound({
      device: () => this.#device(),
      accountId: this.#accountId,
      chainState: () => this.#account.chain.state,
      store: this.#store,
      ring: this.#ring,
      heads: this.#heads,
      transport: this.#transport,
      policy,
      clock: this.#clock,
      random: (n) => systemRandom(n),
      listedAt: (device) => decodeEntry(this.#device().suite, this.#account.chain.entries[device.addedAt]!).entry.ts,
    });
    this.#naming = new NamingKeys({
      store: this.#store,
      suite: () => this.#device().suite,
      isFirstDevice: () => this.#account.chain.state.devices.get(cardKey(this.#device().public))?.addedAt === 0,
      create: async (value) => {
        await this.#write(ACCOUNT_COLLECTION, {}, VALUE_CEILING_LIMITS, { id: NAMING_KEY_RECORD_ID }, value);
      },
      random: (n) => systemRandom(n),
    });
    this.#attachments = {
      store: this.#store,
      suite: () => this.#device().suite,
      random: (n) => systemRandom(n),
      writeChunk: async (id, bytes, expiresAt) => {
        await this.#write(CHUNKS_COLLECTION, {}, VALUE_CEILING_LIMITS, { id }, bytes, { sortTime: this.#clock(), expiresAt });
      },
      deleteChunk: async (id) => {
        await this.#write(CHUNKS_COLLECTION, {}, VALUE_CEILING_LIMITS, { id }, undefined);
      },
    };
  }

  /**
   * Opens a replica on `store`: its pull cursor, key ring, log heads, clock state and withheld
   * alarm are kept there.
   * @throws {CodecError} `KEY_RING_MALFORMED`, `LOG_HEADS_CORRUPT`, `HISTORY_WANTED_CORRUPT`; StorageError codes.
   */
  static async open(options: ReplicaOptions): Promise<Replica> {
    const { store, account } = options;
    const cursor = readCounter(await store.getMeta(CURSOR_KEY));
    const sealedRing = await store.getMeta(OUTBOUND_KEYS.ring);
    const ring = sealedRing === null ? new KeyRing() : KeyRing.open(account.device, sealedRing);
    const heads = LogHeads.fromBytes(await store.getMeta(HEADS_KEY));
    const alarm = await store.getMeta(ALARM_KEY);
    const saved = alarm === null || alarm.length === 1 ? { i: [], u: [] } : (decodeValue(alarm) as { i: { d: Uint8Array; k: 'gap' | 'fork'; p: number }[]; u: string[] });
    const replica = new Replica(options, {
      cursor,
      ring,
      heads,
      issues: saved.i.map((x) => ({ device: x.d, kind: x.k, position: x.p })),
      unresolved: saved.u,
      wanted: HistoryWanted.fromBytes(await store.getMeta(WANTED_KEY)),
      handedTo: readHandedTo(await store.getMeta(HANDED_KEY)),
      hlc: HybridClock.fromBytes(await store.getMeta(HLC_KEY)),
    });
    if (sealedRing === null && account.device.epochs.current !== undefined) await store.setMeta(OUTBOUND_KEYS.ring, ring.seal(account.device));
    return replica;
  }

  /**
   * A typed collection. Call it once per name with the same options (they are not stored).
   * @throws {ValidationError} `COLLECTION_NAME_INVALID`.
   */
  collection<T>(name: string, options: CollectionOptions<T> = {}): Collection<T> {
    checkCollectionName(name);
    let c = this.#collections.get(name) as Collection<T> | undefined;
    if (c === undefined) {
      c = new Collection<T>(this.#host, name, options);
      this.#collections.set(name, c as Collection<unknown>);
    }
    return c;
  }

  /**
   * Stores a large value (up to 1 GiB) as an attachment: chunks of about 256 KiB, each a record
   * of the reserved `$chunk` collection sealed per device at push time like any record, so an
   * upload cut off resumes from the outbox at the next sync. Keep the returned reference (plain
   * data) in a record of your own; other devices read the bytes with {@link Replica.attachment}.
   * @throws {ValidationError} `ATTACHMENT_INPUT_INVALID`, `ATTACHMENT_TOO_LARGE`, `ATTACH_OPTIONS_INVALID`.
   * @throws `FORK_ALARM` while the server is distrusted.
   */
  async attach(input: Uint8Array | AsyncIterable<Uint8Array>, options: AttachOptions = {}): Promise<AttachmentRef> {
    const expiresAt = options.expiresAt;
    if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt < 0)) {
      throw new ValidationError('ATTACH_OPTIONS_INVALID', 'attach: expiresAt is ms since the epoch, a non-negative integer');
    }
    return writeAttachment(this.#attachments, input, expiresAt ?? null);
  }

  /**
   * The bytes of an attachment, once every chunk has reached this device and they hash to the
   * reference's hash.
   * @throws {ValidationError} `ATTACHMENT_REF_INVALID`.
   * @throws {AttachmentIncomplete} `ATTACHMENT_INCOMPLETE` (with `present` and `total` chunk counts): sync, then try again.
   * @throws {CryptoError} `ATTACHMENT_CORRUPT` when the chunks do not match the hash.
   */
  attachment(ref: AttachmentRef): Promise<Uint8Array> {
    return readAttachment(this.#attachments, ref);
  }

  /**
   * Deletes an attachment's chunks on every device (tombstones, like `delete`); returns how many
   * chunks this device held and deleted.
   * @throws {ValidationError} `ATTACHMENT_REF_INVALID`.
   */
  detach(ref: AttachmentRef): Promise<number> {
    return deleteAttachment(this.#attachments, ref);
  }

  /** Listens to replica events; returns a function that stops listening. */
  on<K extends keyof ReplicaEvents>(type: K, listener: (event: ReplicaEvents[K]) => void): () => void {
    return this.#events.on(type, listener);
  }

  /** Writes waiting in the outbox to be pushed. */
  pending(): Promise<number> {
    return this.#store.outboxSize();
  }

  /**
   * Refreshes the chain, pulls, pushes the outbox, and pulls again. Rounds never overlap: a call
   * during a round waits for it and starts another. Rejects with `SYNC_TIMEOUT` when it takes
   * longer than `timeoutMs` (default: the replica's `syncTimeoutMs`, 90 s); what was applied stays applied.
   * @throws `FORK_ALARM` (stop and ask the user), `PULL_STALLED`, `PULL_TOO_LONG`, `HELD_LIMIT`,
   *   `RemoteError` codes, `NETWORK_ERROR`, `SYNC_TIMEOUT`.
   * @throws {UsageError} `SYNC_OPTIONS_INVALID` for a bad `timeoutMs`.
   */
  async sync(options: { timeoutMs?: number } = {}): Promise<SyncReport> {
    const timeoutMs = options.timeoutMs === undefined ? this.#syncTimeoutMs : checkSyncTimeout(options.timeoutMs);
    return withSyncDeadline(timeoutMs, () => this.#syncNow());
  }

  async #syncNow(): Promise<SyncReport> {
    while (this.#running !== undefined) await this.#running.catch(() => undefined);
    const round = this.#round();
    this.#running = round;
    try {
      return await round;
    } finally {
      this.#running = undefined;
    }
  }

  /**
   * Syncs now and then whenever the server reports a change or a local write is made, until
   * stopped. Every error is raised as an `error` event (and given to `onError`); transient ones
   * are retried with backoff, and a fatal one (docs/errors.md, "Live sync") stops the loop:
   * its event has `fatal: true` and `ended` resolves with it.
   */
  live(options: LiveLoopOptions = {}): LiveSync {
    return startLiveLoop(
      {
        sync: () => this.sync(),
        hasPending: async () => (await this.#store.outboxSize()) > 0,
        wait: (timeoutMs, signal) => this.#transport.wait(this.#cursor, timeoutMs, signal),
        setWake: (wake) => {
          this.#kick = wake;
        },
      },
      options,
      (error, fatal) => this.#events.emit('error', { error, fatal }),
    );
  }

  /**
   * History handoff: grants `device` the content key of every record version this device holds,
   * in bundles sealed for that device alone. With `sinceDays`, only records whose sort time is
   * within that many days. Approving through {@link Replica.approveOffer} or
   * {@link Replica.approveCode} already hands the history over, and a device that finds
   * envelopes it cannot open asks for it itself; call this for a later hand-off.
   * @returns the number of grants sent.
   * @throws {UsageError} `HANDOFF_NOT_ON_CHAIN` when `device` is not active on the verified chain.
   * @throws {ValidationError} `HISTORY_OPTION_INVALID` for a `sinceDays` that is not a positive number.
   */
  async handoffTo(device: DevicePublic, options: { sinceDays?: number } = {}): Promise<number> {
    const bound = checkHistoryOption(options.sinceDays === undefined ? 'all' : { sinceDays: options.sinceDays }, 'options');
    return this.#exclusive(() => this.#handoff(device, bound));
  }

  /**
   * Approves the device of a scanned QR offer (as `Account.approveOffer`: `confirm`, then the
   * code on `showSas`) and hands it the history at once, so its first sync shows what this
   * device shows. The option is checked before the pairing starts.
   * @returns the added device's card.
   * @throws {ValidationError} `HISTORY_OPTION_INVALID`; {UsageError} `ARGUMENT_INVALID` when the
   *   account cannot approve; every code of `Account.approveOffer`; those of {@link Replica.handoffTo}
   *   (the device is added even when the hand-off then fails: it asks for the history at its first sync).
   */
  async approveOffer(uri: string, options: ApproveOfferOptions & ApprovalHistoryOptions): Promise<DevicePublic> {
    const { history, ...approve } = options ?? ({} as ApproveOfferOptions);
    const bound = checkHistoryOption(history);
    const account = this.#account;
    if (account.approveOffer === undefined) throw new UsageError('ARGUMENT_INVALID', 'this replica\'s account cannot approve devices');
    return this.#approved(await account.approveOffer(uri, approve), bound);
  }

  /**
   * Approves a typed pairing code (as `Account.approveCode`: the codes must match on
   * `confirmSas`) and hands the new device the history at once, like {@link Replica.approveOffer}.
   * @returns the added device's card.
   * @throws {ValidationError} `HISTORY_OPTION_INVALID`; {UsageError} `ARGUMENT_INVALID`; every
   *   code of `Account.approveCode`; those of {@link Replica.handoffTo}.
   */
  async approveCode(code: string, options: SasOptions & ApprovalHistoryOptions): Promise<DevicePublic> {
    const { history, ...approve } = options ?? ({} as SasOptions);
    const bound = checkHistoryOption(history);
    const account = this.#account;
    if (account.approveCode === undefined) throw new UsageError('ARGUMENT_INVALID', 'this replica\'s account cannot approve devices');
    return this.#approved(await account.approveCode(code, approve), bound);
  }

  /** The card device `id` had at chain entry `head`; undefined when the chain does not know either. */
  #cardAt(id: Uint8Array, head: Uint8Array): DevicePublic | undefined {
    const chain = this.#account.chain;
    const index = chain.indexOf?.(head);
    const device = chainDevice(chain.state, id);
    if (index === undefined || device === undefined) return undefined;
    if (device.rotations.length === 0) return device.card;
    if (this.#rotations.length !== chain.entries.length) this.#rotations = { length: chain.entries.length, byDevice: new Map() };
    let indices = this.#rotations.byDevice.get(idKey(id));
    if (indices === undefined) {
      indices = rotationIndices(this.#device().suite, chain.state, chain.entries, id);
      this.#rotations.byDevice.set(idKey(id), indices);
    }
    return cardAtChainIndex(device, indices, index);
  }

  async #approved(card: DevicePublic, bound: HistoryBound): Promise<DevicePublic> {
    await this.#exclusive(() => this.#handoff(card, bound));
    return card;
  }

  /** Runs `task` when no sync round or other hand-off is running (they push to the same log). */
  async #exclusive<R>(task: () => Promise<R>): Promise<R> {
    while (this.#running !== undefined) await this.#running.catch(() => undefined);
    const run = task();
    // Waiters only need to know when it ends; the caller gets its outcome (and its error) from `run`.
    const marker = run.then(
      () => undefined as unknown as SyncReport,
      () => undefined as unknown as SyncReport,
    );
    this.#running = marker;
    try {
      return await run;
    } finally {
      if (this.#running === marker) this.#running = undefined;
    }
  }

  async #handoff(device: DevicePublic, bound: HistoryBound): Promise<number> {
    const now = this.#clock();
    const onChain = this.#account.chain.state.devices.get(cardKey(device));
    if (onChain === undefined || onChain.effectiveAt > now || !equalBytes(onChain.card.encryptionKey, device.encryptionKey) || onChain.role !== 'device') {
      throw new UsageError('HANDOFF_NOT_ON_CHAIN', 'history is handed only to a real device active on the verified chain: refresh first');
    }
    await this.#outbound.push();
    const me = this.#device();
    const statement = this.#ring.statementOf(device.id)?.statement ?? onChain.keyStatement;
    const position = (await this.#outbound.ownHead()).position + 1;
    const to = this.#ring.sendKey(me, device, statement, position);
    const { writes, grants } = await historyBundles(this.#store, me, to, now, () => systemRandom(16), bound === null ? null : bound.sinceDays);
    await this.#outbound.sendDirect(writes);
    this.#handedTo.set(toHex(device.id), (await this.#outbound.ownHead()).position);
    // Only devices still on the chain are kept: the note stays as small as the device list.
    for (const hex of this.#handedTo.keys()) if (chainDevice(this.#account.chain.state, fromHex(hex)) === undefined) this.#handedTo.delete(hex);
    await this.#store.setMeta(HANDED_KEY, encodeCanonical(Object.fromEntries(this.#handedTo)));
    return grants;
  }

  /**
   * "Delete my server copy": has the server delete every record of `collection` (up to the
   * revision this device holds), logged so other devices do not take it for withholding, and
   * leaves each device's local copy alone (no tombstones). Give the collection `sync: false`
   * from then on, or the next write to it goes back to the server.
   * @returns how many envelopes the server deleted.
   */
  async deleteServerCopy(collection: string): Promise<number> {
    checkCollectionName(collection);
    let purged = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.#store.listRecords(collection, { includeDeleted: true, limit: PURGE_BATCH, ...(after === undefined ? {} : { after }) });
      if (page.records.length > 0) purged += await this.#outbound.purge(page.records.map((r) => ({ recordId: r.recordId, upToRevision: r.revision })));
      if (page.next === null) return purged;
      after = page.next;
    }
  }

  /**
   * This device's verified view of `deviceId`'s log head (its own from the last push): what a
   * `remove` or `rotate` of it names as the point its authority or key ends.
   */
  async logHead(deviceId: Uint8Array): Promise<{ position: number; hash: Uint8Array | null }> {
    if (equalBytes(deviceId, this.#device().id)) {
      const own = await this.#outbound.ownHead();
      return own.position === 0 ? { position: 0, hash: null } : own;
    }
    const head = this.#heads.head(deviceId);
    return head === undefined ? { position: 0, hash: null } : { position: head.position, hash: head.hash };
  }

  /** Records and logs the server is withholding from this device, as of the last sync. */
  async withheld(): Promise<WithheldReport> {
    return { records: await this.#owed(), logs: this.#logIssues.slice() };
  }

  /** The app has seen the log issues (gaps, forks): stop reporting them. Withheld records stay until they arrive. */
  async acknowledgeWithheld(): Promise<void> {
    this.#logIssues = [];
    await this.#saveAlarm();
  }

  /** Closes the local store. */
  async close(): Promise<void> {
    await this.#store.close();
  }

  // ------------------------------------------------------------------------------------------

  readonly #host: CollectionHost = {
    write: async (collection, options, limits, ref, value) => this.#write(collection, options, limits, (await this.#target(collection, ref, true)) ?? undefined, value),
    read: async (collection, ref) => {
      const target = await this.#target(collection, ref, false);
      return target == null ? null : this.#store.getRecord(collection, target.id);
    },
    page: (collection, filter) => this.#store.listRecords(collection, filter),
    count: (collection) => this.#store.countRecords(collection),
  };

  #device(): Device {
    return this.#account.device;
  }

  /**
   * Where `ref` names a record: its id, or the id its string key derives to (none when no naming
   * key exists yet and `create` is false: no record can be under that key).
   */
  async #target(collection: string, ref: RecordRef | undefined, create: boolean): Promise<{ id: Uint8Array; key?: string } | undefined | null> {
    if (typeof ref !== 'string') return ref === undefined ? undefined : { id: ref };
    const key = checkRecordKey(ref);
    // Before the fork-alarm check of a write: a pending key is reported as such.
    const id = await this.#naming.idFor(collection, key, create);
    return id === null ? null : { id, key };
  }

  async #write<T>(
    collection: string,
    options: CollectionOptions<T>,
    limits: ValueLimits,
    target: { id: Uint8Array; key?: string } | undefined,
    value: T | undefined,
    times?: { sortTime: number; expiresAt: number | null },
  ): Promise<Uint8Array> {
    const alarm = this.#account.chain.forkAlarm;
    if (alarm !== undefined) throw new ForkAlarm(alarm, 'this device raised a fork alarm: nothing is written until the app acknowledges it');
    const id = target?.id;
    const deleted = value === undefined;
    // Given times: a record moved to another id (re-homing) keeps its value, sort time and
    // expiry as they were; an attachment chunk has its own.
    const checked = deleted || times !== undefined ? value : options.validate === undefined ? value : options.validate(value);
    // The collection's own limits, checked here (named by the field, `value.…`); every reader
    // decodes the body under the protocol ceiling, which any limits a collection may set fit.
    if (!deleted) encodeValue(checked, limits);
    const now = this.#clock();
    const recordId = id ?? sealRandom(16);
    const existing = id === undefined ? null : await this.#store.getRecord(collection, recordId);
    const revision = await this.#revisionOver(recordId, existing);
    // A record keeps its string key through writes by id; a tombstone carries none.
    const key = deleted ? undefined : (target?.key ?? existing?.key ?? undefined);
    const sortTime = times?.sortTime ?? (checked === undefined ? (existing?.sortTime ?? now) : (options.sortTime?.(checked) ?? now));
    const retention = options.retentionDays;
    const expiresAt = times !== undefined ? times.expiresAt : retention === undefined ? null : sortTime + retention * DAY_MS;
    const record: LocalRecord = {
      collection,
      recordId,
      revision,
      sender: this.#device().id,
      deleted,
      value: deleted ? null : checked,
      ...(key === undefined ? {} : { key }),
      sortTime,
      expiresAt,
      // A write beats the version it replaced, whatever the wall clock says (hlc.ts).
      clock: this.#hlc.stamp(now, existing?.clock ?? null),
      base: existing?.clock ?? null,
      contentKey: null,
      envelopeHash: null,
    };
    const outbox = options.sync === false ? null : this.#outboxItem(record, retention);
    await this.#store.applyLocal(record, outbox, { meta: [[HLC_KEY, this.#hlc.toBytes()]] });
    if (!collection.startsWith('$')) this.#events.emit('change', { collection, id: recordId, deleted, origin: 'local', value: record.value });
    this.#kick?.();
    return recordId;
  }

  /**
   * The revision of a write over `existing`: one more than the highest this device knows of the
   * record, the local winner's or a claimed or received one's (the reader order can keep a
   * version the server's order put below another), so the server keeps the write.
   */
  async #revisionOver(recordId: Uint8Array, existing: LocalRecord | null): Promise<number> {
    if (existing === null) return nextRevision(null);
    const entry = (await this.#store.getVersions([recordId])).get(toHex(recordId));
    const highest = Math.max(existing.revision, entry?.claim?.revision ?? 0, entry?.have?.revision ?? 0);
    return nextRevision({ revision: highest, sender: existing.sender });
  }

  /** The outbox item of a local version: its body (with clock and base) and how to seal it. */
  #outboxItem(record: LocalRecord, retentionDays: number | undefined): { recordId: Uint8Array; bytes: Uint8Array } {
    const { collection, recordId, revision, deleted, sortTime, expiresAt } = record;
    const body: RecordBody = { collection, sortTime, ...(deleted ? {} : { value: record.value }), clock: record.clock };
    if (expiresAt !== null) body.expiresAt = expiresAt;
    if (record.base !== null && record.base !== undefined) body.base = record.base;
    if (typeof record.key === 'string' && !deleted) body.key = record.key;
    const wire = bodyToWire(body);
    // The limits every reader decodes a body under: refused now, named by its field (`v…`),
    // rather than queued under the outbox's looser bounds and refused at every push after.
    encodeValue(wire, BODY_LIMITS);
    return {
      recordId,
      bytes: encodeOutboxWrite({
        collection,
        recordId,
        revision,
        kind: deleted ? 'tombstone' : 'record',
        body: wire,
        ...(retentionDays === undefined ? {} : { retentionDays }),
      }),
    };
  }

  /** After a page is stored: conflicts, merges and re-publishes (reconcile.ts). Returns the writes queued. */
  async #settle(plan: PageReconciliation): Promise<number> {
    const writes = await settlePage(this.#settleHost, plan);
    if (writes > 0) this.#kick?.();
    return writes;
  }

  readonly #settleHost: SettleHost = {
    read: (collection, id) => this.#store.getRecord(collection, id),
    options: (collection) => this.#collections.get(collection)?.options,
    write: (collection, options, id, value) => this.#write(collection, options, resolveCollectionLimits(options.limits), { id }, value),
    republish: async (winner, above) => {
      const options = this.#collections.get(winner.collection)?.options ?? {};
      if (options.sync === false) return false;
      const copy = republishedCopy(winner, nextRevision(above), this.#device().id);
      const retention = options.retentionDays ?? (copy.expiresAt === null ? undefined : Math.max(0, Math.ceil((copy.expiresAt - this.#clock()) / DAY_MS)));
      await this.#store.applyLocal(copy, this.#outboxItem(copy, retention));
      return true;
    },
    conflict: (event) => this.#events.emit('conflict', event),
    rejected: (rejection) => this.#events.emit('rejected', rejection),
  };

  async #round(): Promise<SyncReport> {
    const report: SyncReport = { pushed: 0, pulled: 0, applied: 0, rejected: 0, expired: 0, withheld: 0, held: 0 };
    const chain = this.#account.chain;
    try {
      await chain.refresh(this.#transport);
      await this.#keepChain();
      if (this.#ringSealedFor !== this.#device() && this.#device().epochs.current !== undefined) {
        await this.#store.setMeta(OUTBOUND_KEYS.ring, this.#ring.seal(this.#device()));
        this.#ringSealedFor = this.#device();
      }
      // The key held before the pull, so a replaced one is noticed (an invalid one is reported after it).
      await this.#naming.current().catch((error: unknown) => {
        if (!(error instanceof CodecError)) throw error;
      });
      const { requests, wrote } = await this.#pull(report);
      await this.#settleNamingKey();
      await this.#noteRemovals();
      await this.#askHistoryForHeld();
      this.#askHistoryAfterAbsence();
      const request = this.#historyRequest();
      report.pushed = await this.#outbound.push(request);
      if (request.historyRequest !== undefined) this.#wanted.asked();
      if (this.#wanted.takeChanged()) await this.#store.setMeta(WANTED_KEY, this.#wanted.toBytes());
      let settling = wrote;
      if (report.pushed > 0 || this.#ring.unpublished().length > 0) settling = (await this.#pull(report)).wrote;
      // A merge or re-publish the pulls caused goes out in this round, so one sync leaves the
      // server's copy settled (bounded: each round's writes come only from what it pulled).
      for (let round = 0; settling > 0 && round < SETTLE_ROUNDS; round++) {
        report.pushed += await this.#outbound.push();
        settling = (await this.#pull(report)).wrote;
      }
      for (const requester of requests) await this.#answerHistoryRequest(requester);
    } catch (error) {
      // An alarm raised anywhere in the round is saved with the chain before it is reported.
      if (error instanceof ForkAlarm) await this.#keepChain(true);
      throw error;
    }
    if (this.#outbound.forgetEnded()) await this.#store.setMeta(OUTBOUND_KEYS.ring, this.#ring.seal(this.#device()));
    report.expired = await this.#store.expire(this.#clock());
    await this.#checkWithheld(report);
    report.held = await this.#store.heldCount();
    this.#events.emit('synced', report);
    return report;
  }

  /**
   * Pulls until caught up; returns the devices that asked this one for their history, and how
   * many merges and re-publishes it wrote.
   */
  async #pull(report: SyncReport): Promise<{ requests: { from: Uint8Array; seenOfMine: number }[]; wrote: number }> {
    let wrote = 0;
    const index = new IndexBatch();
    const requests: { from: Uint8Array; seenOfMine: number }[] = [];
    const inbound = new Inbound(
      {
        device: () => this.#device(),
        accountId: this.#accountId,
        chainState: () => this.#account.chain.state,
        checkHead: async (head) => {
          await this.#account.chain.checkHead(head, this.#transport);
          await this.#keepChain();
        },
        store: this.#store,
        ring: this.#ring,
        readers: this.#readers,
        heads: this.#heads,
        wanted: this.#wanted,
        cardAt: (id, head) => this.#cardAt(id, head),
        clock: this.#clock,
      },
      index,
      (rejection) => this.#events.emit('rejected', rejection),
    );
    for (let pages = 0; ; pages++) {
      if (pages >= MAX_PAGES) throw new MultikeySyncError('PULL_TOO_LONG', `a pull read ${MAX_PAGES} pages without catching up`);
      const page = await this.#transport.pull(this.#cursor, PAGE);
      if (page.more && page.cursor <= this.#cursor) {
        throw new MultikeySyncError('PULL_STALLED', 'the server said more items follow but its cursor did not advance');
      }
      const result = await inbound.page(page.items);
      report.pulled += page.items.length;
      report.rejected += result.rejected;
      this.#logIssues.push(...result.issues);
      requests.push(...result.historyRequests);
      const now = this.#clock();
      for (const r of result.records) this.#hlc.observe(r.clock, now);
      const plan = await reconcilePage(this.#store, result.records);
      const meta: [string, Uint8Array][] = [[HEADS_KEY, this.#heads.toBytes()], [HLC_KEY, this.#hlc.toBytes()]];
      if (this.#wanted.takeChanged()) meta.push([WANTED_KEY, this.#wanted.toBytes()]);
      if (result.ringChanged) meta.push([OUTBOUND_KEYS.ring, this.#ring.seal(this.#device())]);
      const versions = index.changes();
      // Only a record still owed after its page can be owed when the round ends (#owed checks again);
      // one whose envelope came on a later page than its claim is owed no more (else a long pull
      // would hold the id of every record whose claim and envelope fall on two pages).
      for (const entry of versions) {
        const hex = toHex(entry.recordId);
        if (isWithheld(entry, now)) this.#unresolved.add(hex);
        else this.#unresolved.delete(hex);
      }
      const applied = await this.#store.applyRemote(result.records, CURSOR_KEY, writeCounter(page.cursor), { versions, held: result.held, meta });
      index.committed();
      this.#cursor = page.cursor;
      if (result.held.length > 0 && (await this.#store.heldCount()) > MAX_HELD) {
        throw new MultikeySyncError('HELD_LIMIT', `more than ${MAX_HELD} envelopes are held waiting for a history grant`);
      }
      result.records.forEach((r, i) => {
        if (!applied[i]) return;
        report.applied++;
        if (!r.collection.startsWith('$')) this.#events.emit('change', { collection: r.collection, id: r.recordId, deleted: r.deleted, origin: 'remote', value: r.value });
      });
      wrote += await this.#settle(plan);
      if (!page.more) return { requests, wrote };
    }
  }

  /**
   * After a pull: takes up the naming key that arrived (or replaced this device's, when two were
   * made at once), and moves this device's records homed under a replaced key to the id the
   * current key gives: a write under the new id, a tombstone under the old one. A record already
   * under the new id stays, and the moved one is only deleted. Collections are scanned once they
   * are opened here (`collection()`); which ones are done is kept across restarts.
   */
  async #settleNamingKey(): Promise<void> {
    try {
      await this.#naming.refresh();
    } catch (error) {
      // A naming-key record that is not one (NAMING_KEY_INVALID) stops string keys, not sync.
      if (!(error instanceof CodecError)) throw error;
      this.#events.emit('rejected', { code: error.code, message: error.message, recordId: NAMING_KEY_RECORD_ID.slice() });
      return;
    }
    await this.#naming.notePulled();
    if (!this.#naming.hasLost) return;
    for (const [name, c] of this.#collections) {
      if (!this.#naming.needsScan(name)) continue;
      let after: string | undefined;
      for (;;) {
        const page = await this.#store.listRecords(name, { limit: PURGE_BATCH, ...(after === undefined ? {} : { after }) });
        for (const r of page.records) {
          if (r.deleted || typeof r.key !== 'string' || !this.#naming.homedUnderLost(name, r.key, r.recordId)) continue;
          const id = (await this.#naming.idFor(name, r.key, false))!;
          const there = await this.#store.getRecord(name, id);
          if (there === null || there.deleted) await this.#write(name, c.options, VALUE_CEILING_LIMITS, { id, key: r.key }, r.value, r);
          await this.#write(name, c.options, VALUE_CEILING_LIMITS, { id: r.recordId }, undefined);
        }
        if (page.next === null) break;
        after = page.next;
      }
      await this.#naming.markScanned(name, true);
    }
  }

  /**
   * While this device holds envelopes no hand-off has covered (historyWanted.ts), its next push
   * asks for the history: a device that has never pushed asks the device that added it, any
   * other the peer whose log moved last. A device whose approver handed it the history at
   * approval (`approveOffer`, `approveCode`) opened that hand-off in its first pull and asks
   * nothing.
   */
  async #askHistoryForHeld(): Promise<void> {
    if (!this.#wanted.any || this.#askHistory !== undefined) return;
    if ((await this.#outbound.ownHead()).position === 0) {
      const me = this.#account.chain.state.devices.get(cardKey(this.#device().public));
      if (me === undefined || me.addedAt === 0) return; // the first device has no one to ask
      const add = decodeEntry(this.#device().suite, this.#account.chain.entries[me.addedAt]!).entry;
      const adder = add.by === undefined ? undefined : this.#account.chain.state.devices.get(cardKey({ id: add.by } as DevicePublic));
      // Added by the recovery words: the app opens the history with them (`readers`), the words write nothing.
      if (adder !== undefined && adder.role === 'device') this.#askHistory = add.by;
      return;
    }
    this.#askHistory = this.#mostRecentPeer();
  }

  /**
   * A device whose epoch is older than an epoch and its grace was away long enough for the others
   * to stop sealing for it: its next push (which rolls its epoch) asks for what it missed.
   */
  #askHistoryAfterAbsence(): void {
    const current = this.#device().epochs.current;
    if (current === undefined || this.#askHistory !== undefined) return;
    if (current.startedAt + this.#policy.epochMs + this.#policy.graceMs < this.#clock()) this.#askHistory = this.#mostRecentPeer();
  }

  /** A history request for the next push: once on joining, and after envelopes this device could not open. */
  #historyRequest(): { historyRequest?: Uint8Array } {
    const ask = this.#askHistory;
    this.#askHistory = undefined;
    return ask === undefined ? {} : { historyRequest: ask };
  }

  /** The real device, other than this one, whose log most recently moved. */
  #mostRecentPeer(): Uint8Array | undefined {
    const me = this.#device().id;
    const state = this.#account.chain.state;
    let best: { id: Uint8Array; time: number } | undefined;
    for (const [hex, head] of this.#heads.all()) {
      const id = fromHex(hex);
      if (equalBytes(id, me)) continue;
      const d = state.devices.get(cardKey({ id } as DevicePublic));
      if (d === undefined || d.role !== 'device') continue;
      if (best === undefined || head.time > best.time) best = { id, time: head.time };
    }
    return best?.id;
  }

  /**
   * Hands the history to a device that asked for it, unless it asked before it had seen this
   * device's last hand-off to it: that hand-off (at approval, say) already answers the request,
   * and the device asks again if it still lacks something once it has read it.
   */
  async #answerHistoryRequest(request: { from: Uint8Array; seenOfMine: number }): Promise<void> {
    const requester = request.from;
    const d = this.#account.chain.state.devices.get(cardKey({ id: requester } as DevicePublic));
    if (d === undefined) return;
    if (request.seenOfMine < (this.#handedTo.get(toHex(requester)) ?? 0)) return;
    try {
      await this.#handoff(d.card, {});
    } catch (error) {
      if (!(error instanceof MultikeySyncError)) throw error;
      this.#events.emit('rejected', { code: error.code, message: `could not hand history to a device that asked for it: ${error.message}`, sender: requester });
    }
  }

  /**
   * After a removal (by any device, this one included), the next push begins a new epoch; a
   * removed device's writes past its cut are reported.
   */
  async #noteRemovals(): Promise<void> {
    const state = this.#account.chain.state;
    const seen = readCounter(await this.#store.getMeta(CHAIN_SEEN_KEY));
    if (state.length > seen) {
      for (const removed of state.removedDevices.values()) if (removed.removedAt >= seen && seen > 0) this.#ring.rollRequested = true;
      await this.#store.setMeta(CHAIN_SEEN_KEY, writeCounter(state.length));
    }
    for (const [hex, head] of this.#heads.all()) {
      const id = fromHex(hex);
      const auth = authorise(state, id, head.position, this.#clock());
      if (!auth.ok && auth.reason === 'after-removal' && !this.#logIssues.some((i) => i.kind === 'fork' && equalBytes(i.device, id) && i.position === head.position)) {
        // This device accepted checkpoints the removal now voids: the server hid the removal.
        this.#logIssues.push({ device: id, kind: 'fork', position: head.position });
      }
    }
  }

  /** The unresolved records still owed, re-checked against the index; keeps only those. */
  async #owed(): Promise<WithheldReport['records']> {
    const ids = [...this.#unresolved].map((hex) => fromHex(hex));
    const still: string[] = [];
    const records: WithheldReport['records'] = [];
    const now = this.#clock();
    const state = this.#account.chain.state;
    for (let i = 0; i < ids.length; i += 1000) {
      const found = await this.#store.getVersions(ids.slice(i, i + 1000));
      for (const [hex, entry] of found) {
        // Not owed: received (or superseded), purged, collectable, or claimed by a writer that lost its authority there.
        if (!isWithheld(entry, now) || !authorise(state, entry.claim!.sender, entry.claim!.position, now).ok) continue;
        still.push(hex);
        records.push({ recordId: entry.recordId, sender: entry.claim!.sender, revision: entry.claim!.revision });
      }
    }
    this.#unresolved = new Set(still.slice(0, MAX_UNRESOLVED));
    return records;
  }

  async #checkWithheld(report: SyncReport): Promise<void> {
    const records = await this.#owed();
    report.withheld = records.length;
    await this.#saveAlarm();
    if (records.length > 0 || this.#logIssues.length > 0) {
      this.#events.emit('withheld', { code: 'RECORDS_WITHHELD', records, logs: this.#logIssues.slice() });
    }
  }

  async #saveAlarm(): Promise<void> {
    const value =
      this.#unresolved.size === 0 && this.#logIssues.length === 0
        ? NONE
        : encodeCanonical({ i: this.#logIssues.map((x) => ({ d: x.device, k: x.kind, p: x.position })), u: [...this.#unresolved] });
    await this.#store.setMeta(ALARM_KEY, value);
  }

  /** Saves the verified chain when it grew, or at once (with its alarm) when `force`. */
  async #keepChain(force = false): Promise<void> {
    const chain = this.#account.chain;
    if (chain.toBytes === undefined || (!force && chain.entries.length === this.#keptChainLength)) return;
    await this.#store.setMeta(VAULT_KEYS.chain, chain.toBytes());
    this.#keptChainLength = chain.entries.length;
  }
}

/** The saved hand-off positions by device (hex); an entry that does not read as one is dropped (it only saves a repeated hand-off). */
function readHandedTo(bytes: Uint8Array | null): Map<string, number> {
  const out = new Map<string, number>();
  if (bytes === null) return out;
  try {
    const o = decodeValue(bytes, { maxBytes: bytes.length, maxItems: bytes.length }) as Record<string, unknown>;
    for (const [hex, position] of Object.entries(o)) if (/^[0-9a-f]{32}$/.test(hex) && Number.isSafeInteger(position) && (position as number) > 0) out.set(hex, position as number);
  } catch {
    // Unreadable: the next request from each device is answered in full, which costs bytes only.
  }
  return out;
}

/** A stored counter (the cursor): a safe integer kept as a float64, 0 when absent. */
function readCounter(bytes: Uint8Array | null): number {
  if (bytes === null) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0);
}

function writeCounter(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, n);
  return out;
}
