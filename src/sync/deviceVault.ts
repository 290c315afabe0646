/**
 * A device's identity kept in its own replica, so an app restarts where it left off: the
 * device's secrets sealed under a passphrase (Argon2id, src/core/passphraseBlob.ts) and its
 * verified device chain (re-verified from genesis on load, so a server that later serves an
 * older chain is caught as a rollback). The replica keeps the chain up to date on every sync.
 */
import { Device } from '../core/device.js';
import type { Argon2Params, BackendName } from '../crypto/provider.js';
import { DeviceChain } from '../enrollment/deviceChain.js';
import { KeyRing } from './keyRing.js';
import type { LocalStore } from './localStore.js';

/** Meta keys of the vault in a LocalStore. */
export const VAULT_KEYS = { secrets: 'device/secrets', chain: 'device/chain', ring: 'keys/ring' } as const;

/**
 * Seals `device`'s secrets under `passphrase` and stores them with its verified chain.
 * @throws {ValidationError} `PASSPHRASE_EMPTY`, `ARGON2_PARAMS_INVALID`; StorageError codes.
 */
export async function saveDevice(
  store: LocalStore,
  account: { device: Device; chain: DeviceChain },
  passphrase: string | Uint8Array,
  params?: Argon2Params,
): Promise<void> {
  await store.setMeta(VAULT_KEYS.secrets, await account.device.exportWithPassphrase(passphrase, params));
  await store.setMeta(VAULT_KEYS.chain, account.chain.toBytes());
  // The epoch secrets change as the device rolls, so they are kept apart from the passphrase
  // blob, sealed under a key derived from the device's secrets (the replica keeps them up to
  // date). A device saved before its replica ever ran still needs its first epoch's secret.
  if ((await store.getMeta(VAULT_KEYS.ring)) === null) await store.setMeta(VAULT_KEYS.ring, new KeyRing().seal(account.device));
}

/**
 * Opens what {@link saveDevice} stored; null when the store holds no device.
 * @throws {CryptoError} `PASSPHRASE_WRONG`; {CodecError} `PASSPHRASE_BLOB_MALFORMED`,
 *   `DEVICE_CHAIN_MALFORMED`, `KEY_RING_MALFORMED`; StorageError codes.
 */
export async function loadDevice(
  store: LocalStore,
  passphrase: string | Uint8Array,
  options: { backend?: BackendName; clock?: () => number } = {},
): Promise<{ device: Device; chain: DeviceChain } | null> {
  const secrets = await store.getMeta(VAULT_KEYS.secrets);
  const chainBytes = await store.getMeta(VAULT_KEYS.chain);
  if (secrets === null || chainBytes === null) return null;
  const device = await Device.fromPassphraseBlob(secrets, passphrase, options.backend === undefined ? {} : { backend: options.backend });
  const ring = await store.getMeta(VAULT_KEYS.ring);
  if (ring !== null) KeyRing.open(device, ring); // restores the device's epoch secrets
  const chain = DeviceChain.fromBytes(device.suite, chainBytes, options.clock === undefined ? {} : { clock: options.clock });
  return { device, chain };
}
