/**
 * A device's public card: its Ed25519 identity key, its X25519 encryption key, and the identity
 * key's signature binding the two. The device id is a hash of the identity key, so it cannot be
 * chosen freely. Wire form (129 bytes): version 0x01 ‖ identityKey(32) ‖ encryptionKey(32) ‖ binding(64).
 */
import { CodecError, CryptoError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import { labelled, labelledHash } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';

/** Bytes in a device id. */
export const DEVICE_ID_BYTES = 16;
/** Bytes in an encoded {@link DevicePublic}. */
export const DEVICE_PUBLIC_BYTES = 129;
const CARD_VERSION = 0x01;
// Any fixed scalar works: a low-order point yields the all-zero output for every clamped scalar.
const LOW_ORDER_PROBE = new Uint8Array(32).fill(0x5a);

/** What every other party knows about a device. Immutable once made. */
export interface DevicePublic {
  /** BLAKE2b-128 of the identity key under the device-id label. */
  readonly id: Uint8Array;
  /** Ed25519 public key: signs chain entries, requests and key bindings. */
  readonly identityKey: Uint8Array;
  /** X25519 public key: the pairwise wrap keys are derived from it. */
  readonly encryptionKey: Uint8Array;
  /** Ed25519 signature by the identity key over the encryption key. */
  readonly binding: Uint8Array;
}

/** The device id of an identity key. */
export function deviceIdOf(suite: CryptoProvider, identityKey: Uint8Array): Uint8Array {
  return labelledHash(suite, LABELS.deviceId, DEVICE_ID_BYTES, identityKey);
}

/** The message an identity key signs to bind an encryption key to itself. */
export function bindingMessage(identityKey: Uint8Array, encryptionKey: Uint8Array): Uint8Array {
  return labelled(LABELS.encryptionKeyBinding, identityKey, encryptionKey);
}

/** Encodes a card to its 129-byte wire form. */
export function encodeDevicePublic(card: DevicePublic): Uint8Array {
  const out = new Uint8Array(DEVICE_PUBLIC_BYTES);
  out[0] = CARD_VERSION;
  out.set(card.identityKey, 1);
  out.set(card.encryptionKey, 33);
  out.set(card.binding, 65);
  return out;
}

/**
 * Decodes a card and verifies its binding signature.
 * @throws {CodecError} `DEVICE_CARD_MALFORMED` for a wrong length or version.
 * @throws {CryptoError} `DEVICE_BINDING_INVALID` when the signature does not verify.
 */
export function decodeDevicePublic(suite: CryptoProvider, bytes: Uint8Array): DevicePublic {
  if (!(bytes instanceof Uint8Array) || bytes.length !== DEVICE_PUBLIC_BYTES || bytes[0] !== CARD_VERSION) {
    throw new CodecError('DEVICE_CARD_MALFORMED', `a device card is ${DEVICE_PUBLIC_BYTES} bytes starting with version 1`);
  }
  const identityKey = bytes.slice(1, 33);
  const encryptionKey = bytes.slice(33, 65);
  const binding = bytes.slice(65, 129);
  return verifyDevicePublic(suite, { id: deviceIdOf(suite, identityKey), identityKey, encryptionKey, binding });
}

/**
 * Checks a card's id and binding; returns it unchanged.
 * @throws {CryptoError} `DEVICE_BINDING_INVALID` when the id or signature does not match;
 *   `DEVICE_KEY_LOW_ORDER` when the encryption key is a low-order point.
 */
export function verifyDevicePublic(suite: CryptoProvider, card: DevicePublic): DevicePublic {
  const ok =
    equalBytes(card.id, deviceIdOf(suite, card.identityKey)) &&
    suite.ed25519Verify(card.binding, bindingMessage(card.identityKey, card.encryptionKey), card.identityKey);
  if (!ok) throw new CryptoError('DEVICE_BINDING_INVALID', 'device card signature does not verify');
  // A low-order encryption key would make every later seal to this device fail (no shared
  // secret): refuse it here, once, rather than let one card block writes for the account.
  if (suite.x25519(LOW_ORDER_PROBE, card.encryptionKey) === null) {
    throw new CryptoError('DEVICE_KEY_LOW_ORDER', 'device card carries a low-order encryption key');
  }
  return card;
}

/** A string key for maps indexed by device id (one char per byte). */
export function idKey(id: Uint8Array): string {
  return String.fromCharCode.apply(null, id as unknown as number[]);
}

const cardKeys = new WeakMap<DevicePublic, string>();

/** {@link idKey} of a card's id, computed once per card object (seal and lookups are hot). */
export function cardKey(card: DevicePublic): string {
  let key = cardKeys.get(card);
  if (key === undefined) {
    key = idKey(card.id);
    cardKeys.set(card, key);
  }
  return key;
}
