/**
 * The replica: a device's local-first copy of the account's records, and the engine that syncs
 * it. Writes land in the local store and a durable outbox in one transaction; `sync()` pushes
 * the outbox and pulls what is new; `live()` keeps doing so, waiting on the server's change feed.
 *
 * Every write is sealed for the devices the verified chain lists as active at that moment, so a
 * revoked device is dropped at once. Pulled envelopes are opened with the sender's key as of
 * the chain head the envelope names; an unknown head makes the chain refresh, and a head the
 * server cannot justify raises a fork alarm (`FORK_ALARM`) that stops sync. An envelope that
 * fails to open is reported as a `rejected` event and skipped ("log and ignore"): it can only
 * come from a faulty or hostile party, and one bad envelope must not stop the account.
 */
import { MultikeySyncError, UsageError } from '../errors.js';
import { sealRandom } from '../crypto/random.js';
import type { Device } from '../core/device.js';
import { cardKey, DEVICE_ID_BYTES, idKey, type DevicePublic } from '../core/devicePublic.js';
import { parseEnvelope, STANZA_BYTES } from '../core/envelopeFormat.js';
import { openParsed, type OpenedEnvelope } from '../core/open.js';
import { seal } from '../core/seal.js';
import { equalBytes } from '../crypto/bytes.js';
import type { EnrollmentTransport } from '../enrollment/transport.js';
import { Collection, type CollectionHost, type CollectionOptions } from './collection.js';
import { Emitter } from './emitter.js';
import { AccountView, type SyncChain } from './accountView.js';
import { Inbound, type Rejection } from './inbound.js';
import { VAULT_KEYS } from './deviceVault.js';
import { handOffHistory } from './historyHandoff.js';
import { startLiveLoop, type LiveLoopOptions, type LiveSync } from './liveLoop.js';
import { checkSyncTimeout, DEFAULT_SYNC_TIMEOUT_MS, withSyncDeadline } from './syncDeadline.js';
import type { LocalRecord, LocalStore, OutboxItemInput } from './localStore.js';
import { bodyToWire, checkCollectionName, type RecordBody } from './recordBody.js';
import { nextRevision } from './version.js';

const DAY_MS = 86_400_000;
/** Envelopes per pull request and per push batch: the server's default maximum for both. */
const PAGE = 1000;
const PURGE_BATCH = 1000;
const CURSOR_KEY = 'sync/cursor';
const SEQUENCE_KEY = 'sync/sequence';
/** Sequence numbers reserved per store write. */
const SEQUENCE_BLOCK = 256;

/** The server calls the replica needs (HttpClient provides them). */
export interface SyncTransport {
  push(envelopes: readonly Uint8Array[]): Promise<readonly string[]>;
  pull(after: number, limit?: number): Promise<{ envelopes: Uint8Array[]; cursor: number; more: boolean }>;
  wait(after: number, timeoutMs: number, signal?: AbortSignal, limit?: number): Promise<unknown>;
  purge(recordIds: readonly Uint8Array[]): Promise<number>;
}

export type { SyncChain } from './accountView.js';

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
  /** Total time limit of one `sync()` in ms (default 90 000; `Infinity` for none). */
  syncTimeoutMs?: number;
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
  /** An envelope from the server was refused and skipped. */
  rejected: Rejection;
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
}


/** A device's replica of the account's records. */
export class Replica {
  readonly #account: SyncAccount;
  readonly #accountId: Uint8Array;
  readonly #transport: SyncTransport & EnrollmentTransport;
  readonly #view: AccountView;
  readonly #inbound: Inbound;
  readonly #store: LocalStore;
  readonly #clock: () => number;
  readonly #events = new Emitter<ReplicaEvents>();
  readonly #collections = new Map<string, Collection<unknown>>();
  #cursor: number;
  #sequence: number;
  #sequenceReserved: number;
  #running: Promise<SyncReport> | undefined;
  #keptChainLength = 0;
  #kick: (() => void) | undefined;
  readonly #syncTimeoutMs: number;

  private constructor(options: ReplicaOptions, cursor: number, sequence: number) {
    this.#syncTimeoutMs = checkSyncTimeout(options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS);
    this.#account = options.account;
    this.#accountId = options.account.accountId;
    this.#transport = options.account.transport;
    this.#store = options.store;
    this.#clock = options.clock ?? Date.now;
    this.#cursor = cursor;
    this.#sequence = sequence;
    this.#sequenceReserved = sequence;
    this.#view = new AccountView(options.account, this.#clock);
    this.#inbound = new Inbound(this.#view, this.#store, this.#accountId, (event) => this.#events.emit('rejected', event));
  }

