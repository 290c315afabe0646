/**
 * `MemoryStore`: the reference adapter, for tests and examples. Each call runs to completion
 * without awaiting in between, so every call is atomic; a batch is staged, checked, then
 * applied. Inputs and outputs are copied, so callers cannot alias stored bytes.
 */
import { exceedsQuota, planBatch, withCheckpoint, type UsageDelta } from './batchPlan.js';
import { copyBytes, sameBytes, toHex } from './bytes.js';
import { MAX_CHAIN_INDEX, resolveLimits, type ResolvedLimits } from './limits.js';
import { checkCut, decideLogAppend, type LogDecision } from './logRules.js';
import { MemoryAccount } from './memoryAccount.js';
import type {
  ChainEntryRow,
  EnvelopeInput,
  EnvelopePurge,
  LogAppend,
  LogCut,
  LogHead,
  PullPage,
  PutOutcome,
  Store,
  StoredItem,
  StoreLimits,
  Unwatch,
  Usage,
  WatchListener,
} from './store.js';
import { storageError } from './storageErrors.js';
import {
  checkAccountId,
  checkChainEntry,
  checkCounter,
  checkDay,
  checkDeviceId,
  checkEnvelopes,
  checkExpiry,
  checkHash,
  checkInt,
  checkLogAppend,
  checkLogCut,
  checkMailboxBytes,
  checkMailboxId,
  checkNonceKey,
  checkPageLimit,
  checkPurges,
} from './validate.js';
import { WatcherRegistry } from './watchers.js';

function copyEntry(entry: ChainEntryRow): ChainEntryRow {
  return { index: entry.index, hash: copyBytes(entry.hash), bytes: copyBytes(entry.bytes) };
}

function copyItem(e: StoredItem): StoredItem {
  if (e.kind === 'log') {
    return { kind: 'log', cursor: e.cursor, device: copyBytes(e.device), position: e.position, bytes: copyBytes(e.bytes) };
  }
  return {
    cursor: e.cursor,
    recordId: copyBytes(e.recordId),
    revision: e.revision,
    sender: copyBytes(e.sender),
    kind: e.kind,
    expiryDay: e.expiryDay,
    bytes: copyBytes(e.bytes),
  };
}

/** A `Store` held in memory; lost when the process exits. */
export class MemoryStore implements Store {
  private readonly limits: ResolvedLimits;
  private readonly accounts = new Map<string, MemoryAccount>();
  private readonly mailbox = new Map<string, { bytes: Uint8Array; expiresAtMs: number }>();
  private readonly nonces = new Map<string, number>();
  private readonly watchers = new WatcherRegistry();
  private readonly sweepAt = new Map<Map<string, unknown>, number>();
  private lastCursor = 0;
  private closed = false;

  /**
   * @param options Per-account limits.
   * @throws StorageError `INVALID_ARGUMENT` for a bad limit.
   */
  constructor(options: StoreLimits = {}) {
    this.limits = resolveLimits(options);
  }

  private open(): void {
    if (this.closed) throw storageError('STORE_CLOSED', 'the store is closed');
  }

  private account(accountId: Uint8Array): MemoryAccount {
    this.open();
    checkAccountId(accountId);
    const account = this.accounts.get(toHex(accountId));
    if (account === undefined) throw storageError('ACCOUNT_NOT_FOUND', 'no such account');
    return account;
  }

  async createAccount(accountId: Uint8Array, genesis: ChainEntryRow): Promise<void> {
    this.open();
    checkAccountId(accountId);
    checkChainEntry(genesis);
    checkInt('genesis.index', genesis.index, 0, 0);
    const key = toHex(accountId);
    if (this.accounts.has(key)) throw storageError('ACCOUNT_EXISTS', 'the account already exists');
    this.accounts.set(key, new MemoryAccount(copyEntry(genesis)));
  }

  async hasAccount(accountId: Uint8Array): Promise<boolean> {
    this.open();
    checkAccountId(accountId);
    return this.accounts.has(toHex(accountId));
  }

  async deleteAccount(accountId: Uint8Array): Promise<void> {
    this.account(accountId);
    this.accounts.delete(toHex(accountId));
  }

