/**
 * A device's key ring: the pair keys it established toward each recipient (to seal), the pair
 * keys others established toward it (to open), the newest key statement it has verified of each
 * peer, and its own epoch secrets (kept in `device.epochs`). It is the state that makes sealing
 * and opening free of public-key work, and the state that forward secrecy deletes:
 *
 * - A pair key toward a recipient is replaced when the recipient publishes a newer statement,
 *   when this device begins a new epoch, or when either side's static key changes; the old one
 *   is deleted once the new one is published (it seals nothing more).
 * - A pair key from a sender is deleted as soon as that sender publishes a newer one toward
 *   this device: everything the sender sealed under the old key precedes the new one in its log,
 *   so it was already pulled. A newer one the sender made for a card this device rotated away
 *   is derived with that card's kept secret; once the secret is forgotten (past its grace) it
 *   cannot be, and is kept as a stale marker (no key), so that what is sealed under it is
 *   recognised and held for a history grant, not taken for tampering.
 * - A card this device rotated away keeps its secret for a grace period (sealed here with the
 *   epochs): a sender that has not yet seen the rotation makes its key toward that card.
 * - An own epoch secret is deleted a grace period after the next epoch began (`forgetEnded`):
 *   a sender that had not yet seen the new statement may still encapsulate to the old one.
 *
 * The ring is saved sealed (XChaCha20-Poly1305 under `device.storageKey("multikey-sync/v2/key-ring")`)
 * in the device's local store, next to the records it protects.
 */
import { CodecError } from '../errors.js';
import { equalBytes, toHex, wipe } from '../crypto/bytes.js';
import { LABELS } from '../crypto/labels.js';
import { systemRandom } from '../crypto/random.js';
import { decodeValue, encodeCanonical } from '../core/cbor.js';
import type { Device } from '../core/device.js';
import { idKey, type DevicePublic } from '../core/devicePublic.js';
import { decodeKeyStatement, type KeyStatement } from '../core/keyStatement.js';
import type { PairKeyLookup } from '../core/open.js';
import type { SealRecipient } from '../core/seal.js';

/** A pair key this device established toward a recipient. */
export interface SentPairKey {
  readonly recipient: Uint8Array;
  /** The recipient's statement epoch it was made for. */
  readonly recipientEpoch: number;
  /** The recipient's static key at the time (a rotation makes the key stale). */
  readonly recipientKey: Uint8Array;
  /** This device's static key and own epoch at the time. */
  readonly senderKey: Uint8Array;
  readonly ownEpoch: number;
  /** Position of this device's checkpoint that carries `ciphertext`. */
  readonly ref: number;
  readonly key: Uint8Array;
  readonly ciphertext: Uint8Array;
  /** True once the checkpoint at `ref` is on the server. */
  readonly published: boolean;
}

/** A pair key another device established toward this one. */
export interface ReceivedPairKey {
  readonly sender: Uint8Array;
  readonly ref: number;
  /** This device's epoch it was made for. */
  readonly ownEpoch: number;
  /** Null when the sender made it for a card this device has rotated away (`markStale`): nothing opens under it here. */
  readonly key: Uint8Array | null;
}

/** A peer's newest verified key statement and when its checkpoint (or chain entry) was dated. */
export interface PeerStatement {
  readonly statement: KeyStatement;
  readonly at: number;
}

const NONCE_BYTES = 24;

/** The pair keys and peer statements of one device. */
export class KeyRing implements PairKeyLookup {
  readonly #sent = new Map<string, SentPairKey>();
  readonly #received = new Map<string, ReceivedPairKey[]>();
  readonly #peers = new Map<string, PeerStatement>();
  /** Highest own epoch whose statement is published (in the chain, or in an acknowledged checkpoint). */
  publishedEpoch = 0;
  /** Set when a device was removed: the next push begins a new epoch. */
  rollRequested = false;

  // ----- receiving -------------------------------------------------------------------------

  /** kek(sender→this, ref), if held (`open` looks keys up through this). */
  get(sender: Uint8Array, ref: number): Uint8Array | undefined {
    return this.#received.get(idKey(sender))?.find((k) => k.ref === ref)?.key ?? undefined;
  }

  /** True when `sender`'s key at `ref` was made for a card this device rotated away (see {@link KeyRing.markStale}). */
  isStale(sender: Uint8Array, ref: number): boolean {
    return this.#received.get(idKey(sender))?.some((k) => k.ref === ref && k.key === null) ?? false;
  }

  /** The reference of the newest key `sender` established toward this device, if any. */
  newestFrom(sender: Uint8Array): number | undefined {
    const keys = this.#received.get(idKey(sender));
    return keys === undefined || keys.length === 0 ? undefined : keys[keys.length - 1]!.ref;
  }

