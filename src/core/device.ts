/**
 * A device's secrets and the operations that need them. A device has two keys: an Ed25519
 * identity key (it names the device and signs) and an X25519 encryption key (it receives
 * records), bound together by the identity key's signature. The pairwise wrap keys this device
 * shares with each peer are derived once and cached, so sealing and opening records never do
 * public-key work.
 */
import { CodecError, CryptoError, UsageError } from '../errors.js';
import { equalBytes, expectBytes, wipe } from '../crypto/bytes.js';
import { deriveKey, labelled } from '../crypto/kdf.js';
import { isProtocolLabel, LABELS, type ProtocolLabel } from '../crypto/labels.js';
import type { Argon2Params, BackendName, CryptoProvider } from '../crypto/provider.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { loadSuite } from '../crypto/suite.js';
import { DEFAULT_ARGON2, openSecretsWithPassphrase, sealSecretsWithPassphrase } from './passphraseBlob.js';
import { EpochKeys } from './epochKeys.js';
import { bindingMessage, cardKey, deviceIdOf, type DevicePublic } from './devicePublic.js';

/** Bytes in {@link Device.exportSecrets}' output. */
export const DEVICE_SECRET_BYTES = 65;
const SECRET_VERSION = 0x01;
const PAIRWISE_CACHE_LIMIT = 4096;

/** Options of the async device factories. */
export interface DeviceOptions {
  /** Crypto backend; libsodium by default. */
  backend?: BackendName;
  /** Randomness for key generation (tests and vectors only; defaults to the system CSPRNG). */
  random?: RandomSource;
  /** ms since 1970 when the first key epoch begins (default `Date.now()`). */
  now?: number;
}

interface PairwiseEntry {
  peerKey: Uint8Array;
  key: Uint8Array;
}

/** Which way a pairwise key protects: records this device writes to the peer, or reads from it. */
export type PairwiseDirection = 'to' | 'from';

let protocolSigner: (device: Device, label: ProtocolLabel, message: Uint8Array) => Uint8Array;

/**
 * Package-internal: signs `message` under one of the protocol's own labels (a chain entry, a
 * consent, a key statement, a request, a log checkpoint). It is the only way to sign under the
 * `multikey-sync/` prefix, and no entry point of the package exports it; apps get
 * {@link Device.sign}, which refuses that prefix.
 * @throws {UsageError} `DEVICE_WIPED` after {@link Device.wipe}.
 */
export function signAsProtocol(device: Device, label: ProtocolLabel, message: Uint8Array): Uint8Array {
  return protocolSigner(device, label, message);
}

/** A device that holds its secrets. Create one with {@link Device.generate} or an import. */
export class Device {
  static {
    protocolSigner = (device, label, message) => device.#signLabelled(label, message);
  }

  /** The crypto backend this device uses. */
  readonly suite: CryptoProvider;
  /** The device's public card, to be shared with its other devices. */
  readonly public: DevicePublic;
  #identitySeed: Uint8Array;
  #encryptionSecret: Uint8Array;
  #pairwise = new Map<string, PairwiseEntry>();
  // Fast path keyed by the card object itself: seal and open hand in the same cards each time.
  #toByCard = new WeakMap<DevicePublic, PairwiseEntry>();
  #fromByCard = new WeakMap<DevicePublic, PairwiseEntry>();
  #epochs: EpochKeys;
  #wiped = false;

  private constructor(suite: CryptoProvider, identitySeed: Uint8Array, encryptionSecret: Uint8Array, epochs = new EpochKeys()) {
    this.suite = suite;
    this.#epochs = epochs;
    this.#identitySeed = identitySeed;
    this.#encryptionSecret = encryptionSecret;
    const identityKey = suite.ed25519PublicKey(identitySeed);
    const encryptionKey = suite.x25519PublicKey(encryptionSecret);
    const binding = suite.ed25519Sign(identitySeed, identityKey, bindingMessage(identityKey, encryptionKey));
    this.public = Object.freeze({ id: deviceIdOf(suite, identityKey), identityKey, encryptionKey, binding });
  }

