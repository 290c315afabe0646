/** Builders and helpers shared by the storage tests. */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect } from 'vitest';
import { isMultikeySyncError } from '../../src/errors.js';
import type {
  ChainEntryRow,
  EnvelopeInput,
  EnvelopePurge,
  LogAppend,
  Store,
  StoredEnvelope,
  StoredItem,
  StoreLimits,
} from '../../src/storage/index.js';

/** What an adapter's test file hands to the conformance suite. */
export interface StoreHarness {
  store: Store;
  /** Closes the store and removes its data (file, database). */
  cleanup(): Promise<void>;
}

/** Makes a fresh, empty store with the given limits. */
export type MakeStore = (limits?: StoreLimits) => Promise<StoreHarness>;

export function bytes(length: number): Uint8Array {
  return new Uint8Array(randomBytes(length));
}

/** `length` bytes all equal to `fill`: readable, orderable ids. */
export function filled(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

export function chainEntry(index: number, payload = bytes(40)): ChainEntryRow {
  return { index, hash: bytes(32), bytes: payload };
}

export function envelope(overrides: Partial<EnvelopeInput> = {}): EnvelopeInput {
  return {
    recordId: bytes(16),
    revision: 1,
    sender: filled(16, 1),
    kind: 'record',
    expiryDay: 0,
    bytes: bytes(64),
    ...overrides,
  };
}

/**
 * `count` checkpoints of one device's log, positions `from`.., each naming the previous one's
 * (random) hash; `from` = 1 starts with the all-zero prev hash. Bytes are random, `size` long.
 */
export function logChain(
  device: Uint8Array,
  count: number,
  size = 100,
  from = 1,
  prevHash: Uint8Array = new Uint8Array(32),
): LogAppend[] {
  const out: LogAppend[] = [];
  let prev = prevHash;
  for (let i = 0; i < count; i += 1) {
    const hash = bytes(32);
    out.push({ device, position: from + i, prevHash: prev, hash, bytes: bytes(size) });
    prev = hash;
  }
  return out;
}

/** A purge of every version of `recordId` (the bound the interim server route passes). */
export function purgeAll(recordId: Uint8Array): EnvelopePurge {
  return { recordId, upToRevision: 0xffff_ffff };
}

/** Creates an account with a random id and genesis entry. */
export async function newAccount(store: Store): Promise<Uint8Array> {
  const id = bytes(32);
  await store.createAccount(id, chainEntry(0));
  return id;
}

/** Asserts that `promise` rejects with our error carrying `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected rejection with ${code}`).toBeDefined();
  expect(isMultikeySyncError(error) ? `${error.name}:${error.code}` : String(error)).toBe(`StorageError:${code}`);
}

/** Pulls every item (envelopes and checkpoints) after `after` page by page. */
export async function pullItems(store: Store, account: Uint8Array, after = 0, limit = 100): Promise<StoredItem[]> {
  const out: StoredItem[] = [];
  let cursor = after;
  for (;;) {
    const page = await store.pullEnvelopes(account, cursor, limit);
    out.push(...page.items);
    cursor = page.cursor;
    if (!page.more) return out;
  }
}

/** The envelopes among `items`, failing on any checkpoint: for tests that store none. */
export function onlyEnvelopes(items: readonly StoredItem[]): StoredEnvelope[] {
  return items.map((item) => {
    if (item.kind === 'log') throw new Error(`unexpected checkpoint at cursor ${item.cursor}`);
    return item;
  });
}

/** Pulls everything after `after` page by page, in a test that stores no checkpoints. */
export async function pullAll(store: Store, account: Uint8Array, after = 0, limit = 100): Promise<StoredEnvelope[]> {
  return onlyEnvelopes(await pullItems(store, account, after, limit));
}

/**
 * Everything a test can observe of one account: its items, usage, chain, and the log heads of
 * `devices`; equal snapshots before and after a refused call show it changed nothing.
 */
export async function snapshot(store: Store, account: Uint8Array, devices: readonly Uint8Array[] = []) {
  return {
    items: await pullItems(store, account),
    usage: await store.usage(account),
    chain: await store.readChain(account, 0, 1000),
    heads: await Promise.all(devices.map((device) => store.logHead(account, device))),
  };
}

/** Resolves once `predicate` holds, polling; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A fresh store per test in the enclosing describe; returns an accessor for it. */
export function useStore(make: MakeStore, limits?: StoreLimits): () => Store {
  let harness: StoreHarness | undefined;
  beforeEach(async () => {
    harness = await make(limits);
  });
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });
  return () => {
    if (harness === undefined) throw new Error('store used outside a test');
    return harness.store;
  };
}

/** Number of runs for property tests: small by default, `FC_RUNS=1000` for a deep run. */
export const PROPERTY_RUNS = Number(process.env['FC_RUNS'] ?? 15);
