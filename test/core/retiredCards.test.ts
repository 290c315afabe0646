/**
 * A device keeps the secrets of cards it rotated away (Device.retiredCards): a peer that has not
 * seen the rotation makes its pair key toward the old card, and that key must come out the
 * same on both sides; a key toward any other card must not.
 */
import { describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { encodeCanonical } from '../../src/core/cbor.js';
import { BACKENDS, makeDevices } from '../support/devices.js';
import { codeOf } from '../support/codeOf.js';

describe.each(BACKENDS)('retired cards on the %s backend', (backend) => {
  it('a pair key made toward the card a device rotated away derives the same on the rotated device, and only as that card', async () => {
    const [laptop, phone] = await makeDevices(2, backend);
    const oldCard = laptop!.public;
    const statement = laptop!.epochs.current!.statement;
    const rotated = laptop!.rotateEncryptionKey(undefined, 1_000);
    expect(rotated.retiredCards()).toEqual([{ card: oldCard, retiredAt: 1_000 }]);
    // The phone has not seen the rotation: it keys toward the old card.
    const made = phone!.establishPairKey(oldCard, statement, 7);
    expect(rotated.acceptPairKey(phone!.public, statement.epoch, 7, made.ciphertext, oldCard)).toEqual(made.key);
    // Taken as the current card, it derives another key: what is sealed under one does not open under the other.
    expect(rotated.acceptPairKey(phone!.public, statement.epoch, 7, made.ciphertext)).not.toEqual(made.key);
    // A key toward the current card is unaffected.
    const toNew = phone!.establishPairKey(rotated.public, statement, 8);
    expect(rotated.acceptPairKey(phone!.public, statement.epoch, 8, toNew.ciphertext)).toEqual(toNew.key);
    expect(rotated.acceptPairKey(phone!.public, statement.epoch, 8, toNew.ciphertext, rotated.public)).toEqual(toNew.key);
  });

  it('a card that is not a kept retired card of this device is refused (CARD_KEY_UNKNOWN), and a forgotten one is gone', async () => {
    const [laptop, phone] = await makeDevices(2, backend);
    const oldCard = laptop!.public;
    const statement = laptop!.epochs.current!.statement;
    const rotated = laptop!.rotateEncryptionKey();
    const made = phone!.establishPairKey(oldCard, statement, 3);
    expect(codeOf(() => rotated.acceptPairKey(phone!.public, statement.epoch, 3, made.ciphertext, phone!.public))).toBe('CARD_KEY_UNKNOWN');
    expect(rotated.forgetRetiredCard(oldCard)).toBe(true);
    expect(rotated.forgetRetiredCard(oldCard)).toBe(false);
    expect(rotated.keepsRetiredCard(oldCard)).toBe(false);
    expect(codeOf(() => rotated.acceptPairKey(phone!.public, statement.epoch, 3, made.ciphertext, oldCard))).toBe('CARD_KEY_UNKNOWN');
  });

  it('retired cards survive a save and restore (rebuilt from the identity), merge with those kept, and refuse a malformed save', async () => {
    const [laptop] = await makeDevices(1, backend);
    const first = laptop!.public;
    const twice = laptop!.rotateEncryptionKey(undefined, 1).rotateEncryptionKey(undefined, 2);
    const second = twice.retiredCards()[1]!.card;
    const saved = twice.retiredToBytes();
    const restored = await Device.fromSecrets(twice.exportSecrets(), { backend });
    restored.restoreRetired(saved);
    expect(restored.retiredCards()).toEqual([
      { card: first, retiredAt: 1 },
      { card: second, retiredAt: 2 },
    ]);
    restored.restoreRetired(saved);
    expect(restored.retiredCards()).toHaveLength(2);
    for (const bad of [Uint8Array.of(0xff), encodeCanonical({ v: 2, r: [] }), encodeCanonical({ v: 1, r: [{ s: new Uint8Array(31), a: 1 }] }), encodeCanonical({ v: 1, r: [{ s: new Uint8Array(32), a: -1 }] })]) {
      expect(codeOf(() => restored.restoreRetired(bad))).toBe('RETIRED_CARDS_MALFORMED');
    }
    twice.wipe();
    expect(codeOf(() => twice.retiredToBytes())).toBe('DEVICE_WIPED');
  });
});
