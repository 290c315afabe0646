/**
 * A device kept in its own replica under a non-extractable WebCrypto key instead of a
 * passphrase, so a browser device survives a reload without asking its user for anything:
 * the device's 65 secret bytes sealed with AES-256-GCM under a key the page can use but not
 * read (`IndexedDbLocalStore.vaultKey()` keeps one in the same database), next to its verified
 * chain and its sealed key ring, as `saveDevice` keeps them. Cost: one AES-GCM call.
 *
 * Sealed secrets (meta key `device/secrets-webcrypto`, 99 bytes); the first 6 bytes are the
 * AAD, so the format and algorithm cannot be swapped under the key:
 *
 * | offset | bytes | field                                             |
 * |--------|-------|---------------------------------------------------|
 * | 0      | 4     | magic "mksk"                                      |
 * | 4      | 1     | version = 0x01                                    |
 * | 5      | 1     | algorithm = 0x01 (AES-256-GCM, 16-byte tag)       |
 * | 6      | 12    | nonce (random)                                    |
 * | 18     | 81    | sealed device secrets (65) ‖ tag (16)             |
 *
 * What it protects against, and what not (docs/api.md, "Browser persistence"):
 * - The sealed bytes alone (a copied export of the database's values, a backup of them, a log)
 *   open nothing: the key never leaves the browser's key store through any API.
 * - A stolen disk image or a copied browser profile: NOT protected. The browser stores the key
 *   in the profile in a form it reads back by itself, without any input from the user, so
 *   whoever has the profile has the key; only the operating system's disk encryption and
 *   account stand in the way. A passphrase (`saveDevice`) is what protects against that.
 * - Script running in the page (a cross-site scripting hole, a hostile dependency): NOT
 *   protected. It can ask the key to decrypt, as this module does, and it can read the open
 *   device's secrets from memory anyway; so can it with a passphrase once the device is open.
 *   Non-extractable only means it cannot carry the key itself away to use later.
 *
 * The plaintext secrets are wiped after use, which in JavaScript is a best effort: the engine
 * may have copied them, and `Device` holds them for as long as it lives.
 */
import { Device } from '../core/device.js';
import { wipe } from '../crypto/bytes.js';
import { systemRandom } from '../crypto/random.js';
import type { BackendName } from '../crypto/provider.js';
import { DeviceChain } from '../enrollment/deviceChain.js';
import { CodecError, CryptoError, UsageError, ValidationError } from '../errors.js';
import { VAULT_KEYS } from './deviceVault.js';
import { KeyRing } from './keyRing.js';
import type { LocalStore } from './localStore.js';

/** Meta key of the secrets sealed under the WebCrypto key. */
export const WEBCRYPTO_VAULT_KEY = 'device/secrets-webcrypto';

const MAGIC = [0x6d, 0x6b, 0x73, 0x6b]; // "mksk"
const VERSION = 0x01;
const AES_256_GCM = 0x01;
const AAD_BYTES = 6;
const NONCE_BYTES = 12;
const HEADER_BYTES = AAD_BYTES + NONCE_BYTES;
const SECRET_BYTES = 65;
const TAG_BYTES = 16;
/** Bytes of the sealed secrets. */
export const WEBCRYPTO_VAULT_BYTES = HEADER_BYTES + SECRET_BYTES + TAG_BYTES;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) throw new UsageError('WEBCRYPTO_UNAVAILABLE', 'WebCrypto is not available (a page needs a secure context: https or localhost)');
  return s;
}

/** A non-extractable 256-bit AES-GCM secret key for encrypt and decrypt, or VAULT_KEY_INVALID. */
function checkKey(key: unknown): asserts key is CryptoKey {
  const k = key as CryptoKey;
  const fits =
    typeof CryptoKey !== 'undefined' &&
    key instanceof CryptoKey &&
    k.type === 'secret' &&
    k.algorithm.name === 'AES-GCM' &&
    (k.algorithm as AesKeyAlgorithm).length === 256 &&
    !k.extractable &&
    k.usages.includes('encrypt') &&
    k.usages.includes('decrypt');
  if (!fits) {
    throw new ValidationError('VAULT_KEY_INVALID', 'the vault key must be a non-extractable 256-bit AES-GCM CryptoKey for encrypt and decrypt');
  }
}

