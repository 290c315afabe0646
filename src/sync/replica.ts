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
 */
import { MultikeySyncError, UsageError } from '../errors.js';
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import { sealRandom, systemRandom } from '../crypto/random.js';
import { decodeValue, encodeCanonical, encodeValue } from '../core/cbor.js';
import type { Device } from '../core/device.js';
import { cardKey, type DevicePublic } from '../core/devicePublic.js';
import type { ChainState } from '../enrollment/chainState.js';
import type { EnrollmentTransport } from '../enrollment/transport.js';
import { ForkAlarm, type ForkAlarmReason } from '../enrollment/forkAlarm.js';
import { Collection, type CollectionHost, type CollectionOptions } from './collection.js';
import { VAULT_KEYS } from './deviceVault.js';
import { Emitter } from './emitter.js';
import { historyBundles } from './historyHandoff.js';
import { Inbound, type ExtraReader, type Rejection } from './inbound.js';
import { KeyRing } from './keyRing.js';
import { startLiveLoop, type LiveLoopOptions, type LiveSync } from './liveLoop.js';
import { checkSyncTimeout, DEFAULT_SYNC_TIMEOUT_MS, withSyncDeadline } from './syncDeadline.js';
import type { LocalRecord, LocalStore } from './localStore.js';
import { LogHeads, type LogIssue } from './logHeads.js';
import { encodeOutboxWrite } from './outboxItem.js';
import { DEFAULT_EPOCH_POLICY, Outbound, OUTBOUND_KEYS, type EpochPolicy, type OutboundTransport } from './outbound.js';
import { bodyToWire, checkCollectionName, type RecordBody } from './recordBody.js';
import { nextRevision } from './version.js';
import { IndexBatch, isWithheld } from './versionIndex.js';
import { authorise } from './writers.js';
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
  /** A pulled item was refused and skipped. */
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
  #cursor: number;
  #logIssues: LogIssue[];
  #unresolved: Set<string>;
  #running: Promise<SyncReport> | undefined;
  #keptChainLength = 0;
  #askHistory: Uint8Array | undefined;
  #kick: (() => void) | undefined;

  private constructor(options: ReplicaOptions, state: { cursor: number; ring: KeyRing; heads: LogHeads; issues: LogIssue[]; unresolved: string[] }) {
    this.#syncTimeoutMs = checkSyncTimeout(options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS);
    this.#account = options.account;
    this.#accountId = options.account.accountId;
    this.#transport = options.account.transport;
    this.#store = options.store;
    this.#clock = options.clock ?? Date.now;
    this.#cursor = state.cursor;
    this.#ring = state.ring;
    this.#heads = state.heads;
    this.#logIssues = state.issues;
    this.#unresolved = new Set(state.unresolved);
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
  }

  /**
   * Opens a replica on `store`: its pull cursor, key ring, log heads and withheld alarm are
   * kept there.
   * @throws {CodecError} `KEY_RING_MALFORMED`, `LOG_HEADS_CORRUPT`; StorageError codes.
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
   * within that many days. A device asks for this itself when it joins or returns from a long
   * absence; call it directly to hand history over at once (e.g. right after approving a device).
   * @returns the number of grants sent.
   * @throws {UsageError} `HANDOFF_NOT_ON_CHAIN` when `device` is not active on the verified chain.
   */
  async handoffTo(device: DevicePublic, options: { sinceDays?: number } = {}): Promise<number> {
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
    const { writes, grants } = await historyBundles(this.#store, me, to, now, () => systemRandom(16), options.sinceDays);
    await this.#outbound.sendDirect(writes);
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
    write: (collection, options, id, value) => this.#write(collection, options, id, value),
    read: (collection, id) => this.#store.getRecord(collection, id),
    page: (collection, filter) => this.#store.listRecords(collection, filter),
    count: (collection) => this.#store.countRecords(collection),
  };

  #device(): Device {
    return this.#account.device;
  }

  async #write<T>(collection: string, options: CollectionOptions<T>, id: Uint8Array | undefined, value: T | undefined): Promise<Uint8Array> {
    const alarm = this.#account.chain.forkAlarm;
    if (alarm !== undefined) throw new ForkAlarm(alarm, 'this device raised a fork alarm: nothing is written until the app acknowledges it');
    const deleted = value === undefined;
    const checked = deleted ? undefined : options.validate === undefined ? value : options.validate(value);
    const now = this.#clock();
    const recordId = id ?? sealRandom(16);
    const existing = id === undefined ? null : await this.#store.getRecord(collection, recordId);
    const revision = nextRevision(existing);
    const sortTime = checked === undefined ? (existing?.sortTime ?? now) : (options.sortTime?.(checked) ?? now);
    const retention = options.retentionDays;
    const expiresAt = retention === undefined ? null : sortTime + retention * DAY_MS;
    const record: LocalRecord = {
      collection,
      recordId,
      revision,
      sender: this.#device().id,
      deleted,
      value: deleted ? null : checked,
      sortTime,
      expiresAt,
      contentKey: null,
      envelopeHash: null,
    };
    let outbox = null;
    if (options.sync !== false) {
      const body: RecordBody = { collection, sortTime, ...(deleted ? {} : { value: checked }) };
      if (expiresAt !== null) body.expiresAt = expiresAt;
      const wire = bodyToWire(body);
      // The limits the push will seal it under: refused now, named by its field (`v…`), rather
      // than queued under the outbox's looser bounds and refused at every push after.
      encodeValue(wire);
      outbox = {
        recordId,
        bytes: encodeOutboxWrite({
          collection,
          recordId,
          revision,
          kind: deleted ? 'tombstone' : 'record',
          body: wire,
          ...(retention === undefined ? {} : { retentionDays: retention }),
        }),
      };
    }
    await this.#store.applyLocal(record, outbox);
    this.#events.emit('change', { collection, id: recordId, deleted, origin: 'local', value: record.value });
    this.#kick?.();
    return recordId;
  }

  async #round(): Promise<SyncReport> {
    const report: SyncReport = { pushed: 0, pulled: 0, applied: 0, rejected: 0, expired: 0, withheld: 0, held: 0 };
    const chain = this.#account.chain;
    try {
      await chain.refresh(this.#transport);
      await this.#keepChain();
      const requests = await this.#pull(report);
      await this.#noteRemovals();
      await this.#askHistoryOnJoining();
      this.#askHistoryAfterAbsence();
      report.pushed = await this.#outbound.push(this.#historyRequest());
      if (report.pushed > 0 || this.#ring.unpublished().length > 0) await this.#pull(report);
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

  /** Pulls until caught up; returns the devices that asked this one for their history. */
  async #pull(report: SyncReport): Promise<Uint8Array[]> {
    const index = new IndexBatch();
    const requests: Uint8Array[] = [];
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
      if (result.unreadable > 0) this.#askHistory ??= this.#mostRecentPeer();
      const meta: [string, Uint8Array][] = [[HEADS_KEY, this.#heads.toBytes()]];
      if (result.ringChanged) meta.push([OUTBOUND_KEYS.ring, this.#ring.seal(this.#device())]);
      const versions = index.changes();
      // Only a record still owed after its page can be owed when the round ends (#owed checks again).
      const now = this.#clock();
      for (const entry of versions) if (isWithheld(entry, now)) this.#unresolved.add(toHex(entry.recordId));
      const applied = await this.#store.applyRemote(result.records, CURSOR_KEY, writeCounter(page.cursor), { versions, held: result.held, meta });
      index.committed();
      this.#cursor = page.cursor;
      if (result.held.length > 0 && (await this.#store.heldCount()) > MAX_HELD) {
        throw new MultikeySyncError('HELD_LIMIT', `more than ${MAX_HELD} envelopes are held waiting for a history grant`);
      }
      result.records.forEach((r, i) => {
        if (!applied[i]) return;
        report.applied++;
        this.#events.emit('change', { collection: r.collection, id: r.recordId, deleted: r.deleted, origin: 'remote', value: r.value });
      });
      if (!page.more) return requests;
    }
  }

  /** A device's first push asks the device that added it for the history sealed before it joined. */
  async #askHistoryOnJoining(): Promise<void> {
    if ((await this.#outbound.ownHead()).position !== 0 || this.#askHistory !== undefined) return;
    const me = this.#account.chain.state.devices.get(cardKey(this.#device().public));
    if (me === undefined || me.addedAt === 0) return; // the first device has no one to ask
    const add = decodeEntry(this.#device().suite, this.#account.chain.entries[me.addedAt]!).entry;
    const adder = add.by === undefined ? undefined : this.#account.chain.state.devices.get(cardKey({ id: add.by } as DevicePublic));
    // Added by the recovery words: the app opens the history with them (`readers`), the words write nothing.
    if (adder !== undefined && adder.role === 'device') this.#askHistory = add.by;
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

  async #answerHistoryRequest(requester: Uint8Array): Promise<void> {
    const d = this.#account.chain.state.devices.get(cardKey({ id: requester } as DevicePublic));
    if (d === undefined) return;
    try {
      await this.handoffTo(d.card);
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
