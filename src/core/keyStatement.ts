/**
 * Key statements: a device's X-Wing public key for one epoch, signed by its identity key. Other
 * devices establish pair keys toward the newest statement they hold (pairKey.ts). Epoch 0 is
 * published in the device chain (the device's `add`, or genesis); later epochs in the device's
 * own log. The statement carries no time: the chain entry or log checkpoint around it does.
 *
 * Layout (1301 bytes):
 *   0x01 ‖ device id (16) ‖ epoch (u32, big-endian) ‖ X-Wing public key (1216) ‖ signature (64)
 *   signature = Ed25519(identity seed, labelled("multikey-sync/v2/key-statement", bytes[0..1237]))
 */
import { CodecError, CryptoError, ValidationError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import { labelled } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { xwingPublicKeyIsValid } from '../crypto/xwingKeyCheck.js';
import { XWING_PUBLIC_KEY_BYTES, XWING_SEED_BYTES } from '../crypto/xwingSizes.js';
import { signAsProtocol, type Device } from './device.js';
import { DEVICE_ID_BYTES, type DevicePublic } from './devicePublic.js';

/** Bytes in an encoded key statement. */
export const KEY_STATEMENT_BYTES = 1 + DEVICE_ID_BYTES + 4 + XWING_PUBLIC_KEY_BYTES + 64;
const VERSION = 0x01;
const SIGNED_BYTES = KEY_STATEMENT_BYTES - 64;
/** Highest epoch number (u32). */
export const MAX_EPOCH = 0xffff_ffff;

/** A decoded key statement. Byte fields are views into `bytes`. */
export interface KeyStatement {
  readonly deviceId: Uint8Array;
  readonly epoch: number;
  /** X-Wing public key (1216 bytes). */
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
  /** The statement's exact bytes. */
  readonly bytes: Uint8Array;
}

/**
 * Makes `device`'s statement for `epoch`, whose X-Wing secret is `seed`.
 * @throws {ValidationError} `KEY_STATEMENT_INPUT_INVALID` for an epoch outside 0..2^32−1 or a seed that is not 32 bytes.
 */
export function makeKeyStatement(device: Device, epoch: number, seed: Uint8Array): KeyStatement {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) {
    throw new ValidationError('KEY_STATEMENT_INPUT_INVALID', 'an epoch is an integer in 0..2^32-1');
  }
  if (!(seed instanceof Uint8Array) || seed.length !== XWING_SEED_BYTES) {
    throw new ValidationError('KEY_STATEMENT_INPUT_INVALID', 'an X-Wing seed is 32 bytes');
  }
  const out = new Uint8Array(KEY_STATEMENT_BYTES);
  out[0] = VERSION;
  out.set(device.id, 1);
  new DataView(out.buffer).setUint32(1 + DEVICE_ID_BYTES, epoch);
  out.set(device.suite.xwingPublicKey(seed), 1 + DEVICE_ID_BYTES + 4);
  // The signer prefixes the label: it signs labelled(label, statement without its signature).
  out.set(signAsProtocol(device, LABELS.keyStatement, out.subarray(0, SIGNED_BYTES)), SIGNED_BYTES);
  return decodeKeyStatement(out);
}

/**
 * Reads a statement's fields (no signature check; see {@link verifyKeyStatement}).
 * @throws {CodecError} `KEY_STATEMENT_MALFORMED` for a wrong length or version.
 */
export function decodeKeyStatement(bytes: Uint8Array): KeyStatement {
  if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_STATEMENT_BYTES || bytes[0] !== VERSION) {
    throw new CodecError('KEY_STATEMENT_MALFORMED', `a key statement is ${KEY_STATEMENT_BYTES} bytes starting with version 1`);
  }
  const copy = bytes.slice();
  return {
    deviceId: copy.subarray(1, 1 + DEVICE_ID_BYTES),
    epoch: new DataView(copy.buffer).getUint32(1 + DEVICE_ID_BYTES),
    publicKey: copy.subarray(1 + DEVICE_ID_BYTES + 4, SIGNED_BYTES),
    signature: copy.subarray(SIGNED_BYTES),
    bytes: copy,
  };
}

/**
 * Checks that `statement` was signed by the device with `card`, and that its key is usable.
 * @throws {CryptoError} `KEY_STATEMENT_INVALID` (another device's id, or a signature that does
 *   not verify); `KEY_STATEMENT_KEY_INVALID` (an X-Wing key both backends refuse to encapsulate to).
 */
export function verifyKeyStatement(suite: CryptoProvider, statement: KeyStatement, card: DevicePublic): KeyStatement {
  const signed = labelled(LABELS.keyStatement, statement.bytes.subarray(0, SIGNED_BYTES));
  if (!equalBytes(statement.deviceId, card.id) || !suite.ed25519Verify(statement.signature, signed, card.identityKey)) {
    throw new CryptoError('KEY_STATEMENT_INVALID', 'the key statement is not signed by the device it names');
  }
  if (!xwingPublicKeyIsValid(suite, statement.publicKey)) {
    throw new CryptoError('KEY_STATEMENT_KEY_INVALID', 'the key statement carries an X-Wing key that cannot be encapsulated to');
  }
  return statement;
}
