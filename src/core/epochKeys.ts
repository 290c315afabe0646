/**
 * A device's own X-Wing secrets, one per epoch. Other devices establish pair keys toward the
 * newest epoch's public key (its key statement); the device keeps an older epoch's seed only
 * until the pair keys made toward it have served their grace period, then forgets it, which is
 * what makes a device key stolen later useless against what was sealed to the forgotten epoch.
 *
 * Seeds are 32 fresh random bytes each (the recovery pseudo-device, which never rolls, is the
 * one exception: its epoch-0 seed comes from the recovery words). Forgetting overwrites the
 * seed; JavaScript cannot promise that no other copy survives in memory.
 */
import { CodecError, UsageError } from '../errors.js';
import { decodeValue, encodeCanonical } from './cbor.js';
import type { Device } from './device.js';
import { decodeKeyStatement, makeKeyStatement, MAX_EPOCH, type KeyStatement } from './keyStatement.js';

/** One epoch of this device. */
export interface OwnEpoch {
  readonly epoch: number;
  /** The X-Wing secret seed (32 bytes). Do not keep references to it: forgetting wipes it. */
  readonly seed: Uint8Array;
  readonly statement: KeyStatement;
  /** ms since 1970 (this device's clock) when the epoch began. */
  readonly startedAt: number;
  /** ms since 1970 when the next epoch began; undefined while current. */
  readonly endedAt?: number;
}

/** Most epochs kept at once (current and those within their grace period). */
const MAX_KEPT = 64;

/** This device's epoch secrets, newest last. */
export class EpochKeys {
  #epochs: OwnEpoch[] = [];

  /** The newest epoch, or undefined when none is known (a device restored without its key ring). */
  get current(): OwnEpoch | undefined {
    return this.#epochs[this.#epochs.length - 1];
  }

  /** The epoch numbered `epoch`, if its seed is still kept. */
  get(epoch: number): OwnEpoch | undefined {
    return this.#epochs.find((e) => e.epoch === epoch);
  }

  /** Every kept epoch, oldest first. */
  all(): readonly OwnEpoch[] {
    return this.#epochs.slice();
  }

  /**
   * Starts the next epoch (epoch 0 when none is known) with `seed`, signing its statement with
   * `device`; the previous epoch is marked ended at `now` but kept until {@link EpochKeys.forget}.
   * @throws {UsageError} `EPOCH_KEYS_FULL` when 64 epochs are kept (forget old ones first);
   *   `EPOCH_EXHAUSTED` past epoch 2^32−1.
   */
  begin(device: Device, seed: Uint8Array, now: number): OwnEpoch {
    if (this.#epochs.length >= MAX_KEPT) throw new UsageError('EPOCH_KEYS_FULL', `at most ${MAX_KEPT} epochs are kept; forget ended ones first`);
    const last = this.current;
    const epoch = last === undefined ? 0 : last.epoch + 1;
    if (epoch > MAX_EPOCH) throw new UsageError('EPOCH_EXHAUSTED', 'no epoch number is left');
    const own: OwnEpoch = { epoch, seed: seed.slice(), statement: makeKeyStatement(device, epoch, seed), startedAt: now };
    if (last !== undefined) this.#epochs[this.#epochs.length - 1] = { ...last, endedAt: now };
    this.#epochs.push(own);
    return own;
  }

  /**
   * Forgets (and wipes) an ended epoch's seed. The current epoch cannot be forgotten.
   * @returns false when the epoch was not kept.
   * @throws {UsageError} `EPOCH_CURRENT` for the current epoch.
   */
  forget(epoch: number): boolean {
    const at = this.#epochs.findIndex((e) => e.epoch === epoch);
    if (at < 0) return false;
    if (at === this.#epochs.length - 1) throw new UsageError('EPOCH_CURRENT', 'the current epoch cannot be forgotten; begin the next one first');
    this.#epochs[at]!.seed.fill(0);
    this.#epochs.splice(at, 1);
    return true;
  }

  /** Wipes every seed. */
  wipe(): void {
    for (const e of this.#epochs) e.seed.fill(0);
    this.#epochs = [];
  }

  /**
   * The kept epochs as canonical CBOR, secrets included: seal it before storing it (the sync
   * layer keeps it in the key ring, sealed under a key derived from the device's secrets).
   */
  toBytes(): Uint8Array {
    return encodeCanonical({
      v: 1,
      e: this.#epochs.map((e) => ({ n: e.epoch, s: e.seed, k: e.statement.bytes, a: e.startedAt, ...(e.endedAt === undefined ? {} : { z: e.endedAt }) })),
    });
  }

  /**
   * Replaces the kept epochs with those saved by {@link EpochKeys.toBytes}. Each statement must
   * be this device's and match its seed.
   * @throws {CodecError} `EPOCH_KEYS_MALFORMED`.
   */
  restore(device: Device, bytes: Uint8Array): void {
    const bad = (why: string) => new CodecError('EPOCH_KEYS_MALFORMED', `saved epoch keys: ${why}`);
    let value: unknown;
    try {
      value = decodeValue(bytes, { maxDepth: 3, maxItems: 16 + MAX_KEPT * 12, maxBytes: 64 + MAX_KEPT * 1500 });
    } catch (cause) {
      throw new CodecError('EPOCH_KEYS_MALFORMED', 'saved epoch keys do not decode', { cause });
    }
    const o = value as { v?: unknown; e?: unknown };
    if (typeof o !== 'object' || o === null || o.v !== 1 || !Array.isArray(o.e) || o.e.length > MAX_KEPT) throw bad('not a list of epochs');
    const epochs: OwnEpoch[] = [];
    for (const item of o.e as Record<string, unknown>[]) {
      const { n, s, k, a, z } = item ?? {};
      if (!isUint(n) || !(s instanceof Uint8Array) || s.length !== 32 || !(k instanceof Uint8Array) || !isUint(a) || (z !== undefined && !isUint(z))) {
        throw bad('an epoch has the wrong shape');
      }
      const statement = decodeKeyStatement(k);
      const fresh = makeKeyStatement(device, n, s);
      if (statement.epoch !== n || fresh.bytes.length !== statement.bytes.length || !fresh.bytes.every((b, i) => b === statement.bytes[i])) {
        throw bad(`epoch ${n} does not belong to this device and seed`);
      }
      if (epochs.length > 0 && epochs[epochs.length - 1]!.epoch >= n) throw bad('epochs out of order');
      epochs.push({ epoch: n, seed: s.slice(), statement, startedAt: a, ...(z === undefined ? {} : { endedAt: z }) });
    }
    this.wipe();
    this.#epochs = epochs;
  }
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
