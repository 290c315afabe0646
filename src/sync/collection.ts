/**
 * A typed view of one collection of a replica: put, get, list, delete. Values are validated at
 * the edge (a bad value throws its typed error and nothing is stored or queued).
 *
 * A record is named by its 16-byte id (random, from `put`) or by a string key of the app's
 * choosing (`put(value, 'alice@example.com')`), whose id is derived under the account's naming
 * key (recordKey.ts): the key itself is sealed in the record's body and never leaves it.
 */
import { ValidationError } from '../errors.js';
import { relocateCborError } from '../core/cborValue.js';
import { resolveCollectionLimits, type CollectionLimits, type ValueLimits } from './collectionLimits.js';
import type { LocalRecord } from './localStore.js';

/** How a collection behaves. */
export interface CollectionOptions<T> {
  /** Checks and normalises a value before it is stored; throws a typed error for a bad one. */
  validate?: (value: unknown) => T;
  /** The time a record sorts and filters by (default: when it was written). */
  sortTime?: (value: T) => number;
  /** Keep records this many days after their sort time; then they vanish locally and on the server. */
  retentionDays?: number;
  /** Sync this collection (default true); false keeps it on this device only. */
  sync?: boolean;
  /**
   * Combines two values written concurrently (docs/api.md, "Conflicts"): `older` and `newer` in
   * the reader order. The replica writes the result as a new write over `newer`. It must be
   * deterministic (same inputs, same value, on every device), so devices that merge the same
   * pair agree and stop; a value equal to `newer` writes nothing. Not called for deletes.
   */
  merge?: (older: T, newer: T) => T;
  /**
   * How large a value may be (defaults: 1 MiB encoded, 64 KiB per string or byte string,
   * 10,000 items), each up to `LIMITS_CEILING` (a body that fits a 4 MiB envelope). Other
   * devices read what this one writes whatever their own limits.
   */
  limits?: CollectionLimits;
}

/** One record of a collection. */
export interface Entry<T> {
  id: Uint8Array;
  /** The string key the record was put under, if it was. */
  key?: string;
  value: T;
  sortTime: number;
}

/** A record's name: its id, or the string key it was put under. */
export type RecordRef = Uint8Array | string;

/** Filters for {@link Collection.list}. */
export interface ListFilter<T> {
  /** Sort time from (inclusive), ms. */
  from?: number;
  /** Sort time to (exclusive), ms. */
  to?: number;
  order?: 'asc' | 'desc';
  /** At most this many entries (default: all). */
  limit?: number;
  /** Keep only values for which this returns true. */
  where?: (value: T) => boolean;
}

/** What a collection needs from its replica. */
export interface CollectionHost {
  write<T>(collection: string, options: CollectionOptions<T>, limits: ValueLimits, ref: RecordRef | undefined, value: T | undefined): Promise<Uint8Array>;
  /** The record under `ref`; null when there is none (or no naming key, so no keyed record). */
  read(collection: string, ref: RecordRef): Promise<LocalRecord | null>;
  page(collection: string, filter: { from?: number; to?: number; order?: 'asc' | 'desc'; after?: string; limit: number }): Promise<{
    records: LocalRecord[];
    next: string | null;
  }>;
  count(collection: string): Promise<number>;
}

const PAGE = 500;

/** A typed collection. Get one from `replica.collection(name, options)`. */
export class Collection<T> {
  readonly name: string;
  readonly options: Readonly<CollectionOptions<T>>;
  readonly #host: CollectionHost;
  readonly #limits: ValueLimits;

  /** @throws {UsageError} `COLLECTION_LIMITS_INVALID` for limits that are not integers from 1 to their ceiling. */
  constructor(host: CollectionHost, name: string, options: CollectionOptions<T>) {
    this.#host = host;
    this.name = name;
    this.options = options;
    this.#limits = resolveCollectionLimits(options.limits);
  }

