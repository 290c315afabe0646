/** Shared helpers of the local store tests. */
import { afterEach, beforeEach, expect } from 'vitest';
import { isMultikeySyncError } from '../../src/errors.js';
import { encodeClock } from '../../src/sync/hlc.js';
import type { LocalRecord, LocalStore } from '../../src/sync/localStore.js';

/** Makes a fresh, empty store; `cleanup` closes it and removes its files. */
export type MakeLocalStore = () => Promise<{ store: LocalStore; cleanup: () => Promise<void> }>;

export const CALLS = 'calls';

/** A 16-byte id whose byte order follows `n`, so tests can predict id order. */
export function id16(n: number, prefix = 0): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = prefix;
  new DataView(out.buffer).setUint32(12, n);
  return out;
}

/** Device ids: DEVICE[0] < DEVICE[1] < DEVICE[2] bytewise. */
export const DEVICE = [0xa1, 0xb2, 0xc3].map((b) => new Uint8Array(16).fill(b));

/** A test clock that follows `revision`: a later revision is a later write, as a writer's clock makes it. */
export function clockAt(revision: number, counter = 0): Uint8Array {
  return encodeClock({ ms: 1_700_000_000_000 + revision, counter });
}

/**
 * A live record with sensible defaults; no content key (null, as every read returns a version
 * without one), so a record read back equals the one written. Its clock follows its revision
 * (`clockAt`) unless given, and it has no base.
 */
export function record(overrides: Partial<LocalRecord> = {}): LocalRecord {
  const revision = overrides.revision ?? 1;
  return {
    clock: clockAt(revision),
    base: null,
    collection: CALLS,
    recordId: id16(1),
    revision: 1,
    sender: DEVICE[0]!,
    deleted: false,
    value: { peer: '+14155550123', n: 1 },
    sortTime: 1_700_000_000_000,
    expiresAt: null,
    contentKey: null,
    envelopeHash: null,
    ...overrides,
  };
}

/** Distinct 32-byte test values (content keys, envelope hashes): byte 0 = tag, byte 31 = n. */
export function bytes32(tag: number, n: number): Uint8Array {
  const out = new Uint8Array(32).fill(tag);
  out[31] = n & 0xff;
  return out;
}

/** A content key and envelope hash for test version `n`. */
export function keysFor(n: number): { contentKey: Uint8Array; envelopeHash: Uint8Array } {
  return { contentKey: bytes32(0xc0, n), envelopeHash: bytes32(0x4e, n) };
}

/** A tombstone over `of`: the next revision (with its clock, based on `of`'s), value null. */
export function tombstone(of: LocalRecord, sender: Uint8Array = of.sender): LocalRecord {
  return { ...of, revision: of.revision + 1, clock: clockAt(of.revision + 1), base: of.clock, sender, deleted: true, value: null };
}

/** Fake envelope bytes for the outbox (the store treats them as opaque). */
export function envelope(n: number): Uint8Array {
  return new Uint8Array([0x01, 0x01, n & 0xff, (n >> 8) & 0xff, 0xee]);
}

/** The outbox item that goes with a local write of `r`. */
export function outboxFor(r: LocalRecord, n = r.revision): { recordId: Uint8Array; bytes: Uint8Array } {
  return { recordId: r.recordId, bytes: envelope(n) };
}

/** Asserts that `promise` rejects with our error carrying `code`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a rejection with ${code}`).toBeDefined();
  expect(isMultikeySyncError(caught) ? caught.code : caught).toBe(code);
  return caught as Error;
}

/** Every record of a collection, read page by page. */
export async function listAll(
  store: LocalStore,
  collection: string,
  options: { order?: 'asc' | 'desc'; includeDeleted?: boolean; from?: number; to?: number; limit?: number } = {},
): Promise<{ records: LocalRecord[]; pages: number }> {
  const records: LocalRecord[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await store.listRecords(collection, { ...options, ...(after === undefined ? {} : { after }) });
    pages++;
    records.push(...page.records);
    if (page.next === null) return { records, pages };
    after = page.next;
  }
}

/** Registers hooks giving each test of the enclosing `describe` a fresh store. */
export function useStore(make: MakeLocalStore): () => LocalStore {
  let harness: Awaited<ReturnType<MakeLocalStore>> | undefined;
  beforeEach(async () => {
    harness = await make();
  });
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });
  return () => {
    if (harness === undefined) throw new Error('no store outside a test');
    return harness.store;
  };
}