  /** Opens a replica on `store` (its sync cursor and sequence counter are kept there). */
  static async open(options: ReplicaOptions): Promise<Replica> {
    const cursor = readCounter(await options.store.getMeta(CURSOR_KEY));
    const sequence = readCounter(await options.store.getMeta(SEQUENCE_KEY));
    return new Replica(options, cursor, sequence);
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

  /** Records waiting in the outbox to be pushed. */
  pending(): Promise<number> {
    return this.#store.outboxSize();
  }

  /**
   * Pushes the outbox, then pulls everything new. Rounds never overlap: a call during a round
   * waits for it and starts another. Rejects with `SYNC_TIMEOUT` when it takes longer than
   * `timeoutMs` (default: the replica's `syncTimeoutMs`, 90 s); what was applied stays applied.
   * @throws `FORK_ALARM` (stop and ask the user), `RemoteError` codes, `NETWORK_ERROR`, `SYNC_TIMEOUT`.
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
   * History handoff: grants `device` (newly enrolled) the content keys of every record this
   * device can open on the server, so its first sync shows the history. Grants travel in sealed
   * bundles addressed to that device alone. With `sinceDays`, only records whose sort time is
   * within that many days are granted (those bodies are decrypted to learn their time).
   * @returns the number of grants sent.
   * @throws {UsageError} `HANDOFF_NOT_ON_CHAIN` when `device` is not active on the verified chain.
   */
  async handoffTo(device: DevicePublic, options: { sinceDays?: number } = {}): Promise<number> {
    const now = this.#clock();
    const onChain = this.#account.chain.state.devices.get(cardKey(device));
    if (onChain === undefined || onChain.effectiveAt > now || !equalBytes(onChain.card.encryptionKey, device.encryptionKey)) {
      throw new UsageError('HANDOFF_NOT_ON_CHAIN', 'history is handed only to a device active on the verified chain: refresh first');
    }
    return handOffHistory(
      {
        device: () => this.#view.device(),
        accountId: this.#accountId,
        chainHead: () => this.#account.chain.state.head,
        sendersAt: async (head) => this.#view.sendersAt(await this.#view.headIndex(head)),
        pull: (after, limit) => this.#transport.pull(after, limit),
        push: (envelopes) => this.#transport.push(envelopes),
        nextSequence: () => this.#nextSequence(),
        clock: this.#clock,
      },
      device,
      options.sinceDays,
    );
  }

  /**
   * "Delete my server copy": removes every record of `collection` from the server, leaving each
   * device's local copy alone (no tombstones). Give the collection `sync: false` from then on,
   * or the next write to it goes back to the server.
   * @returns how many envelopes the server deleted.
   */
  async deleteServerCopy(collection: string): Promise<number> {
    checkCollectionName(collection);
    let purged = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.#store.listRecords(collection, { includeDeleted: true, limit: PURGE_BATCH, ...(after === undefined ? {} : { after }) });
      if (page.records.length > 0) purged += await this.#transport.purge(page.records.map((r) => r.recordId));
      if (page.next === null) return purged;
      after = page.next;
    }
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

  async #write<T>(collection: string, options: CollectionOptions<T>, id: Uint8Array | undefined, value: T | undefined): Promise<Uint8Array> {
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
      sender: this.#view.device().id,
      deleted,
      value: deleted ? null : checked,
      sortTime,
      expiresAt,
    };
    let outbox: OutboxItemInput | null = null;
    if (options.sync !== false) {
      const body: RecordBody = { collection, sortTime, ...(deleted ? {} : { value: checked }) };
      if (expiresAt !== null) body.expiresAt = expiresAt;
      const bytes = seal(this.#view.device(), this.#accountId, this.#recipients(), {
        body: bodyToWire(body),
        kind: deleted ? 'tombstone' : 'record',
        recordId,
        revision,
        sequence: await this.#nextSequence(),
        chainHead: this.#account.chain.state.head,
        // Counted from the write, not from the record's own time: the server sees when an
        // envelope arrives anyway, while the call's date must stay hidden.
        expiryDay: retention === undefined ? 0 : Math.floor(now / DAY_MS) + retention + 1,
      });
      outbox = { recordId, bytes };
    }
    await this.#store.applyLocal(record, outbox);
    this.#events.emit('change', { collection, id: recordId, deleted, origin: 'local', value: record.value });
    this.#kick?.();
    return recordId;
  }

  #recipients(): DevicePublic[] {
    const out = this.#view.recipients();
    if (out.length === 0) throw new UsageError('NO_RECIPIENTS', 'the account has no active device to seal for');
    return out;
  }

  async #nextSequence(): Promise<number> {
    // Numbers are reserved in blocks and the reservation is stored before any is used: a restart
    // resumes after the block (a gap, never a repeat) and a write costs no extra store round trip.
    const next = this.#sequence + 1;
    if (next > this.#sequenceReserved) {
      const reserved = next + SEQUENCE_BLOCK - 1;
      await this.#store.setMeta(SEQUENCE_KEY, writeCounter(reserved));
      this.#sequenceReserved = reserved;
    }
    this.#sequence = next;
    return next;
  }

  async #round(): Promise<SyncReport> {
    const report: SyncReport = { pushed: 0, pulled: 0, applied: 0, rejected: 0, expired: 0 };
    await this.#account.chain.refresh(this.#transport);
    await this.#keepChain();
    report.pushed = await this.#push();
    await this.#pull(report);
    report.expired = await this.#store.expire(this.#clock());
    this.#events.emit('synced', report);
    return report;
  }

  async #push(): Promise<number> {
    let pushed = 0;
    for (;;) {
      const items = await this.#store.outboxPeek(PAGE);
      if (items.length === 0) {
        // Nothing queued is sealed under a pre-rotation key any more (docs/decisions.md).
        this.#view.forgetPastDevices();
        return pushed;
      }
      const recipients = this.#recipients();
      const bytes: Uint8Array[] = [];
      for (const item of items) {
        const current = await this.#resealIfStale(item.bytes, recipients);
        if (current !== null) bytes.push(current);
        else {
          this.#events.emit('rejected', {
            code: 'OUTBOX_UNSEALABLE',
            message: 'a queued write sealed for a device list that changed could not be sealed again; it stays on this device only',
            recordId: item.recordId,
          });
        }
      }
      if (bytes.length > 0) await this.#transport.push(bytes);
      await this.#store.outboxAck(items.map((i) => i.id));
      pushed += bytes.length;
    }
  }

  /**
   * An outbox envelope sealed before the latest chain change may wrap to a device removed since,
   * or miss one added since: seal it again for the devices active now (same record, revision and
   * kind; a new sequence number), so what reaches the server matches the verified chain.
   */
  async #resealIfStale(bytes: Uint8Array, recipients: DevicePublic[]): Promise<Uint8Array | null> {
    const parsed = parseEnvelope(bytes);
    const head = this.#account.chain.state.head;
    if (equalBytes(parsed.chainHead, head)) return bytes;
    const wanted = new Set(recipients.map(cardKey));
    let same = parsed.recipientCount === wanted.size;
    for (let at = 0; same && at < parsed.stanzas.length; at += STANZA_BYTES) {
      same = wanted.has(idKey(parsed.stanzas.subarray(at, at + DEVICE_ID_BYTES)));
    }
    if (same) return bytes;
    const index = await this.#view.headIndex(parsed.chainHead);
    const device = this.#view.device();
    const senders = this.#view.sendersAt(index);
    // Opening our own envelope needs the key it was sealed with: the current one, or one this
    // replica ran with before a rotation. Without it the write cannot go out as it is either
    // (the server would refuse a wrap to a revoked device), so it stays local and is reported.
    let opened: OpenedEnvelope | null = null;
    for (const candidate of this.#view.devicesNewestFirst()) {
      try {
        opened = openParsed(candidate, this.#accountId, senders, parsed);
      } catch (error) {
        if (!(error instanceof MultikeySyncError)) throw error;
      }
      if (opened !== null) break;
    }
    if (opened === null) return null;
    return seal(device, this.#accountId, recipients, {
      body: opened.body,
      kind: opened.kind,
      recordId: opened.recordId,
      revision: opened.revision,
      sequence: await this.#nextSequence(),
      chainHead: head,
      expiryDay: opened.expiryDay,
    });
  }

  async #pull(report: SyncReport): Promise<void> {
    for (;;) {
      const page = await this.#transport.pull(this.#cursor, PAGE);
      const records: LocalRecord[] = [];
      const held: { recordId: Uint8Array; bytes: Uint8Array }[] = [];
      for (const bytes of page.envelopes) {
        const got = await this.#inbound.receive(bytes, held);
        if (got === null) report.rejected++;
        else records.push(...got);
      }
      report.pulled += page.envelopes.length;
      if (held.length > 0) await this.#store.holdEnvelopes(held);
      const applied = await this.#store.applyRemote(records, CURSOR_KEY, writeCounter(page.cursor));
      this.#cursor = page.cursor;
      records.forEach((r, i) => {
        if (!applied[i]) return;
        report.applied++;
        this.#events.emit('change', { collection: r.collection, id: r.recordId, deleted: r.deleted, origin: 'remote', value: r.value });
      });
      if (!page.more) return;
    }
  }

  /** Saves the verified chain when it grew, so a restart notices a server that rolls it back. */
  async #keepChain(): Promise<void> {
    const chain = this.#account.chain;
    if (chain.toBytes === undefined || chain.entries.length === this.#keptChainLength) return;
    await this.#store.setMeta(VAULT_KEYS.chain, chain.toBytes());
    this.#keptChainLength = chain.entries.length;
  }
}


/** A stored counter (cursor, sequence reservation): a safe integer kept as a float64, 0 when absent. */
function readCounter(bytes: Uint8Array | null): number {
  if (bytes === null) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0);
}

function writeCounter(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, n);
  return out;
}
