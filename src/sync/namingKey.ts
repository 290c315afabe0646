/**
 * The account's naming key: 32 random bytes that string keys are hashed under (recordKey.ts).
 * It is a record like any other — collection `$account`, the all-zero record id, value
 * `{ n: key }` — so it is sealed to every device at push time and handed to new devices with
 * the history, and the server sees one more envelope and nothing else.
 *
 * Who creates it: the first device that writes a string key when it holds none and knows none
 * exists: no verified log claims the naming-key record, and the device is the account's first
 * or has pulled at least once (so it has read every log there is). A device that knows one exists but has not received it yet (a
 * new device before its history arrives) gets `NAMING_KEY_PENDING` rather than a key of its own.
 *
 * Two devices offline from each other can still both create one. Both records share the fixed
 * id, so the record version order picks one winner on every device, like any concurrent write.
 * A device whose naming key is replaced remembers the old one as *lost*; records homed under a
 * lost key are moved to the id the winning key gives (replica re-homing). Only lost keys are
 * moved from: a record homed under a key this device has not seen yet may be homed under the
 * eventual winner, and moving it would undo the re-homing of the device that wrote it.
 */
import { CodecError, MultikeySyncError } from '../errors.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decodeValue, encodeCanonical } from '../core/cbor.js';
import { RECORD_ID_BYTES } from '../core/envelopeFormat.js';
import type { LocalStore } from './localStore.js';
import { ACCOUNT_COLLECTION } from './recordBody.js';
import { recordIdOfKey } from './recordKey.js';

/** The record id of the naming key: all zero (random and derived ids are never zero in practice). */
export const NAMING_KEY_RECORD_ID = new Uint8Array(RECORD_ID_BYTES);
/** Bytes in a naming key. */
export const NAMING_KEY_BYTES = 32;
const STATE_KEY = 'naming/state';
/** Lost keys remembered; each one is one more concurrent creation, so a handful at most. */
const MAX_LOST = 16;

/** What the naming key needs from the replica. */
export interface NamingHost {
  readonly store: LocalStore;
  suite(): CryptoProvider;
  /** True for the account's first device, which may create the naming key before it has pulled. */
  isFirstDevice(): boolean;
  /** Writes the naming-key record (queued for every device). */
  create(value: { n: Uint8Array }): Promise<void>;
  random(length: number): Uint8Array;
}

/** The value of the naming-key record, or null when it is not one. */
export function readNamingKey(value: unknown): Uint8Array | null {
  const n = (value as { n?: unknown } | null)?.n;
  return typeof value === 'object' && value !== null && n instanceof Uint8Array && n.length === NAMING_KEY_BYTES ? n : null;
}

/** The naming key of one replica, and the keys it replaced. */
export class NamingKeys {
  readonly #host: NamingHost;
  #key: Uint8Array | null | undefined;
  #lost: Uint8Array[] = [];
  /** Collections scanned for records under a lost key since the last loss. */
  #scanned = new Set<string>();
  #creating: Promise<Uint8Array> | undefined;
  #loaded = false;
  /** This device has finished a pull. */
  #pulled = false;

  constructor(host: NamingHost) {
    this.#host = host;
  }

  /**
   * The record id of `key` in `collection`, creating the naming key first when `create` and
   * none exists; null when none exists and `create` is false (no record can have that key).
   * @throws `NAMING_KEY_PENDING` when the account has a naming key this device has not received.
   * @throws {CodecError} `NAMING_KEY_INVALID` when the stored naming-key record is not one.
   */
  async idFor(collection: string, key: string, create: boolean): Promise<Uint8Array | null> {
    const namingKey = (await this.current()) ?? (await this.#whenAbsent(create));
    return namingKey === null ? null : recordIdOfKey(this.#host.suite(), namingKey, collection, key);
  }

  /** The naming key this replica holds, or null. */
  async current(): Promise<Uint8Array | null> {
    await this.#load();
    if (this.#key === undefined) this.#key = await this.#read();
    return this.#key;
  }

  /**
   * Re-reads the naming key after a pull. When another replaced the one held, the old one is
   * lost (records under it are re-homed) and every collection is to be scanned again.
   * @returns true when a key was lost.
   */
  async refresh(): Promise<boolean> {
    await this.#load();
    const before = this.#key;
    this.#key = await this.#read();
    if (before === undefined || before === null || this.#key === null || equalBytes(before, this.#key)) return false;
    this.#lost = [...this.#lost.filter((k) => !equalBytes(k, before)), before].slice(-MAX_LOST);
    this.#scanned.clear();
    await this.#save();
    return true;
  }

  /** A pull finished: this device has read every log, so it knows whether a naming key exists. */
  async notePulled(): Promise<void> {
    await this.#load();
    if (this.#pulled) return;
    this.#pulled = true;
    await this.#save();
  }

  /** True when some key was lost: collections may hold records to re-home. */
  get hasLost(): boolean {
    return this.#lost.length > 0;
  }

  /** True when `recordId` is where a lost naming key homed `key` in `collection`. */
  homedUnderLost(collection: string, key: string, recordId: Uint8Array): boolean {
    const suite = this.#host.suite();
    return this.#lost.some((lost) => equalBytes(recordIdOfKey(suite, lost, collection, key), recordId));
  }

  /** True when `collection` needs a scan for records under a lost key. */
  needsScan(collection: string): boolean {
    return this.#lost.length > 0 && !this.#scanned.has(collection);
  }

  /** Records `collection` as scanned (true) or to be scanned again (false). */
  async markScanned(collection: string, scanned: boolean): Promise<void> {
    if (scanned === this.#scanned.has(collection)) return;
    if (scanned) this.#scanned.add(collection);
    else this.#scanned.delete(collection);
    await this.#save();
  }

  async #whenAbsent(create: boolean): Promise<Uint8Array | null> {
    const host = this.#host;
    const known = (await host.store.getVersions([NAMING_KEY_RECORD_ID])).get(toHex(NAMING_KEY_RECORD_ID));
    if (known?.claim != null || known?.have != null || !(this.#pulled || host.isFirstDevice())) {
      throw new MultikeySyncError(
        'NAMING_KEY_PENDING',
        'this account has a naming key this device has not received yet: sync again once the history has been handed to it',
      );
    }
    if (!create) return null;
    this.#creating ??= (async () => {
      const namingKey = host.random(NAMING_KEY_BYTES);
      await host.create({ n: namingKey });
      this.#key = namingKey;
      return namingKey;
    })().finally(() => {
      this.#creating = undefined;
    });
    return this.#creating;
  }

  async #read(): Promise<Uint8Array | null> {
    const record = await this.#host.store.getRecord(ACCOUNT_COLLECTION, NAMING_KEY_RECORD_ID);
    if (record === null || record.deleted) return null;
    const key = readNamingKey(record.value);
    if (key === null) throw new CodecError('NAMING_KEY_INVALID', 'the account\'s naming-key record is not 32 bytes under "n"');
    return key;
  }

  async #load(): Promise<void> {
    if (this.#loaded) return;
    const bytes = await this.#host.store.getMeta(STATE_KEY);
    if (bytes !== null) {
      const state = decodeValue(bytes) as { l: Uint8Array[]; s: string[]; p: boolean };
      this.#lost = state.l;
      this.#scanned = new Set(state.s);
      this.#pulled = state.p;
    }
    this.#loaded = true;
  }

  async #save(): Promise<void> {
    await this.#host.store.setMeta(STATE_KEY, encodeCanonical({ l: this.#lost, s: [...this.#scanned], p: this.#pulled }));
  }
}
