/**
 * Pair keys among test devices, established the way the protocol does it (each sender
 * encapsulates to each recipient's current key statement; each recipient decapsulates), and
 * checked to agree on both sides, so core tests can seal and open without a log.
 */
import type { Device } from '../../src/core/device.js';
import { idKey } from '../../src/core/devicePublic.js';
import type { PairKeyLookup } from '../../src/core/open.js';
import type { SealRecipient } from '../../src/core/seal.js';
import { toHex } from '../../src/crypto/bytes.js';

export class TestKeys {
  readonly #sent = new Map<string, SealRecipient>();
  readonly #received = new Map<string, Uint8Array>();

  /** Establishes kek(s→r, ref) for every ordered pair of `devices` (self-pairs included). */
  static among(devices: readonly Device[], ref = 1): TestKeys {
    const keys = new TestKeys();
    for (const s of devices) for (const r of devices) keys.establish(s, r, ref);
    return keys;
  }

  /** Establishes kek(sender→recipient, ref) on both sides. */
  establish(sender: Device, recipient: Device, ref: number): void {
    const statement = recipient.epochs.current!.statement;
    const made = sender.establishPairKey(recipient.public, statement, ref);
    const accepted = recipient.acceptPairKey(sender.public, statement.epoch, ref, made.ciphertext);
    if (toHex(accepted) !== toHex(made.key)) throw new Error('the two sides derived different pair keys');
    this.#sent.set(idKey(sender.id) + idKey(recipient.id), { card: recipient.public, ref, key: made.key });
    this.#received.set(idKey(recipient.id) + idKey(sender.id) + ':' + ref, accepted);
  }

  /** What `sender` seals with for `to`. */
  recipients(sender: Device, to: readonly Device[]): SealRecipient[] {
    return to.map((r) => {
      const got = this.#sent.get(idKey(sender.id) + idKey(r.id));
      if (got === undefined) throw new Error('no pair key established');
      return got;
    });
  }

  /** The pair keys `recipient` derived, as `open` looks them up. */
  lookup(recipient: Device): PairKeyLookup {
    return { get: (sender, ref) => this.#received.get(idKey(recipient.id) + idKey(sender) + ':' + ref) };
  }
}
