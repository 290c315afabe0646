/**
 * A device's secrets and the operations that need them. A device has an Ed25519 identity key
 * (it names the device and signs), a static X25519 encryption key (bound to the identity key by
 * its signature), and an X-Wing key per key epoch (`epochs`). The pair keys it shares with each
 * peer mix the static X25519 secret with an X-Wing shared secret (pairKey.ts); they are derived
 * once per pair and epoch and cached by the caller, so sealing and opening records never do
 * public-key work.
 */
import { CodecError, CryptoError, UsageError, ValidationError } from '../errors.js';
import { equalBytes, expectBytes, wipe } from '../crypto/bytes.js';
import { deriveKey, labelled } from '../crypto/kdf.js';
import { isProtocolLabel, type ProtocolLabel } from '../crypto/labels.js';
import type { Argon2Params, BackendName, CryptoProvider } from '../crypto/provider.js';
import { XWING_ESEED_BYTES } from '../crypto/xwingSizes.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { loadSuite } from '../crypto/suite.js';
import { DEFAULT_ARGON2, openSecretsWithPassphrase, sealSecretsWithPassphrase } from './passphraseBlob.js';
import { EpochKeys } from './epochKeys.js';
import { bindingMessage, deviceIdOf, type DevicePublic } from './devicePublic.js';
import type { KeyStatement } from './keyStatement.js';
import { checkPairKeyContext, derivePairKey, MAX_KEY_REF } from './pairKey.js';

/** Bytes in {@link Device.exportSecrets}' output. */
export const DEVICE_SECRET_BYTES = 65;
const SECRET_VERSION = 0x01;

/** Options of the async device factories. */
export interface DeviceOptions {
  /** Crypto backend; libsodium by default. */
  backend?: BackendName;
  /** Randomness for key generation (tests and vectors only; defaults to the system CSPRNG). */
  random?: RandomSource;
  /** ms since 1970 when the first key epoch begins (default `Date.now()`). */
  now?: number;
}

/** A pair key this device established toward a recipient, and what to publish for it. */
export interface EstablishedPairKey {
  /** kek(this→recipient, ref), 32 bytes: keep it secret, wipe it when forgotten. */
  readonly key: Uint8Array;
  /** The X-Wing ciphertext (1120 bytes) to publish at log position `ref`. */
  readonly ciphertext: Uint8Array;
  /** The recipient's epoch it was made for. */
  readonly epoch: number;
}

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
   * A 32-byte key for sealing this device's own state at rest (its key ring), derived from the
   * identity seed under `label`: whoever can read the sealed state and has this device's
   * secrets can open it, which is no more than the secrets give anyway.
   */
  storageKey(label: string): Uint8Array {
    this.#assertLive();
    return deriveKey(this.suite, label, this.#identitySeed, 32);
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
   * Establishes a pair key toward `recipient`: encapsulates to its key statement (which the
   * caller has verified) and derives kek(this→recipient, ref). `ref` is the position of this
   * device's log checkpoint that will carry the returned ciphertext.
   * @throws {ValidationError} `PAIR_KEY_INPUT_INVALID` (a statement of another device, a ref
   *   outside 1..2^32−1, an eseed that is not 64 bytes).
   * @throws {CryptoError} `PEER_KEY_INVALID` for a low-order X25519 key or an X-Wing key that
   *   cannot be encapsulated to.
   */
  establishPairKey(recipient: DevicePublic, statement: KeyStatement, ref: number, eseed?: Uint8Array): EstablishedPairKey {
    this.#assertLive();
    if (!equalBytes(statement.deviceId, recipient.id)) {
      throw new ValidationError('PAIR_KEY_INPUT_INVALID', 'the key statement is not the recipient\'s');
    }
    const randomness = eseed ?? systemRandom(XWING_ESEED_BYTES);
    if (!(randomness instanceof Uint8Array) || randomness.length !== XWING_ESEED_BYTES) {
      throw new ValidationError('PAIR_KEY_INPUT_INVALID', 'encapsulation randomness is 64 bytes');
    }
    // The inputs are checked before any public-key work, as acceptPairKey does (§4).
    if (!Number.isInteger(ref) || ref < 1 || ref > MAX_KEY_REF) {
      if (eseed === undefined) randomness.fill(0);
      throw new ValidationError('PAIR_KEY_INPUT_INVALID', 'a key reference is an integer in 1..2^32-1');
    }
    const kem = this.suite.xwingEncapsulate(statement.publicKey, randomness);
    if (eseed === undefined) randomness.fill(0);
    if (kem === null) throw new CryptoError('PEER_KEY_INVALID', 'the recipient\'s X-Wing key cannot be encapsulated to');
    const context = { sender: this.public, recipient, epoch: statement.epoch, ref, ciphertext: kem.ciphertext };
    checkPairKeyContext(context);
    const key = derivePairKey(this.suite, this.#x25519(recipient), kem.sharedSecret, context);
    return { key, ciphertext: kem.ciphertext, epoch: statement.epoch };
  }

  /**
   * Derives kek(sender→this, ref) from the ciphertext `sender` published at log position `ref`
   * for this device's epoch `epoch`.
   * @throws {ValidationError} `PAIR_KEY_INPUT_INVALID`.
   * @throws {CryptoError} `EPOCH_KEY_UNKNOWN` when this device no longer keeps (or never had)
   *   that epoch's secret; `PEER_KEY_INVALID` for a low-order key in the card or ciphertext.
   */
  acceptPairKey(sender: DevicePublic, epoch: number, ref: number, ciphertext: Uint8Array): Uint8Array {
    this.#assertLive();
    const context = { sender, recipient: this.public, epoch, ref, ciphertext };
    checkPairKeyContext(context);
    const own = this.#epochs.get(epoch);
    if (own === undefined) throw new CryptoError('EPOCH_KEY_UNKNOWN', `this device does not keep the secret of its key epoch ${epoch}`);
    const kemShared = this.suite.xwingDecapsulate(ciphertext, own.seed);
    if (kemShared === null) throw new CryptoError('PEER_KEY_INVALID', 'the pair-key ciphertext carries a low-order X25519 point');
    return derivePairKey(this.suite, this.#x25519(sender), kemShared, context);
  }

  /** X25519 of this device's static secret and `peer`'s static key; null for a low-order key. */
  #x25519(peer: DevicePublic): Uint8Array | null {
    expectBytes(peer.encryptionKey, 32, 'peer encryption key');
    return this.suite.x25519(this.#encryptionSecret, peer.encryptionKey);
  }

  /**
   * Overwrites the secrets held by this object, its epoch secrets included. JavaScript gives no guarantee
   * that no copy survives elsewhere in memory; this only shortens their lifetime.
   */
  wipe(): void {
    wipe(this.#identitySeed, this.#encryptionSecret);
    this.#epochs.wipe();
    this.#wiped = true;
  }

  #assertLive(): void {
    if (this.#wiped) throw new UsageError('DEVICE_WIPED', 'this device object was wiped');
  }
}
