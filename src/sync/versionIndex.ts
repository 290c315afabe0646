/**
 * The reader's version index, one entry per record id: the newest version a verified sender log
 * claims, the newest version this device received with the claimed hash, and the highest
 * logged purge. It decides three things:
 *
 * - whether a pulled envelope is logged at all (its hash must be the claim's);
 * - whether a claim's revision is plausible: at most {@link MAX_REVISION_STEP} above every
 *   revision known for the record, so no writer can run a record up to 2^32 − 1 (exhausting it
 *   takes 65,536 logged writes);
 * - at the end of a pull, which claims were withheld: claimed, newer than what was received,
 *   not purged, not past the day the server may collect it.
 *
 * Entries for one pull page are loaded once (`getVersions`), changed here in memory, and stored
 * with the page (`applyRemote` extras), so the index never runs ahead of or behind the cursor.
 */
import { toHex } from '../crypto/bytes.js';
import type { LocalStore, VersionClaim, VersionEntry } from './localStore.js';
import type { Version } from './version.js';
import { compareVersions } from './version.js';

/** Largest revision step a claim may take over everything known for its record. */
export const MAX_REVISION_STEP = 0x1_0000;
const DAY_MS = 86_400_000;

function newer(a: Version | null, b: Version | null): Version | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareVersions(a, b) >= 0 ? a : b;
}

/** True when the claim is still owed: not received (or superseded by what was), not purged, not collectable. */
export function isWithheld(entry: VersionEntry, now: number): boolean {
  const claim = entry.claim;
  if (claim === null) return false;
  if (claim.revision <= entry.purgedUpTo) return false;
  // The server drops an envelope whose expiry day is before its today; allow a day of clock difference.
  if (claim.expiryDay !== 0 && claim.expiryDay <= Math.floor(now / DAY_MS) + 1) return false;
  return entry.have === null || compareVersions(entry.have, claim) < 0;
}

/** The index entries of one pull page: loaded once, changed in memory, stored with the page. */
export class IndexBatch {
  readonly #entries = new Map<string, VersionEntry>();
  readonly #changed = new Set<string>();

  /** Loads the entries of `recordIds` (those not loaded yet). */
  async load(store: LocalStore, recordIds: readonly Uint8Array[]): Promise<void> {
    const missing = recordIds.filter((id) => !this.#entries.has(toHex(id)));
    if (missing.length === 0) return;
    const found = await store.getVersions(missing);
    for (const id of missing) {
      const hex = toHex(id);
      this.#entries.set(hex, found.get(hex) ?? { recordId: id.slice(), claim: null, have: null, purgedUpTo: 0 });
    }
  }

  /** The entry of a loaded record id. */
  entry(recordId: Uint8Array): VersionEntry {
    const hex = toHex(recordId);
    const entry = this.#entries.get(hex);
    if (entry === undefined) throw new Error('index entry not loaded');
    return entry;
  }

  /**
   * Records a verified, authorised claim. Returns false, changing nothing, when its revision
   * jumps more than {@link MAX_REVISION_STEP} over everything known for the record.
   */
  claim(claim: VersionClaim & { recordId: Uint8Array }): boolean {
    const entry = this.entry(claim.recordId);
    const known = Math.max(entry.claim?.revision ?? 0, entry.have?.revision ?? 0, entry.purgedUpTo);
    if (claim.revision > known + MAX_REVISION_STEP) return false;
    const { recordId: _id, ...rest } = claim;
    const best = entry.claim === null || compareVersions(rest, entry.claim) > 0 ? rest : entry.claim;
    this.#set({ ...entry, claim: best });
    return true;
  }

  /** Records that the version `version` of the record was received with its claimed hash. */
  received(recordId: Uint8Array, version: Version): void {
    const entry = this.entry(recordId);
    this.#set({ ...entry, have: newer(entry.have, { revision: version.revision, sender: version.sender.slice() }) });
  }

  /** Records a logged purge of the record up to `upTo`. */
  purged(recordId: Uint8Array, upTo: number): void {
    const entry = this.entry(recordId);
    if (upTo > entry.purgedUpTo) this.#set({ ...entry, purgedUpTo: upTo });
  }

  /** Drops the claim of a record (its claimant lost its authority for that position). */
  voidClaim(recordId: Uint8Array): void {
    const entry = this.entry(recordId);
    if (entry.claim !== null) this.#set({ ...entry, claim: null });
  }

  /** The entries changed since loading, to store with the page. */
  changes(): VersionEntry[] {
    return [...this.#changed].map((hex) => this.#entries.get(hex)!);
  }

  /**
   * The changes are stored (with their page): forgets every entry, so the next page loads what
   * it needs from the store again. Without it, each page would store again every entry changed
   * by the pages before it, and a long pull would hold all its entries in memory.
   */
  committed(): void {
    this.#entries.clear();
    this.#changed.clear();
  }

  #set(entry: VersionEntry): void {
    const hex = toHex(entry.recordId);
    this.#entries.set(hex, entry);
    this.#changed.add(hex);
  }
}