  /**
   * Derives and keeps the key `sender` established at log position `ref`, and deletes the
   * older keys from that sender (superseded: nothing sealed under them is still to come).
   * `asCard`: the retired card of `device` the sender made it for (it had not seen the rotation).
   * @throws {CryptoError} `EPOCH_KEY_UNKNOWN`, `CARD_KEY_UNKNOWN`, `PEER_KEY_INVALID`; {ValidationError} `PAIR_KEY_INPUT_INVALID`.
   */
  accept(device: Device, sender: DevicePublic, epoch: number, ref: number, ciphertext: Uint8Array, asCard?: DevicePublic): void {
    const key = device.acceptPairKey(sender, epoch, ref, ciphertext, asCard);
    const k = idKey(sender.id);
    this.#replaceFrom(k, { sender: sender.id.slice(), ref, ownEpoch: epoch, key });
  }

  /**
   * Notes that `sender` established a key at `ref` for a card of this device that a rotation
   * has replaced: it supersedes the older keys from `sender` like an accepted one, but opens
   * nothing here (`isStale` says so, and `get` has no key for it).
   */
  markStale(sender: Uint8Array, epoch: number, ref: number): void {
    this.#replaceFrom(idKey(sender), { sender: sender.slice(), ref, ownEpoch: epoch, key: null });
  }

  #replaceFrom(k: string, key: ReceivedPairKey): void {
    for (const old of this.#received.get(k) ?? []) if (old.key !== null) wipe(old.key);
    this.#received.set(k, [key]);
  }

  /** Deletes every key derived from own epoch `epoch` (its secret is about to be forgotten). */
  dropReceivedForEpoch(epoch: number): void {
    for (const [k, keys] of this.#received) {
      const kept = keys.filter((key) => {
        if (key.ownEpoch !== epoch) return true;
        if (key.key !== null) wipe(key.key);
        return false;
      });
      if (kept.length === 0) this.#received.delete(k);
      else this.#received.set(k, kept);
    }
  }

  // ----- sending ---------------------------------------------------------------------------

