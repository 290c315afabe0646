/**
 * Pair keys among bench devices, made as the protocol makes them: each sender encapsulates to
 * each recipient's current key statement (`establishPairKey`), each recipient decapsulates
 * (`acceptPairKey`) into a real `KeyRing`, and both sides are checked to agree. Senders keep the
 * ciphertexts their first log checkpoint publishes (`offers`). Set up once, untimed.
 */
import type { Device } from '../src/core/device.js';
import { idKey } from '../src/core/devicePublic.js';
import type { PairKeyOffer } from '../src/core/logCheckpoint.js';
import type { PairKeyLookup } from '../src/core/open.js';
import type { SealRecipient } from '../src/core/seal.js';
import { equalBytes } from '../src/crypto/bytes.js';
import { KeyRing } from '../src/sync/keyRing.js';

/** kek(s→r, ref) for chosen ordered pairs of devices. */
export class BenchKeys {
  readonly #sent = new Map<string, SealRecipient>();
  readonly #offers = new Map<string, PairKeyOffer[]>();
  readonly #rings = new Map<string, KeyRing>();

  /** Keys from every one of `senders` to every one of `recipients` (self-pairs included), at `ref`. */
  static between(senders: readonly Device[], recipients: readonly Device[], ref = 1): BenchKeys {
    const keys = new BenchKeys();
    for (const s of senders) for (const r of recipients) keys.establish(s, r, ref);
    return keys;
  }

  /** Establishes kek(sender→recipient, ref) on both sides. */
  establish(sender: Device, recipient: Device, ref: number): void {
    const statement = recipient.epochs.current!.statement;
    const made = sender.establishPairKey(recipient.public, statement, ref);
    const ring = this.#ring(recipient);
    ring.accept(recipient, sender.public, statement.epoch, ref, made.ciphertext);
    if (!equalBytes(ring.get(sender.id, ref)!, made.key)) throw new Error('bench: the two sides derived different pair keys');
    this.#sent.set(idKey(sender.id) + idKey(recipient.id), { card: recipient.public, ref, key: made.key });
    const offers = this.#offers.get(idKey(sender.id)) ?? [];
    offers.push({ recipient: recipient.id, epoch: statement.epoch, ciphertext: made.ciphertext });
    this.#offers.set(idKey(sender.id), offers);
  }

  /** What `sender` seals with for each of `to`, in order. */
  recipients(sender: Device, to: readonly { id: Uint8Array }[]): SealRecipient[] {
    return to.map((r) => {
      const got = this.#sent.get(idKey(sender.id) + idKey(r.id));
      if (got === undefined) throw new Error('bench: no pair key established toward a recipient');
      return got;
    });
  }

  /** The ciphertexts `sender`'s checkpoint at the keys' ref publishes. */
  offers(sender: Device): PairKeyOffer[] {
    return this.#offers.get(idKey(sender.id)) ?? [];
  }

  /** The ring `recipient` opens with (a `KeyRing`, as a replica's). */
  lookup(recipient: Device): PairKeyLookup {
    return this.#ring(recipient);
  }

  #ring(device: Device): KeyRing {
    let ring = this.#rings.get(idKey(device.id));
    if (ring === undefined) {
      ring = new KeyRing();
      this.#rings.set(idKey(device.id), ring);
    }
    return ring;
  }
}