  async chainHead(accountId: Uint8Array): Promise<ChainEntryRow> {
    const { chain } = this.account(accountId);
    return copyEntry(chain[chain.length - 1] as ChainEntryRow);
  }

  async readChain(accountId: Uint8Array, fromIndex: number, limit: number): Promise<ChainEntryRow[]> {
    const account = this.account(accountId);
    checkInt('fromIndex', fromIndex, 0, MAX_CHAIN_INDEX);
    checkPageLimit(limit);
    return account.chain.slice(fromIndex, fromIndex + limit).map(copyEntry);
  }

  async appendChain(
    accountId: Uint8Array,
    expectedHeadHash: Uint8Array,
    entry: ChainEntryRow,
    cut?: LogCut,
  ): Promise<void> {
    const account = this.account(accountId);
    checkHash('expectedHeadHash', expectedHeadHash);
    checkChainEntry(entry);
    checkLogCut(cut);
    const { chain } = account;
    const head = chain[chain.length - 1] as ChainEntryRow;
    if (!sameBytes(head.hash, expectedHeadHash) || entry.index !== head.index + 1) {
      throw storageError('CHAIN_CONFLICT', 'the chain head moved; re-read it and retry');
    }
    if (cut !== undefined) checkCut(account.head(toHex(cut.device)), cut);
    chain.push(copyEntry(entry));
  }

  /** Decides `log` against the account's stored log (see `decideLogAppend`). */
  private decideLog(account: MemoryAccount, log: LogAppend | undefined): LogDecision | undefined {
    if (log === undefined) return undefined;
    const device = toHex(log.device);
    return decideLogAppend(account.head(device), log, () => account.checkpointAt(device, log.position)?.bytes);
  }

  /**
   * Checks the quota for `delta` plus the checkpoint when `decision` stores it, then stores
   * the checkpoint; returns its cursor, or 0 when none was stored.
   * @throws StorageError `QUOTA_EXCEEDED` (nothing stored)
   */
  private admit(account: MemoryAccount, delta: UsageDelta, log: LogAppend | undefined, decision: LogDecision | undefined): number {
    const checkpoint = decision === 'append' ? log : undefined;
    const used = { bytes: account.bytes, envelopes: account.itemCount };
    if (exceedsQuota(used, withCheckpoint(delta, checkpoint?.bytes), this.limits)) {
      throw storageError('QUOTA_EXCEEDED', 'the call would exceed the account quota');
    }
    if (checkpoint === undefined) return 0;
    this.lastCursor += 1;
    const stored = {
      kind: 'log' as const,
      cursor: this.lastCursor,
      device: copyBytes(checkpoint.device),
      position: checkpoint.position,
      bytes: copyBytes(checkpoint.bytes),
    };
    account.appendCheckpoint(toHex(checkpoint.device), stored, copyBytes(checkpoint.hash));
    return this.lastCursor;
  }

  async putEnvelopes(accountId: Uint8Array, items: readonly EnvelopeInput[], log?: LogAppend): Promise<PutOutcome[]> {
    const account = this.account(accountId);
    checkEnvelopes(items);
    checkLogAppend(log);
    const decision = this.decideLog(account, log);
    const plan = planBatch(items, (key) => {
      const stored = account.get(key);
      return stored && { ...stored, size: stored.bytes.length, bytes: () => stored.bytes };
    });
    const checkpointCursor = this.admit(account, plan, log, decision);
    for (const [key, item] of plan.writes) {
      this.lastCursor += 1;
      account.put(key, {
        cursor: this.lastCursor,
        recordId: copyBytes(item.recordId),
        revision: item.revision,
        sender: copyBytes(item.sender),
        kind: item.kind,
        expiryDay: item.expiryDay,
        bytes: copyBytes(item.bytes),
      });
    }
    if (plan.writes.size > 0 || checkpointCursor > 0) this.watchers.emit(toHex(accountId), this.lastCursor);
    return plan.outcomes;
  }

  async pullEnvelopes(accountId: Uint8Array, afterCursor: number, limit: number): Promise<PullPage> {
    const account = this.account(accountId);
    checkCounter('afterCursor', afterCursor);
    checkPageLimit(limit);
    const found = account.after(afterCursor, limit);
    const items = found.slice(0, limit).map(copyItem);
    const last = items[items.length - 1];
    return { items, cursor: last?.cursor ?? afterCursor, more: found.length > limit };
  }

