/**
 * docs/protocol.md §3.2, §4 and §17 (issue #9 item 9): how a card's encryption key is found to be
 * of low order, that the binding is checked before it, and where the pair-key code meets such a
 * key when a caller never decoded the card.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/crypto/bytes.js';
import { Device } from '../../src/core/device.js';
import { bindingMessage, decodeDevicePublic, encodeDevicePublic, type DevicePublic } from '../../src/core/devicePublic.js';
import { BACKENDS } from '../support/devices.js';
import { load, type Versioned } from '../support/vectorFiles.js';
import { codeOf } from '../support/codeOf.js';

const pairkeys = load<Versioned & { lowOrderPoints: Array<{ name: string; u: string }> }>('pairkeys.json');

/** `device`'s identity vouching for `encryptionKey`: a correctly signed card whatever the key. */
function signedCard(device: Device, seed: Uint8Array, encryptionKey: Uint8Array): Uint8Array {
  const binding = device.suite.ed25519Sign(seed, device.public.identityKey, bindingMessage(device.public.identityKey, encryptionKey));
  return encodeDevicePublic({ ...device.public, encryptionKey, binding });
}

describe.each(BACKENDS)('card decoding on the %s backend', (backend) => {
  it.each(pairkeys.lowOrderPoints.map((c) => [c.name, c.u] as const))(
    'a correctly signed card with the low-order key %s is DEVICE_KEY_LOW_ORDER',
    async (_name, key) => {
      const device = await Device.generate({ backend });
      const seed = device.exportSecrets().slice(1, 33);
      expect(codeOf(() => decodeDevicePublic(device.suite, signedCard(device, seed, fromHex(key))))).toBe('DEVICE_KEY_LOW_ORDER');
    },
  );

  it('checks the binding before the key: a low-order key under a broken binding is DEVICE_BINDING_INVALID', async () => {
    const device = await Device.generate({ backend });
    const seed = device.exportSecrets().slice(1, 33);
    const card = signedCard(device, seed, new Uint8Array(32));
    card[128]! ^= 1;
    expect(codeOf(() => decodeDevicePublic(device.suite, card))).toBe('DEVICE_BINDING_INVALID');
    expect(codeOf(() => decodeDevicePublic(device.suite, card.subarray(1)))).toBe('DEVICE_CARD_MALFORMED');
  });

  it('a low-order key that never went through decoding yields no pair key on either side (§4), so nothing is sealed or opened with it', async () => {
    const [sender, reader] = [await Device.generate({ backend }), await Device.generate({ backend })];
    const undecoded: DevicePublic = { ...sender.public, encryptionKey: new Uint8Array(32) };
    // The reader cannot establish a key toward it…
    expect(codeOf(() => reader.establishPairKey(undecoded, sender.epochs.current!.statement, 1))).toBe('PEER_KEY_INVALID');
    // …nor accept one from it, even over an honest ciphertext.
    const made = sender.establishPairKey(reader.public, reader.epochs.current!.statement, 1);
    expect(codeOf(() => reader.acceptPairKey(undecoded, 0, 1, made.ciphertext))).toBe('PEER_KEY_INVALID');
    expect(reader.acceptPairKey(sender.public, 0, 1, made.ciphertext)).toEqual(made.key);
  });
});
