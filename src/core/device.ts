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
import { decodeValue, encodeCanonical } from './cbor.js';
import { EpochKeys } from './epochKeys.js';
import { bindingMessage, deviceIdOf, type DevicePublic } from './devicePublic.js';
import type { KeyStatement } from './keyStatement.js';
import { checkPairKeyContext, derivePairKey, MAX_KEY_REF } from './pairKey.js';

/** Bytes in {@link Device.exportSecrets}' output. */
export const DEVICE_SECRET_BYTES = 65;
const SECRET_VERSION = 0x01;

/** Most rotated-away cards kept at once (see {@link Device.retiredCards}). */
const MAX_RETIRED = 16;

/** A card this device rotated away, still kept (see {@link Device.retiredCards}). */
export interface RetiredCard {
  readonly card: DevicePublic;
  /** ms since 1970 when it was rotated away. */
  readonly retiredAt: number;
}

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
  #retired: { card: DevicePublic; secret: Uint8Array; retiredAt: number }[] = [];
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
   * Publishing the new card to the other devices is the enrollment layer's job. The rotated
   * device keeps the old card's secret as a retired card (dated `now`): a peer that has not yet
   * seen the rotation still makes its pair key toward the old card, and that key must open
   * here until the sync layer forgets the card after its grace period ({@link Device.forgetRetiredCard}).
   */
  rotateEncryptionKey(random: RandomSource = systemRandom, now: number = Date.now()): Device {
    this.#assertLive();
    // The epoch keys belong to the identity, which does not change: they move to the rotated
    // device, so wiping this object later does not wipe them.
    const rotated = new Device(this.suite, this.#identitySeed.slice(), random(32), this.#epochs);
    this.#epochs = new EpochKeys();
    rotated.#retired = [...this.#retired, { card: this.public, secret: this.#encryptionSecret.slice(), retiredAt: now }].slice(-MAX_RETIRED);
    this.#retired = [];
    return rotated;
  }

  /** The cards this device rotated away whose secrets it still keeps, oldest first. */
  retiredCards(): readonly RetiredCard[] {
    return this.#retired.map(({ card, retiredAt }) => ({ card, retiredAt }));
  }

  /** True when `card` is one of this device's retired cards still kept. */
  keepsRetiredCard(card: DevicePublic): boolean {
    return this.#retired.some((r) => equalBytes(r.card.encryptionKey, card.encryptionKey));
  }

  /** Forgets (and wipes) a retired card's secret; false when it was not kept. */
  forgetRetiredCard(card: DevicePublic): boolean {
    const at = this.#retired.findIndex((r) => equalBytes(r.card.encryptionKey, card.encryptionKey));
    if (at < 0) return false;
    this.#retired[at]!.secret.fill(0);
    this.#retired.splice(at, 1);
    return true;
  }

  /**
   * The retired cards' secrets as canonical CBOR: seal it before storing it (the sync layer
   * keeps it in the key ring, as it keeps the epoch secrets).
   */
  retiredToBytes(): Uint8Array {
    this.#assertLive();
    return encodeCanonical({ v: 1, r: this.#retired.map((r) => ({ s: r.secret, a: r.retiredAt })) });
  }

  /**
   * Adds the retired cards saved by {@link Device.retiredToBytes} to those kept (a card kept
   * already stays as it is); each card is rebuilt from this identity and its secret.
   * @throws {CodecError} `RETIRED_CARDS_MALFORMED`.
   */
  restoreRetired(bytes: Uint8Array): void {
    this.#assertLive();
    const bad = (why: string, cause?: unknown) => new CodecError('RETIRED_CARDS_MALFORMED', `saved retired cards: ${why}`, cause === undefined ? undefined : { cause });
    let o: { v?: unknown; r?: unknown };
    try {
      o = decodeValue(bytes, { maxDepth: 3, maxItems: 8 + MAX_RETIRED * 4, maxBytes: 64 + MAX_RETIRED * 64 }) as { v?: unknown; r?: unknown };
    } catch (cause) {
      throw bad('they do not decode', cause);
    }
    if (typeof o !== 'object' || o === null || o.v !== 1 || !Array.isArray(o.r) || o.r.length > MAX_RETIRED) throw bad('not a list of cards');
    const retired = (o.r as Record<string, unknown>[]).map((r) => {
      const { s, a } = r ?? {};
      if (!(s instanceof Uint8Array) || s.length !== 32 || typeof a !== 'number' || !Number.isSafeInteger(a) || a < 0) throw bad('a card has the wrong shape');
      const rebuilt = new Device(this.suite, this.#identitySeed.slice(), s.slice());
      const card = rebuilt.public;
      rebuilt.wipe();
      return { card, secret: s.slice(), retiredAt: a };
    });
    for (const r of retired) {
      if (this.keepsRetiredCard(r.card)) r.secret.fill(0);
      else this.#retired.push(r);
    }
    this.#retired.sort((x, y) => x.retiredAt - y.retiredAt);
    this.#retired = this.#retired.slice(-MAX_RETIRED);
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
   * for this device's epoch `epoch`, toward this device's current card, or toward `asCard`, a
   * retired card the sender made it for (it had not yet seen the rotation).
   * @throws {ValidationError} `PAIR_KEY_INPUT_INVALID`.
   * @throws {CryptoError} `EPOCH_KEY_UNKNOWN` when this device no longer keeps (or never had)
   *   that epoch's secret; `CARD_KEY_UNKNOWN` when `asCard` is not a retired card still kept;
   *   `PEER_KEY_INVALID` for a low-order key in the card or ciphertext.
   */
  acceptPairKey(sender: DevicePublic, epoch: number, ref: number, ciphertext: Uint8Array, asCard?: DevicePublic): Uint8Array {
    this.#assertLive();
    let secret = this.#encryptionSecret;
    let recipient = this.public;
    if (asCard !== undefined && !equalBytes(asCard.encryptionKey, this.public.encryptionKey)) {
      const retired = this.#retired.find((r) => equalBytes(r.card.encryptionKey, asCard.encryptionKey));
      if (retired === undefined) throw new CryptoError('CARD_KEY_UNKNOWN', 'this device does not keep the secret of that card (rotated away and forgotten)');
      secret = retired.secret;
      recipient = retired.card;
    }
    const context = { sender, recipient, epoch, ref, ciphertext };
    checkPairKeyContext(context);
    const own = this.#epochs.get(epoch);
    if (own === undefined) throw new CryptoError('EPOCH_KEY_UNKNOWN', `this device does not keep the secret of its key epoch ${epoch}`);
    const kemShared = this.suite.xwingDecapsulate(ciphertext, own.seed);
    if (kemShared === null) throw new CryptoError('PEER_KEY_INVALID', 'the pair-key ciphertext carries a low-order X25519 point');
    return derivePairKey(this.suite, this.#x25519(sender, secret), kemShared, context);
  }

  /** X25519 of this device's static secret (or `secret`) and `peer`'s static key; null for a low-order key. */
  #x25519(peer: DevicePublic, secret: Uint8Array = this.#encryptionSecret): Uint8Array | null {
    expectBytes(peer.encryptionKey, 32, 'peer encryption key');
    return this.suite.x25519(secret, peer.encryptionKey);
  }

  /**
   * Overwrites the secrets held by this object, its epoch secrets included. JavaScript gives no guarantee
   * that no copy survives elsewhere in memory; this only shortens their lifetime.
   */
  wipe(): void {
    wipe(this.#identitySeed, this.#encryptionSecret);
    for (const r of this.#retired) r.secret.fill(0);
    this.#retired = [];
    this.#epochs.wipe();
    this.#wiped = true;
  }

  #assertLive(): void {
    if (this.#wiped) throw new UsageError('DEVICE_WIPED', 'this device object was wiped');
  }
}