  async purgeEnvelopes(accountId: Uint8Array, purges: readonly EnvelopePurge[], log?: LogAppend): Promise<number> {
    const account = this.account(accountId);
    checkPurges(purges);
    checkLogAppend(log);
    const decision = this.decideLog(account, log);
    // Staged first, so a refused checkpoint or quota leaves every envelope in place.
    const doomed = new Set<string>();
    let freed = 0;
    for (const { recordId, upToRevision } of purges) {
      const key = toHex(recordId);
      const stored = account.get(key);
      if (stored === undefined || stored.revision > upToRevision || doomed.has(key)) continue;
      doomed.add(key);
      freed += stored.bytes.length;
    }
    const checkpointCursor = this.admit(account, { bytesDelta: -freed, countDelta: -doomed.size }, log, decision);
    for (const key of doomed) account.remove(key);
    if (checkpointCursor > 0) this.watchers.emit(toHex(accountId), checkpointCursor);
    return doomed.size;
  }

  async logHead(accountId: Uint8Array, device: Uint8Array): Promise<LogHead | null> {
    const account = this.account(accountId);
    checkDeviceId('device', device);
    const head = account.head(toHex(device));
    if (head === undefined) return null;
    return { position: head.position, hash: copyBytes(head.hash), bytes: copyBytes(head.checkpoint.bytes) };
  }

  async collectExpired(today: number): Promise<number> {
    this.open();
    checkDay('today', today);
    let count = 0;
    for (const account of this.accounts.values()) count += account.collectExpired(today);
    return count;
  }

  async usage(accountId: Uint8Array): Promise<Usage> {
    const account = this.account(accountId);
    return { bytes: account.bytes, envelopes: account.itemCount };
  }

  async mailboxPut(id: Uint8Array, bytes: Uint8Array, expiresAtMs: number, nowMs: number): Promise<void> {
    this.open();
    checkMailboxId(id);
    checkMailboxBytes(bytes);
    checkExpiry(expiresAtMs, nowMs);
    this.sweep(this.mailbox, nowMs, (message) => message.expiresAtMs);
    const key = toHex(id);
    const waiting = this.mailbox.get(key);
    if (waiting !== undefined && waiting.expiresAtMs > nowMs) {
      throw storageError('MAILBOX_FULL', 'a message is already waiting under this id');
    }
    this.mailbox.set(key, { bytes: copyBytes(bytes), expiresAtMs });
  }

  async mailboxTake(id: Uint8Array, nowMs: number): Promise<Uint8Array | null> {
    this.open();
    checkMailboxId(id);
    checkCounter('nowMs', nowMs);
    const key = toHex(id);
    const message = this.mailbox.get(key);
    this.mailbox.delete(key);
    return message !== undefined && message.expiresAtMs > nowMs ? message.bytes : null;
  }

  async rememberNonce(key: Uint8Array, expiresAtMs: number, nowMs: number): Promise<boolean> {
    this.open();
    checkNonceKey(key);
    checkExpiry(expiresAtMs, nowMs);
    this.sweep(this.nonces, nowMs, (expiry) => expiry);
    const hex = toHex(key);
    const seenUntil = this.nonces.get(hex);
    if (seenUntil !== undefined && seenUntil > nowMs) return false;
    this.nonces.set(hex, expiresAtMs);
    return true;
  }

  /**
   * Drops expired entries once the map has doubled since the last sweep: amortised O(1) per
   * call. Lookups check expiry themselves, so a late sweep is never wrong, only bigger.
   */
  private sweep<V>(map: Map<string, V>, nowMs: number, expiry: (value: V) => number): void {
    const threshold = this.sweepAt.get(map) ?? 1024;
    if (map.size < threshold) return;
    for (const [key, value] of map) if (expiry(value) <= nowMs) map.delete(key);
    this.sweepAt.set(map, Math.max(1024, map.size * 2));
  }

  async watch(accountId: Uint8Array, listener: WatchListener): Promise<Unwatch> {
    this.account(accountId);
    const remove = this.watchers.add(toHex(accountId), listener);
    return async () => remove();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
  }
}