/**
 * Seals `device`'s secrets under `key` and stores them with its verified chain (and, if the
 * store has none yet, its key ring), as `saveDevice` does with a passphrase.
 * @throws {ValidationError} `VAULT_KEY_INVALID`; {UsageError} `WEBCRYPTO_UNAVAILABLE`,
 *   `DEVICE_WIPED`; StorageError codes.
 */
export async function saveDeviceWithKey(store: LocalStore, account: { device: Device; chain: DeviceChain }, key: CryptoKey): Promise<void> {
  const webCrypto = subtle();
  checkKey(key);
  const sealed = new Uint8Array(WEBCRYPTO_VAULT_BYTES);
  sealed.set(MAGIC, 0);
  sealed[4] = VERSION;
  sealed[5] = AES_256_GCM;
  const nonce = systemRandom(NONCE_BYTES) as Uint8Array<ArrayBuffer>;
  sealed.set(nonce, AAD_BYTES);
  const secrets = account.device.exportSecrets();
  try {
    const params = { name: 'AES-GCM', iv: nonce, additionalData: sealed.slice(0, AAD_BYTES), tagLength: 128 };
    const box = await webCrypto.encrypt(params, key, secrets as Uint8Array<ArrayBuffer>);
    sealed.set(new Uint8Array(box), HEADER_BYTES);
  } finally {
    wipe(secrets);
  }
  await store.setMeta(WEBCRYPTO_VAULT_KEY, sealed);
  await store.setMeta(VAULT_KEYS.chain, account.chain.toBytes());
  if ((await store.getMeta(VAULT_KEYS.ring)) === null) await store.setMeta(VAULT_KEYS.ring, new KeyRing().seal(account.device));
}

/**
 * Opens what {@link saveDeviceWithKey} stored; null when the store holds no device sealed so.
 * @throws {ValidationError} `VAULT_KEY_INVALID`; {CodecError} `VAULT_BLOB_MALFORMED` (wrong
 *   length, magic, version or algorithm), `DEVICE_SECRETS_MALFORMED`, `DEVICE_CHAIN_MALFORMED`,
 *   `KEY_RING_MALFORMED`; {CryptoError} `VAULT_KEY_WRONG` (another key, e.g. a new one made
 *   after the old was deleted, or altered bytes); {UsageError} `WEBCRYPTO_UNAVAILABLE`;
 *   StorageError codes.
 */
export async function loadDeviceWithKey(
  store: LocalStore,
  key: CryptoKey,
  options: { backend?: BackendName; clock?: () => number } = {},
): Promise<{ device: Device; chain: DeviceChain } | null> {
  const webCrypto = subtle();
  checkKey(key);
  const sealed = await store.getMeta(WEBCRYPTO_VAULT_KEY);
  const chainBytes = await store.getMeta(VAULT_KEYS.chain);
  if (sealed === null || chainBytes === null) return null;
  const header = [...MAGIC, VERSION, AES_256_GCM];
  if (sealed.length !== WEBCRYPTO_VAULT_BYTES || header.some((byte, i) => sealed[i] !== byte)) {
    throw new CodecError('VAULT_BLOB_MALFORMED', `sealed device secrets are ${WEBCRYPTO_VAULT_BYTES} bytes starting with "mksk", version 1, algorithm 1`);
  }
  let secrets: Uint8Array;
  try {
    const iv = sealed.slice(AAD_BYTES, HEADER_BYTES);
    const params = { name: 'AES-GCM', iv, additionalData: sealed.slice(0, AAD_BYTES), tagLength: 128 };
    secrets = new Uint8Array(await webCrypto.decrypt(params, key, sealed.slice(HEADER_BYTES)));
  } catch (cause) {
    throw new CryptoError('VAULT_KEY_WRONG', 'the sealed device secrets do not open under this key (another key, or altered bytes)', { cause });
  }
  let device: Device;
  try {
    device = await Device.fromSecrets(secrets, options.backend === undefined ? {} : { backend: options.backend });
  } finally {
    wipe(secrets);
  }
  const ring = await store.getMeta(VAULT_KEYS.ring);
  if (ring !== null) KeyRing.open(device, ring); // restores the device's epoch secrets
  const chain = DeviceChain.fromBytes(device.suite, chainBytes, options.clock === undefined ? {} : { clock: options.clock });
  return { device, chain };
}