  /**
   * Makes a device with fresh keys: identity seed, encryption secret, then the X-Wing seed of its
   * first key epoch, drawn in that order.
   */
  static async generate(options: DeviceOptions = {}): Promise<Device> {
    const suite = await loadSuite(options.backend);
    const random = options.random ?? systemRandom;
    const device = new Device(suite, random(32), random(32));
    const seed = random(32);
    device.#epochs.begin(device, seed, options.now ?? Date.now());
    seed.fill(0);
    return device;
  }

  /**
   * Restores a device from {@link Device.exportSecrets} bytes.
   * @throws {CodecError} `DEVICE_SECRETS_MALFORMED` for a wrong length or version.
   */
  static async fromSecrets(secrets: Uint8Array, options: Omit<DeviceOptions, 'random'> = {}): Promise<Device> {
    const suite = await loadSuite(options.backend);
    return Device.fromSecretsWith(suite, secrets);
  }

  /** Synchronous {@link Device.fromSecrets} for callers that already hold a loaded suite. */
  static fromSecretsWith(suite: CryptoProvider, secrets: Uint8Array): Device {
    if (!(secrets instanceof Uint8Array) || secrets.length !== DEVICE_SECRET_BYTES || secrets[0] !== SECRET_VERSION) {
      throw new CodecError('DEVICE_SECRETS_MALFORMED', `device secrets are ${DEVICE_SECRET_BYTES} bytes starting with version 1`);
    }
    return new Device(suite, secrets.slice(1, 33), secrets.slice(33, 65));
  }

  /**
   * Restores a device from a blob made by {@link Device.exportWithPassphrase}. A blob asking for
   * more than 256 MiB or 768 MiB·passes of Argon2id is refused before any work is done.
   * @throws {CodecError} `PASSPHRASE_BLOB_MALFORMED`, `DEVICE_SECRETS_MALFORMED`.
   * @throws {ValidationError} `PASSPHRASE_EMPTY`.
   * @throws {CryptoError} `PASSPHRASE_WRONG`.
   */
  static async fromPassphraseBlob(
    blob: Uint8Array,
    passphrase: string | Uint8Array,
    options: Omit<DeviceOptions, 'random'> = {},
  ): Promise<Device> {
    const suite = await loadSuite(options.backend);
    const secrets = await openSecretsWithPassphrase(suite, blob, passphrase);
    try {
      return Device.fromSecretsWith(suite, secrets);
    } finally {
      wipe(secrets);
    }
  }

  /** The device id (16 bytes). */
  get id(): Uint8Array {
    return this.public.id;
  }

  /**
   * This device's X-Wing secrets by key epoch. A device made by {@link Device.generate} starts
   * with epoch 0; one restored from its 65-byte secrets starts with none until its saved key
   * ring is restored (or it begins a new epoch).
   */
  get epochs(): EpochKeys {
    return this.#epochs;
  }