  /**
   * The key to seal for `recipient` now: the current one if it still fits (made for the
   * recipient's newest statement, this device's current epoch and both current static keys),
   * else a new unpublished one at `nextRef`, replacing it.
   * @throws {CryptoError} `PEER_KEY_INVALID`; {ValidationError} `PAIR_KEY_INPUT_INVALID`.
   */
  sendKey(device: Device, recipient: DevicePublic, statement: KeyStatement, nextRef: number): SealRecipient {
    const k = idKey(recipient.id);
    const ownEpoch = device.epochs.current!.epoch;
    const current = this.#sent.get(k);
    const fits =
      current !== undefined &&
      current.recipientEpoch === statement.epoch &&
      current.ownEpoch === ownEpoch &&
      equalBytes(current.recipientKey, recipient.encryptionKey) &&
      equalBytes(current.senderKey, device.public.encryptionKey);
    if (fits) return { card: recipient, ref: current.ref, key: current.key };
    const made = device.establishPairKey(recipient, statement, nextRef);
    if (current !== undefined) wipe(current.key);
    this.#sent.set(k, {
      recipient: recipient.id.slice(),
      recipientEpoch: statement.epoch,
      recipientKey: recipient.encryptionKey.slice(),
      senderKey: device.public.encryptionKey.slice(),
      ownEpoch,
      ref: nextRef,
      key: made.key,
      ciphertext: made.ciphertext,
      published: false,
    });
    return { card: recipient, ref: nextRef, key: made.key };
  }

  /** Keys established but not yet on the server: their ciphertexts go in the next checkpoint. */
  unpublished(): SentPairKey[] {
    return [...this.#sent.values()].filter((k) => !k.published);
  }

  /** Forgets keys established but never published (their checkpoint position was taken by another). */
  dropUnpublished(): void {
    for (const [k, key] of this.#sent) {
      if (key.published) continue;
      wipe(key.key);
      this.#sent.delete(k);
    }
  }

  /** Marks the keys established at `ref` as published. */
  markPublished(ref: number): void {
    for (const [k, key] of this.#sent) if (key.ref === ref) this.#sent.set(k, { ...key, published: true });
  }

  /** Forgets the key toward a device that left the account. */
  dropSentTo(recipient: Uint8Array): void {
    const k = idKey(recipient);
    const key = this.#sent.get(k);
    if (key !== undefined) wipe(key.key);
    this.#sent.delete(k);
  }

  // ----- peers' statements -----------------------------------------------------------------

  /** The newest statement of `device` this ring has verified, if any. */
  statementOf(device: Uint8Array): PeerStatement | undefined {
    return this.#peers.get(idKey(device));
  }

  /** Records a verified statement of `device` if it is newer than the one held. */
  noteStatement(device: Uint8Array, statement: KeyStatement, at: number): void {
    const held = this.#peers.get(idKey(device));
    if (held === undefined || statement.epoch > held.statement.epoch) this.#peers.set(idKey(device), { statement, at });
  }

  // ----- persistence -----------------------------------------------------------------------

  /** The ring and `device`'s own epochs, sealed for this device's local store. */
  seal(device: Device): Uint8Array {
    const plain = encodeCanonical({
      v: 1,
      own: device.epochs.toBytes(),
      rt: device.retiredToBytes(),
      pe: this.publishedEpoch,
      rr: this.rollRequested,
      s: [...this.#sent.values()].map((k) => ({
        r: k.recipient,
        re: k.recipientEpoch,
        rk: k.recipientKey,
        sk: k.senderKey,
        oe: k.ownEpoch,
        ref: k.ref,
        k: k.key,
        ct: k.ciphertext,
        p: k.published,
      })),
      rc: [...this.#received.values()].flat().map((k) => ({ s: k.sender, ref: k.ref, oe: k.ownEpoch, k: k.key })),
      pr: [...this.#peers.values()].map((p) => ({ st: p.statement.bytes, at: p.at })),
    });
    const key = device.storageKey(LABELS.keyRing);
    const nonce = systemRandom(NONCE_BYTES);
    try {
      const sealed = device.suite.aeadEncrypt(key, nonce, plain, device.id);
      const out = new Uint8Array(NONCE_BYTES + sealed.length);
      out.set(nonce, 0);
      out.set(sealed, NONCE_BYTES);
      return out;
    } finally {
      wipe(key, plain);
    }
  }

  /**
   * Opens a ring sealed by {@link KeyRing.seal} for `device`, restoring its own epochs too.
   * @throws {CodecError} `KEY_RING_MALFORMED` (damaged, or another device's ring).
   */
  static open(device: Device, sealed: Uint8Array): KeyRing {
    const bad = (why: string, cause?: unknown) => new CodecError('KEY_RING_MALFORMED', `saved key ring: ${why}`, cause === undefined ? undefined : { cause });
    if (!(sealed instanceof Uint8Array) || sealed.length < NONCE_BYTES + 16) throw bad('too short');
    const key = device.storageKey(LABELS.keyRing);
    const plain = device.suite.aeadDecrypt(key, sealed.subarray(0, NONCE_BYTES), sealed.subarray(NONCE_BYTES), device.id);
    wipe(key);
    if (plain === null) throw bad('it does not open with this device\'s key');
    let o: Record<string, unknown>;
    try {
      o = decodeValue(plain, { maxDepth: 4, maxItems: 1_000_000, maxBytes: 64 * 1024 * 1024, maxStringBytes: 64 * 1024 }) as Record<string, unknown>;
    } catch (cause) {
      throw bad('it does not decode', cause);
    } finally {
      wipe(plain);
    }
    if (typeof o !== 'object' || o === null || o.v !== 1 || !(o.own instanceof Uint8Array) || typeof o.pe !== 'number') throw bad('unknown layout');
    const ring = new KeyRing();
    try {
      device.epochs.restore(device, o.own);
      if (o.rt instanceof Uint8Array) device.restoreRetired(o.rt);
      ring.publishedEpoch = o.pe;
      ring.rollRequested = o.rr === true;
      for (const s of o.s as Record<string, unknown>[]) {
        ring.#sent.set(idKey(s.r as Uint8Array), {
          recipient: s.r as Uint8Array,
          recipientEpoch: s.re as number,
          recipientKey: s.rk as Uint8Array,
          senderKey: s.sk as Uint8Array,
          ownEpoch: s.oe as number,
          ref: s.ref as number,
          key: s.k as Uint8Array,
          ciphertext: s.ct as Uint8Array,
          published: s.p === true,
        });
      }
      for (const r of o.rc as Record<string, unknown>[]) {
        const k = idKey(r.s as Uint8Array);
        const list = ring.#received.get(k) ?? [];
        list.push({ sender: r.s as Uint8Array, ref: r.ref as number, ownEpoch: r.oe as number, key: (r.k as Uint8Array | null | undefined) ?? null });
        list.sort((a, b) => a.ref - b.ref);
        ring.#received.set(k, list);
      }
      for (const p of o.pr as Record<string, unknown>[]) {
        const statement = decodeKeyStatement(p.st as Uint8Array);
        ring.#peers.set(idKey(statement.deviceId), { statement, at: p.at as number });
      }
    } catch (cause) {
      throw bad(`a part is malformed (${toHex(device.id).slice(0, 8)})`, cause);
    }
    return ring;
  }
}
