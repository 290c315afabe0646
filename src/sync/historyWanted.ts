/**
 * Whether this device needs a history hand-off, and since where. Every envelope it holds (it
 * cannot open it: sealed before it joined, while it was away, or for a card it rotated away)
 * is noted by its sender's log position. A hand-off that arrives afterwards covers what its
 * grantor had seen: the grantor's checkpoint carrying the bundle names, in its seen heads, how
 * far it had read each log when it made the grants (and its own log runs up to the bundle).
 * What it had seen, it granted (or chose not to, with a bounded hand-off); what it had not
 * seen is still wanted, and so is anything held after the hand-off arrived. The next push asks
 * for history when something is wanted, and only then.
 *
 * Nothing here can be made to look covered by the server: seen heads are signed by the
 * grantor, and a bundle the server withholds is a claim it owes (RECORDS_WITHHELD) that leaves
 * the want in place. Kept in the local store as canonical CBOR: sender (hex) → highest held
 * position not yet covered.
 */
import { CodecError } from '../errors.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import { decodeValue, encodeCanonical } from '../core/cbor.js';
import type { SeenHead } from '../core/logCheckpoint.js';

/** Held positions not yet covered by a hand-off, by sender. */
export class HistoryWanted {
  readonly #wanted = new Map<string, number>();
  #changed = false;

  /** True when an envelope is held that no hand-off has covered. */
  get any(): boolean {
    return this.#wanted.size > 0;
  }

  /** This device holds `sender`'s envelope logged at `position`. */
  held(sender: Uint8Array, position: number): void {
    const key = toHex(sender);
    if ((this.#wanted.get(key) ?? 0) >= position) return;
    this.#wanted.set(key, position);
    this.#changed = true;
  }

  /**
   * A grant bundle from `grantor`, logged at `position` of its log with these seen heads, was
   * opened here: what the grantor had seen when it made it is covered.
   */
  handedOver(grantor: Uint8Array, position: number, seen: readonly SeenHead[]): void {
    const covered = new Map<string, number>([[toHex(grantor), position - 1]]);
    for (const head of seen) covered.set(toHex(head.device), head.position);
    for (const [key, upTo] of this.#wanted) {
      if ((covered.get(key) ?? 0) < upTo) continue;
      this.#wanted.delete(key);
      this.#changed = true;
    }
  }

  /** The request went out: nothing held so far is wanted any more. */
  asked(): void {
    if (this.#wanted.size === 0) return;
    this.#wanted.clear();
    this.#changed = true;
  }

  /** True once after each change (the caller saves it then). */
  takeChanged(): boolean {
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  /** Canonical CBOR for the local store. */
  toBytes(): Uint8Array {
    return encodeCanonical({ v: 1, w: Object.fromEntries(this.#wanted) });
  }

  /**
   * A value saved by {@link HistoryWanted.toBytes}; nothing wanted for null.
   * @throws {CodecError} `HISTORY_WANTED_CORRUPT`.
   */
  static fromBytes(bytes: Uint8Array | null): HistoryWanted {
    const out = new HistoryWanted();
    if (bytes === null) return out;
    try {
      const o = decodeValue(bytes, { maxBytes: bytes.length, maxItems: bytes.length }) as { v: unknown; w: Record<string, unknown> };
      if (o.v !== 1 || typeof o.w !== 'object' || o.w === null) throw new Error('layout');
      for (const [hex, position] of Object.entries(o.w)) {
        fromHex(hex);
        if (!Number.isSafeInteger(position) || (position as number) < 1) throw new Error('position');
        out.#wanted.set(hex, position as number);
      }
    } catch (cause) {
      throw new CodecError('HISTORY_WANTED_CORRUPT', 'the saved history want does not decode', { cause });
    }
    return out;
  }
}