  /**
   * The device's secrets as 65 bytes: version 0x01 ‖ identity seed ‖ encryption secret.
   * Whoever holds them is this device: store them as a secret (see `exportWithPassphrase`).
   */
  exportSecrets(): Uint8Array {
    this.#assertLive();
    const out = new Uint8Array(DEVICE_SECRET_BYTES);
    out[0] = SECRET_VERSION;
    out.set(this.#identitySeed, 1);
    out.set(this.#encryptionSecret, 33);
    return out;
  }

  /**
   * The device's secrets sealed under a passphrase with Argon2id (t = 3, m = 64 MiB by default):
   * 135 bytes an app can store at rest. Other costs must reach one of OWASP's Argon2id minimums
   * (t = 2 with 19 MiB, or an equivalent) and stay within 256 MiB and 768 MiB·passes.
   * @throws {ValidationError} `ARGON2_PARAMS_INVALID` for a cost outside those bounds;
   *   `PASSPHRASE_EMPTY`.
   */
  async exportWithPassphrase(
    passphrase: string | Uint8Array,
    params: Argon2Params = DEFAULT_ARGON2,
    random: RandomSource = systemRandom,
  ): Promise<Uint8Array> {
    const secrets = this.exportSecrets();
    try {
      return await sealSecretsWithPassphrase(this.suite, secrets, passphrase, params, random);
    } finally {
      wipe(secrets);
    }
  }

  /**
   * Signs `message` under an app's own domain `label`: the signature covers
   * `len(label) ‖ label ‖ message`. Labels under the protocol's prefix `multikey-sync/` are
   * refused, so nothing signed here can pass for a chain entry, consent, key statement or request.
   * @throws {UsageError} `LABEL_RESERVED` for a label that starts with `multikey-sync/`;
   *   `LABEL_INVALID` for an empty label or one over 255 bytes; `DEVICE_WIPED` after {@link Device.wipe}.
   */
  sign(label: string, message: Uint8Array): Uint8Array {
    if (typeof label !== 'string') throw new UsageError('LABEL_INVALID', 'a label is a string');
    if (isProtocolLabel(label)) {
      throw new UsageError('LABEL_RESERVED', 'labels under "multikey-sync/" are the protocol\'s own; choose a label of your app');
    }
    return this.#signLabelled(label, message);
  }

  #signLabelled(label: string, message: Uint8Array): Uint8Array {
    this.#assertLive();
    return this.suite.ed25519Sign(this.#identitySeed, this.public.identityKey, labelled(label, message));
  }

  /**
   * The same identity with a fresh encryption key (the old device object keeps working until wiped).
   * Publishing the new card to the other devices is the enrollment layer's job.
   */
  rotateEncryptionKey(random: RandomSource = systemRandom): Device {
    this.#assertLive();
    // The epoch keys belong to the identity, which does not change: they move to the rotated
    // device, so wiping this object later does not wipe them.
    const rotated = new Device(this.suite, this.#identitySeed.slice(), random(32), this.#epochs);
    this.#epochs = new EpochKeys();
    return rotated;
  }

  /**
   * The 32-byte key that wraps content keys between this device and `peer`:
   * kek(S→R) = BLAKE2b-256(key = X25519(S, R); label ‖ S.id ‖ R.id ‖ S.encKey ‖ R.encKey).
   * Cached per peer and direction; recomputed when the peer's encryption key changes. The
   * returned array is the cached key itself: use it at once and do not keep it, since cache
   * eviction and {@link Device.wipe} overwrite it.
   * @throws {CryptoError} `PEER_KEY_INVALID` for a low-order peer key.
   */
  pairwiseKey(peer: DevicePublic, direction: PairwiseDirection): Uint8Array {
    const byCard = direction === 'to' ? this.#toByCard : this.#fromByCard;
    const fast = byCard.get(peer);
    if (fast !== undefined && fast.peerKey === peer.encryptionKey) return fast.key;
    const cacheKey = cardKey(peer) + (direction === 'to' ? '>' : '<');
    const hit = this.#pairwise.get(cacheKey);
    if (hit !== undefined && (hit.peerKey === peer.encryptionKey || equalBytes(hit.peerKey, peer.encryptionKey))) {
      byCard.set(peer, hit);
      return hit.key;
    }
    this.#assertLive();
    expectBytes(peer.encryptionKey, 32, 'peer encryption key');
    const shared = this.suite.x25519(this.#encryptionSecret, peer.encryptionKey);
    if (shared === null) throw new CryptoError('PEER_KEY_INVALID', 'peer encryption key is a low-order point');
    const me = this.public;
    const key =
      direction === 'to'
        ? deriveKey(this.suite, LABELS.pairwiseKey, shared, 32, me.id, peer.id, me.encryptionKey, peer.encryptionKey)
        : deriveKey(this.suite, LABELS.pairwiseKey, shared, 32, peer.id, me.id, peer.encryptionKey, me.encryptionKey);
    wipe(shared);
    if (this.#pairwise.size >= PAIRWISE_CACHE_LIMIT) this.#clearPairwise();
    const entry = { peerKey: peer.encryptionKey, key };
    this.#pairwise.set(cacheKey, entry);
    byCard.set(peer, entry);
    return key;
  }

  /**
   * Overwrites the secrets and cached keys held by this object. JavaScript gives no guarantee
   * that no copy survives elsewhere in memory; this only shortens their lifetime.
   */
  wipe(): void {
    wipe(this.#identitySeed, this.#encryptionSecret);
    this.#epochs.wipe();
    this.#clearPairwise();
    this.#wiped = true;
  }

  #clearPairwise(): void {
    for (const entry of this.#pairwise.values()) wipe(entry.key);
    this.#pairwise.clear();
    this.#toByCard = new WeakMap();
    this.#fromByCard = new WeakMap();
  }

  #assertLive(): void {
    if (this.#wiped) throw new UsageError('DEVICE_WIPED', 'this device object was wiped');
  }
}
