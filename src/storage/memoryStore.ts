/**
 * `MemoryStore`: the reference adapter, for tests and examples. Each call runs to completion
 * without awaiting in between, so every call is atomic; a batch is staged, checked, then
 * applied. Inputs and outputs are copied, so callers cannot alias stored bytes.
 */
import { exceedsQuota, planBatch } from './batchPlan.js';
import { copyBytes, sameBytes, toHex } from './bytes.js';
import { MAX_CHAIN_INDEX, resolveLimits, type ResolvedLimits } from './limits.js';
import { MemoryAccount } from './memoryAccount.js';
import type {
  ChainEntryRow,
  EnvelopeInput,
  PullPage,
  PutOutcome,
  Store,
  StoredEnvelope,
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
  checkEnvelopes,
  checkExpiry,
  checkHash,
  checkInt,
  checkMailboxBytes,
  checkMailboxId,
  checkNonceKey,
  checkPageLimit,
  checkRecordIds,
} from './validate.js';
import { WatcherRegistry } from './watchers.js';

function copyEntry(entry: ChainEntryRow): ChainEntryRow {
  return { index: entry.index, hash: copyBytes(entry.hash), bytes: copyBytes(entry.bytes) };
}

function copyEnvelope(e: StoredEnvelope): StoredEnvelope {
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

  async appendChain(accountId: Uint8Array, expectedHeadHash: Uint8Array, entry: ChainEntryRow): Promise<void> {
    const { chain } = this.account(accountId);
    checkHash('expectedHeadHash', expectedHeadHash);
    checkChainEntry(entry);
    const head = chain[chain.length - 1] as ChainEntryRow;
    if (!sameBytes(head.hash, expectedHeadHash) || entry.index !== head.index + 1) {
      throw storageError('CHAIN_CONFLICT', 'the chain head moved; re-read it and retry');
    }
    chain.push(copyEntry(entry));
  }

  async putEnvelopes(accountId: Uint8Array, items: readonly EnvelopeInput[]): Promise<PutOutcome[]> {
    const account = this.account(accountId);
    checkEnvelopes(items);
    const plan = planBatch(items, (key) => {
      const stored = account.get(key);
      return stored && { ...stored, size: stored.bytes.length, bytes: () => stored.bytes };
    });
    if (exceedsQuota({ bytes: account.bytes, envelopes: account.envelopeCount }, plan, this.limits)) {
      throw storageError('QUOTA_EXCEEDED', 'the batch would exceed the account quota');
    }
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
    if (plan.writes.size > 0) this.watchers.emit(toHex(accountId), this.lastCursor);
    return plan.outcomes;
  }

  async pullEnvelopes(accountId: Uint8Array, afterCursor: number, limit: number): Promise<PullPage> {
    const account = this.account(accountId);
    checkCounter('afterCursor', afterCursor);
    checkPageLimit(limit);
    const found = account.after(afterCursor, limit);
    const envelopes = found.slice(0, limit).map(copyEnvelope);
    const last = envelopes[envelopes.length - 1];
    return { envelopes, cursor: last?.cursor ?? afterCursor, more: found.length > limit };
  }

  async purgeEnvelopes(accountId: Uint8Array, recordIds: readonly Uint8Array[]): Promise<number> {
    const account = this.account(accountId);
    checkRecordIds(recordIds);
    let count = 0;
    for (const recordId of recordIds) {
      const key = toHex(recordId);
      if (account.get(key) === undefined) continue;
      account.remove(key);
      count += 1;
    }
    return count;
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
    return { bytes: account.bytes, envelopes: account.envelopeCount };
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
