/**
 * `DeviceChain`: one device's verified copy of its account's device chain. The server stores
 * the chain but is not trusted with it: every entry it serves is checked against the chain
 * rules (chainState.ts) before it counts, and the copy only ever grows. A server that shows a
 * shorter chain, a chain that does not extend this one, an entry the rules refuse, an entry
 * dated where an honest server could not have put it (chainExtension.ts), or a head this device
 * cannot find raises a {@link ForkAlarm}; after that the chain refuses to refresh or append
 * until the app calls {@link DeviceChain.acknowledgeFork}.
 *
 * Operations on one chain run one at a time (an internal queue), so a refresh never races an
 * append of the same device.
 *
 * Time. The chain's `clock` is the device clock; every operation that talks to the server
 * corrects it by the offset that transport learned (deviceTime.ts), so the times it records
 * (`verifiedAt`) and checks (backdated, postdated, an append's `ts`) are on the server's clock
 * as this device sees it, and a device whose clock is wrong raises no false alarm.
 * `activeDevices()` and `pendingRecoveries()` use the device clock alone: no server can move
 * when a pending recovery takes effect on this device.
 */
import { CodecError, CryptoError, RemoteError, UsageError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { idKey, type DevicePublic } from '../core/devicePublic.js';
import { decodeEntry, type EncodedEntry } from './chainEntry.js';
import { chainEventOf, type ChainEvent } from './chainEvent.js';
import { verifyExtension, type AppliedEntry } from './chainExtension.js';
import { decodeChainSnapshot, encodeChainSnapshot, MAX_CHAIN_ENTRIES } from './chainSnapshot.js';
import { activeDevices, applyEntry, genesisState, type ChainState } from './chainState.js';
import { offsetOf } from './deviceTime.js';
import { entryTimeProblem } from './entryTime.js';
import { ForkAlarm, type ForkAlarmReason } from './forkAlarm.js';
import type { ChainPage, EnrollmentTransport } from './transport.js';

/**
 * How far a new entry's timestamp may lie before this device's previous refresh, or after its
 * clock, before the entry counts as back- or post-dated. The server accepts entries within
 * 10 minutes of its clock; the rest is room for this device's own clock error.
 */
export const DEFAULT_TIMESTAMP_TOLERANCE_MS = 30 * 60_000;
/** Appends tried before a lost compare-and-swap race is reported. */
export const DEFAULT_APPEND_ATTEMPTS = 5;

/** Options shared by the factories. */
export interface DeviceChainOptions {
  /** Id of the device holding this copy (events say `self: true` when it is removed). */
  self: Uint8Array;
  /** The device clock, ms since the epoch; `Date.now` by default. Operations correct it by their transport's offset. */
  clock?: () => number;
  /** See {@link DEFAULT_TIMESTAMP_TOLERANCE_MS}. */
  timestampToleranceMs?: number;
}

/** A recovery that has not taken effect yet and can still be vetoed. */
export interface PendingRecovery {
  readonly device: DevicePublic;
  /** Hash of the recovery's `add` entry: what a veto names. */
  readonly entryHash: Uint8Array;
  readonly effectiveAt: number;
}

/** Builds the entry to append on `state`, or returns null when there is nothing left to do. */
export type EntryBuilder = (state: ChainState) => EncodedEntry | null;

/** What {@link DeviceChain.append} did. */
export interface AppendResult {
  /** The appended entry; null when the builder decided nothing was left to do. */
  entry: EncodedEntry | null;
  /** Every entry applied meanwhile (others' entries met while retrying, then this one). */
  events: ChainEvent[];
}

/** Receives each change as it is applied. Must not throw (exceptions are ignored). */
export type ChainListener = (event: ChainEvent) => void;

/** A verified, append-only copy of an account's device chain. */
export class DeviceChain {
  readonly suite: CryptoProvider;
  /** Id of the device holding this copy. */
  readonly self: Uint8Array;
  readonly #entries: Uint8Array[];
  readonly #index = new Map<string, number>();
  readonly #listeners = new Set<ChainListener>();
  readonly #clock: () => number;
  readonly #tolerance: number;
  #state: ChainState;
  #verifiedAt: number;
  #alarm: ForkAlarmReason | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(suite: CryptoProvider, entries: EncodedEntry[], state: ChainState, options: DeviceChainOptions, verifiedAt?: number) {
    this.suite = suite;
    this.self = options.self.slice();
    this.#clock = options.clock ?? Date.now;
    this.#tolerance = options.timestampToleranceMs ?? DEFAULT_TIMESTAMP_TOLERANCE_MS;
    this.#entries = entries.map((e) => e.bytes);
    entries.forEach((e, i) => this.#index.set(idKey(e.hash), i));
    this.#state = state;
    this.#verifiedAt = verifiedAt ?? this.#clock();
  }

  /** The chain of an account this device just created. */
  static fromGenesis(suite: CryptoProvider, genesis: EncodedEntry, options: DeviceChainOptions): DeviceChain {
    checkOptions(options);
    return new DeviceChain(suite, [genesis], genesisState(suite, genesis), options);
  }

  /**
   * Replays encoded entries from genesis. Use it for chains from a trusted place; a chain from
   * the server goes through {@link DeviceChain.fetch}, which turns a refusal into a fork alarm.
   * @throws {CodecError} `CHAIN_ENTRY_MALFORMED`, `DEVICE_CHAIN_MALFORMED` (over 100,000 entries).
   * @throws {CryptoError} any `CHAIN_*` code of the chain rules.
   * @throws {UsageError} `ARGUMENT_INVALID` for a `self` that is not a 16-byte id.
   */
  static fromEntries(suite: CryptoProvider, entries: readonly Uint8Array[], options: DeviceChainOptions): DeviceChain {
    checkOptions(options);
    return DeviceChain.#replay(suite, entries, options, undefined);
  }

  /**
   * Fetches the whole chain of `accountId` and verifies it from genesis: how a device that
   * just joined (or recovered) learns its account.
   * @throws {ForkAlarm} `FORK_ALARM`: the chain is not this account's (`diverged`), breaks a
   *   rule (`invalid-entry`), or holds an entry signed by a pending recovery device whose delay
   *   ends after the device's corrected clock (`postdated`).
   * @throws {RemoteError} from the transport.
   */
  static async fetch(
    suite: CryptoProvider,
    transport: EnrollmentTransport,
    options: DeviceChainOptions & { accountId: Uint8Array },
  ): Promise<DeviceChain> {
    checkOptions(options);
    const clock = options.clock ?? Date.now;
    const now = (): number => clock() + offsetOf(transport);
    const started = now();
    const page = await transport.readChain(0);
    // The first answer may have taught the transport the server's clock: keep the earlier of
    // the two readings, so verifiedAt stays no later than the server's read.
    const verifiedAt = Math.min(started, now());
    const tolerance = options.timestampToleranceMs ?? DEFAULT_TIMESTAMP_TOLERANCE_MS;
    let postdatedSigner: number | undefined;
    if (page.entries.length !== page.length) throw new ForkAlarm('diverged', 'the server sent a chain page that contradicts its length');
    let chain: DeviceChain;
    try {
      chain = DeviceChain.#replay(suite, page.entries, options, verifiedAt, (state, entry) => {
        const by = entry.entry.by === undefined ? undefined : state.devices.get(idKey(entry.entry.by));
        if (by !== undefined && by.effectiveAt > now() + tolerance) postdatedSigner ??= entry.entry.i;
      });
    } catch (cause) {
      if (cause instanceof CodecError || cause instanceof CryptoError) {
        throw new ForkAlarm('invalid-entry', `the server sent a chain the rules refuse (${cause.code})`, { cause });
      }
      throw cause;
    }
    if (!equalBytes(chain.accountId, options.accountId) || !equalBytes(chain.head, page.head)) {
      throw new ForkAlarm('diverged', 'the server sent the chain of another account, or a head that is not its end');
    }
    // Only one kind of entry gains anything by being dated ahead: one signed by a pending
    // recovery device "from the future", after its delay (a colluding server and the words).
    // Without history to compare, that is what a first fetch refuses. (Other future dates, such
    // as an account made while the clocks ran fast, change nothing a new device relies on.)
    if (postdatedSigner !== undefined) throw new ForkAlarm('postdated', `entry ${postdatedSigner} is signed by a device whose recovery delay has not ended`);
    return chain;
  }

  /**
   * Restores a chain saved with {@link DeviceChain.toBytes}, re-verifying every entry. The
   * device that saved it must be on it: listed, or removed (a removed device keeps its chain).
   * @throws {CodecError} `DEVICE_CHAIN_MALFORMED` when the bytes are damaged or do not verify,
   *   or `self` is not a device of the replayed chain.
   */
  static fromBytes(suite: CryptoProvider, bytes: Uint8Array, options: Omit<DeviceChainOptions, 'self'> = {}): DeviceChain {
    const snapshot = decodeChainSnapshot(bytes);
    let chain: DeviceChain;
    try {
      chain = DeviceChain.#replay(suite, snapshot.entries, { ...options, self: snapshot.self }, snapshot.verifiedAt);
    } catch (cause) {
      throw new CodecError('DEVICE_CHAIN_MALFORMED', 'the saved device chain does not verify', { cause });
    }
    const self = idKey(snapshot.self);
    if (!chain.#state.devices.has(self) && !chain.#state.removedDevices.has(self)) {
      throw new CodecError('DEVICE_CHAIN_MALFORMED', 'the saved device chain belongs to a device it does not list');
    }
    chain.#alarm = snapshot.alarm;
    return chain;
  }

  static #replay(
    suite: CryptoProvider,
    entries: readonly Uint8Array[],
    options: DeviceChainOptions,
    verifiedAt: number | undefined,
    inspect?: (before: ChainState, entry: EncodedEntry) => void,
  ): DeviceChain {
    if (!Array.isArray(entries) || entries.length > MAX_CHAIN_ENTRIES) {
      throw new CodecError('DEVICE_CHAIN_MALFORMED', `a device chain holds 1..${MAX_CHAIN_ENTRIES} entries`);
    }
    const [first, ...rest] = entries;
    if (first === undefined) throw new CryptoError('CHAIN_GENESIS_INVALID', 'the chain is empty');
    const encoded = [decodeEntry(suite, first)];
    let state = genesisState(suite, encoded[0]!);
    for (const bytes of rest) {
      const next = decodeEntry(suite, bytes);
      inspect?.(state, next);
      state = applyEntry(suite, state, next);
      encoded.push(next);
    }
    return new DeviceChain(suite, encoded, state, options, verifiedAt);
  }

  /** The chain, its verification time and any unacknowledged alarm, for {@link DeviceChain.fromBytes}. */
  toBytes(): Uint8Array {
    return encodeChainSnapshot({
      self: this.self,
      verifiedAt: this.#verifiedAt,
      entries: this.#entries,
      ...(this.#alarm === undefined ? {} : { alarm: this.#alarm }),
    });
  }

  /** The account id: the hash of the genesis entry. */
  get accountId(): Uint8Array {
    return this.#state.accountId;
  }

  /** Hash of the newest verified entry: the head a writer puts in its envelopes. */
  get head(): Uint8Array {
    return this.#state.head;
  }

  /** Number of verified entries. */
  get length(): number {
    return this.#state.length;
  }

  /** The verified device list (immutable). */
  get state(): ChainState {
    return this.#state;
  }

  /** The encoded entries, genesis first (a copy of the list; do not modify the bytes). */
  get entries(): readonly Uint8Array[] {
    return this.#entries.slice();
  }

  /** The encoded entry at `index`, if the chain is that long (do not modify the bytes). */
  entryAt(index: number): Uint8Array | undefined {
    return this.#entries[index];
  }

  /** When the server last confirmed this head (on the device clock corrected by the server's, as then learned). */
  get verifiedAt(): number {
    return this.#verifiedAt;
  }

  /** The reason of an alarm not yet acknowledged, if any. */
  get forkAlarm(): ForkAlarmReason | undefined {
    return this.#alarm;
  }

  /** The index of the entry whose hash is `head`, if it is in the verified chain. */
  indexOf(head: Uint8Array): number | undefined {
    return head instanceof Uint8Array ? this.#index.get(idKey(head)) : undefined;
  }

  /** True when `head` is the hash of a verified entry (the current head or an earlier one). */
  has(head: Uint8Array): boolean {
    return this.indexOf(head) !== undefined;
  }

  /** The devices active at `now`: the recipients of a seal (the recovery key included). */
  activeDevices(now: number = this.#clock()): DevicePublic[] {
    return activeDevices(this.#state, now);
  }

  /** Recoveries that have not taken effect at `now` and may still be vetoed. */
  pendingRecoveries(now: number = this.#clock()): PendingRecovery[] {
    const out: PendingRecovery[] = [];
    for (const d of this.#state.devices.values()) {
      if (d.pendingEntry !== undefined && d.effectiveAt > now) out.push({ device: d.card, entryHash: d.pendingEntry, effectiveAt: d.effectiveAt });
    }
    return out;
  }

  /** Calls `listener` for every change this chain applies from now on; returns the unsubscribe. */
  subscribe(listener: ChainListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /**
   * Fetches the entries after this chain's head, verifies each, and returns one event per entry.
   * Each new entry must be dated no earlier than `verifiedAt − tolerance`, and no later than the
   * device's corrected clock + tolerance unless it is dated exactly as the entry before it.
   * @throws {ForkAlarm} `FORK_ALARM`: `rollback`, `diverged`, `invalid-entry`, `backdated`,
   *   `postdated`, or an earlier alarm not yet acknowledged.
   * @throws {RemoteError} from the transport (e.g. `DEVICE_REVOKED`: the server says this
   *   device was removed; its word alone proves nothing).
   */
  refresh(transport: EnrollmentTransport): Promise<ChainEvent[]> {
    return this.#exclusive(() => this.#refresh(transport));
  }

  /**
   * Checks a chain head met in an envelope: known heads pass at once; an unknown one triggers a
   * refresh and must then be in the chain.
   * @returns the events of that refresh (empty when the head was known).
   * @throws {ForkAlarm} `FORK_ALARM` with reason `unknown-head`, or any reason of {@link DeviceChain.refresh}.
   * @throws {UsageError} `ARGUMENT_INVALID` when `head` is not 32 bytes.
   * @throws {RemoteError} from the transport.
   */
  async checkHead(head: Uint8Array, transport: EnrollmentTransport): Promise<ChainEvent[]> {
    if (!(head instanceof Uint8Array) || head.length !== 32) throw new UsageError('ARGUMENT_INVALID', 'a chain head is 32 bytes');
    this.#assertTrusted();
    if (this.has(head)) return [];
    return this.#exclusive(async () => {
      if (this.has(head)) return [];
      const events = await this.#refresh(transport);
      if (!this.has(head)) throw this.#raise('unknown-head', 'an envelope names a chain head this server does not show');
      return events;
    });
  }

  /**
   * Appends the entry `build` makes on the current state, with compare-and-swap on the head: on
   * `CHAIN_CONFLICT` it refreshes and calls `build` again on the new state, up to `attempts`
   * times. The entry is checked against the chain rules before it is sent. After a network
   * failure it re-reads the chain to learn whether the entry landed.
   * @throws {CryptoError} a `CHAIN_*` code when the built entry breaks the chain rules;
   *   `CHAIN_TIME_SKEW` when it is dated outside what the server accepts by this device's
   *   corrected clock (entryTime.ts), instead of sending an entry that would hold the chain in
   *   the future.
   * @throws {ForkAlarm} `FORK_ALARM` from a refresh, or when the server answers an append with a
   *   head that is not the appended entry.
   * @throws {RemoteError} `CHAIN_CONFLICT` after `attempts` lost races; anything else from the
   *   transport (`CHAIN_ENTRY_REJECTED`, `DEVICE_REVOKED`, `NETWORK_ERROR`, …).
   */
  append(transport: EnrollmentTransport, build: EntryBuilder, options: { attempts?: number } = {}): Promise<AppendResult> {
    const attempts = Math.max(1, Math.floor(options.attempts ?? DEFAULT_APPEND_ATTEMPTS));
    return this.#exclusive(() => this.#append(transport, build, attempts));
  }

  /**
   * The app's decision after a fork alarm: trust this server again. The verified chain is kept
   * as it was; a server still lying raises the alarm again at the next refresh. To adopt the
   * server's chain instead, fetch a new one with {@link DeviceChain.fetch}.
   */
  acknowledgeFork(): void {
    this.#alarm = undefined;
  }

  async #append(transport: EnrollmentTransport, build: EntryBuilder, attempts: number): Promise<AppendResult> {
    const events: ChainEvent[] = [];
    for (let attempt = 1; ; attempt++) {
      this.#assertTrusted();
      const before = this.#state;
      const entry = build(before);
      if (entry === null) return { entry: null, events };
      const after = applyEntry(this.suite, before, entry);
      const started = this.#now(transport);
      const problem = entryTimeProblem(entry.entry.ts, started, before.lastTs);
      if (problem !== undefined) throw new CryptoError('CHAIN_TIME_SKEW', `${problem} of this device (corrected by the server's)`);
      let reply: { head: Uint8Array; length: number };
      try {
        reply = await transport.appendChain(entry.bytes, before.head);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        const conflict = error.code === 'CHAIN_CONFLICT';
        // No answer, or a server failure: the entry may have landed all the same.
        const unknown = error.code === 'NETWORK_ERROR' || error.status >= 500;
        if (!conflict && !unknown) throw error;
        events.push(...(await this.#refresh(transport)));
        if (this.has(entry.hash)) return { entry, events };
        if (conflict && attempt < attempts) continue;
        throw error;
      }
      if (!equalBytes(reply.head, entry.hash) || reply.length !== after.length) {
        throw this.#raise('diverged', 'the server acknowledged the append with another head');
      }
      const event = chainEventOf(this.suite, before, after, entry, this.self);
      this.#commit([{ encoded: entry, state: after, event }], Math.min(started, this.#now(transport)));
      events.push(event);
      return { entry, events };
    }
  }

  async #refresh(transport: EnrollmentTransport): Promise<ChainEvent[]> {
    this.#assertTrusted();
    const started = this.#now(transport);
    const page = await transport.readChain(this.#state.length);
    return this.#absorb(page, started, this.#now(transport));
  }

  /**
   * `started` and `now` are the corrected clock before and after the read; the answer may have
   * corrected it, so the earlier of the two is when the server confirmed the head at the latest.
   * A `verifiedAt` ahead of `now` (saved while the clock ran fast) is pulled back to it, so it
   * cannot make honest entries look backdated.
   */
  #absorb(page: ChainPage, started: number, now: number): ChainEvent[] {
    let applied: AppliedEntry[];
    try {
      applied = verifyExtension(
        { suite: this.suite, state: this.#state, self: this.self, verifiedAt: Math.min(this.#verifiedAt, now), now, toleranceMs: this.#tolerance },
        page,
      );
    } catch (error) {
      if (error instanceof ForkAlarm) this.#alarm = error.reason;
      throw error;
    }
    this.#commit(applied, Math.min(started, now));
    return applied.map((a) => a.event);
  }

  /** The device clock corrected by the offset `transport` learned from the server. */
  #now(transport: EnrollmentTransport): number {
    return this.#clock() + offsetOf(transport);
  }

  #commit(applied: AppliedEntry[], verifiedAt: number): void {
    for (const { encoded, state } of applied) {
      this.#index.set(idKey(encoded.hash), this.#entries.length);
      this.#entries.push(encoded.bytes);
      this.#state = state;
    }
    this.#verifiedAt = verifiedAt;
    for (const { event } of applied) {
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch {
          // A listener's failure must not undo a verified change.
        }
      }
    }
  }

  #raise(reason: ForkAlarmReason, message: string, cause?: unknown): ForkAlarm {
    this.#alarm = reason;
    return new ForkAlarm(reason, message, cause === undefined ? undefined : { cause });
  }

  #assertTrusted(): void {
    if (this.#alarm !== undefined) {
      throw new ForkAlarm(this.#alarm, 'this chain raised a fork alarm: the app must acknowledgeFork() before it talks to this server again');
    }
  }

  #exclusive<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

function checkOptions(options: DeviceChainOptions): void {
  if (!(options?.self instanceof Uint8Array) || options.self.length !== 16) {
    throw new UsageError('ARGUMENT_INVALID', 'self must be a 16-byte device id');
  }
}