  /**
   * Stores `value` and queues it for every device: a new record (no `ref`), a new revision of
   * record `ref` (its id), or the record under the string key `ref`. A CBOR refusal names the
   * field and the limit (`… a byte string (Uint8Array) of 200000 bytes is over 65536 bytes
   * (maxStringBytes) (at value.photo)`).
   * @returns the record id.
   * @throws {ValidationError} `PUT_VALUE_UNDEFINED` for `undefined` (to delete, call
   *   {@link Collection.delete}); the validator's typed error (e.g. `CALL_PEER_INVALID`);
   *   `CBOR_UNSUPPORTED_VALUE`, `CBOR_LIMIT_EXCEEDED` (over the collection's limits);
   *   `RECORD_KEY_INVALID` for a key that is not a string of 1 to 1024 UTF-8 bytes.
   * @throws `NAMING_KEY_PENDING` for a string key, while the account's naming key has not reached this device.
   * @throws `FORK_ALARM` while the server is distrusted.
   */
  async put(value: T, ref?: RecordRef): Promise<Uint8Array> {
    if (value === undefined) {
      throw new ValidationError('PUT_VALUE_UNDEFINED', 'put(undefined) is refused: it would delete the record on every device; call delete(id) to delete');
    }
    try {
      return await this.#host.write(this.name, this.options, this.#limits, ref, value);
    } catch (error) {
      // The sync layer seals the value under the body's `v` field (recordBody.ts).
      throw relocateCborError(error, 'value', ['v']);
    }
  }

  /**
   * The value of the record under `ref` (an id or a string key), or undefined if there is none
   * (or it was deleted).
   * @throws `NAMING_KEY_PENDING`, `RECORD_KEY_INVALID` for a string key (see {@link Collection.put}).
   */
  async get(ref: RecordRef): Promise<T | undefined> {
    const record = await this.#host.read(this.name, ref);
    return record === null || record.deleted ? undefined : (record.value as T);
  }

  /**
   * Deletes the record under `ref` on every device (a tombstone); false if there was nothing to delete.
   * @throws `NAMING_KEY_PENDING`, `RECORD_KEY_INVALID` for a string key.
   */
  async delete(ref: RecordRef): Promise<boolean> {
    const record = await this.#host.read(this.name, ref);
    if (record === null || record.deleted) return false;
    await this.#host.write(this.name, this.options, this.#limits, record.recordId, undefined);
    return true;
  }

  /**
   * Entries in sort-time order, streamed page by page (memory stays flat).
   * @throws {ValidationError} `LIST_FILTER_INVALID` for a `limit` that is not an integer ≥ 0, a
   *   `from`/`to` that is not a finite number, an unknown `order` or a `where` that is not a function.
   */
  async *entries(filter: ListFilter<T> = {}): AsyncGenerator<Entry<T>> {
    checkFilter(filter);
    let after: string | undefined;
    let left = filter.limit ?? Infinity;
    if (left === 0) return;
    for (;;) {
      const page = await this.#host.page(this.name, {
        ...(filter.from === undefined ? {} : { from: filter.from }),
        ...(filter.to === undefined ? {} : { to: filter.to }),
        order: filter.order ?? 'desc',
        ...(after === undefined ? {} : { after }),
        limit: PAGE,
      });
      for (const r of page.records) {
        const value = r.value as T;
        if (filter.where !== undefined && !filter.where(value)) continue;
        yield typeof r.key === 'string' ? { id: r.recordId, key: r.key, value, sortTime: r.sortTime } : { id: r.recordId, value, sortTime: r.sortTime };
        if (--left <= 0) return;
      }
      if (page.next === null) return;
      after = page.next;
    }
  }

  /**
   * Entries matching `filter`, collected into an array (mind `limit` on large collections).
   * @throws {ValidationError} `LIST_FILTER_INVALID` (see {@link Collection.entries}).
   */
  async list(filter: ListFilter<T> = {}): Promise<Entry<T>[]> {
    const out: Entry<T>[] = [];
    for await (const e of this.entries(filter)) out.push(e);
    return out;
  }

  /** Number of live records. */
  count(): Promise<number> {
    return this.#host.count(this.name);
  }
}

function checkFilter<T>(filter: ListFilter<T>): void {
  const bad = (why: string): never => {
    throw new ValidationError('LIST_FILTER_INVALID', `list filter: ${why}`);
  };
  if (typeof filter !== 'object' || filter === null) bad('must be an object');
  const { limit, from, to, order, where } = filter;
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0) && limit !== Infinity) bad('limit must be an integer ≥ 0');
  for (const [name, t] of [['from', from], ['to', to]] as const) if (t !== undefined && !Number.isFinite(t)) bad(`${name} must be a finite number of ms`);
  if (order !== undefined && order !== 'asc' && order !== 'desc') bad('order must be "asc" or "desc"');
  if (where !== undefined && typeof where !== 'function') bad('where must be a function');
}
