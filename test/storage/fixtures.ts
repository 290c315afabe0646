/** Builders and helpers shared by the storage tests. */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect } from 'vitest';
import { isMultikeySyncError } from '../../src/errors.js';
import type { ChainEntryRow, EnvelopeInput, Store, StoredEnvelope, StoreLimits } from '../../src/storage/index.js';

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

/** Pulls everything after `after` page by page. */
export async function pullAll(store: Store, account: Uint8Array, after = 0, limit = 100): Promise<StoredEnvelope[]> {
  const out: StoredEnvelope[] = [];
  let cursor = after;
  for (;;) {
    const page = await store.pullEnvelopes(account, cursor, limit);
    out.push(...page.envelopes);
    cursor = page.cursor;
    if (!page.more) return out;
  }
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
