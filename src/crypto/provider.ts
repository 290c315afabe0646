/**
 * The crypto suite as one small interface: Ed25519, X25519, XChaCha20-Poly1305-IETF, BLAKE2b,
 * the X-Wing hybrid KEM (X25519 + ML-KEM-768) for pair keys, and Argon2id for passphrase
 * blobs. Two backends implement it — libsodium (WebAssembly) and noble (pure JavaScript) — and
 * the test suite checks each against the other. Every method except `argon2id` is synchronous,
 * so the hot path never awaits.
 */

/** Names of the available backends. */
export type BackendName = 'sodium' | 'noble';

/** Argon2id cost parameters, in libsodium's units. */
export interface Argon2Params {
  /** Passes over memory (libsodium's opslimit, Argon2's t). */
  opsLimit: number;
  /** Memory in bytes (libsodium's memlimit); Argon2's m is this divided by 1024. */
  memLimitBytes: number;
}

/** The primitives of suite 1. Keys and outputs are raw bytes; lengths are fixed by the suite. */
export interface CryptoProvider {
  readonly name: BackendName;
  /** XChaCha20-Poly1305-IETF: returns ciphertext ‖ 16-byte tag. */
  aeadEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** XChaCha20-Poly1305-IETF: returns the plaintext, or null when the tag does not verify. */
  aeadDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /** X25519 public key of a 32-byte secret. */
  x25519PublicKey(secretKey: Uint8Array): Uint8Array;
  /** X25519 shared secret, or null when the peer key yields the all-zero (low-order) output. */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;
  /** Ed25519 public key of a 32-byte seed. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  /** Ed25519 signature (64 bytes) by the key with this seed and public key. */
  ed25519Sign(seed: Uint8Array, publicKey: Uint8Array, message: Uint8Array): Uint8Array;
  /**
   * Ed25519 verification under the protocol's one rule (docs/protocol.md §1): S < L, A and R
   * canonical encodings of points of order exactly L, and [S]B = R + [k]A. False for any
   * signature or key the rule refuses, and for malformed input, rather than an exception.
   */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** BLAKE2b with output length 16..64, optionally keyed (key 16..64 bytes). */
  blake2b(outLength: number, message: Uint8Array, key?: Uint8Array): Uint8Array;
  /**
   * X-Wing public key (1216 bytes: ML-KEM-768 ‖ X25519) of a 32-byte secret seed, which is
   * the whole secret key (draft-connolly-cfrg-xwing-kem, `GenerateKeyPairDerand`).
   */
  xwingPublicKey(seed: Uint8Array): Uint8Array;
  /**
   * X-Wing encapsulation to `publicKey` with the 64-byte randomness `eseed` (`EncapsulateDerand`):
   * a 1120-byte ciphertext and a 32-byte shared secret; null when the public key is malformed
   * (an ML-KEM coefficient ≥ q, or a low-order X25519 part).
   */
  xwingEncapsulate(publicKey: Uint8Array, eseed: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } | null;
  /**
   * X-Wing decapsulation of a 1120-byte ciphertext with the 32-byte seed: the shared secret, or
   * null when the X25519 part is a low-order point. A tampered ML-KEM part yields ML-KEM's
   * implicit-rejection secret, not an error, so the caller must authenticate what it derives.
   */
  xwingDecapsulate(ciphertext: Uint8Array, seed: Uint8Array): Uint8Array | null;
  /** Argon2id (version 0x13, one lane) of a password: slow on purpose, hence async. */
  argon2id(password: Uint8Array, salt: Uint8Array, params: Argon2Params, outLength: number): Promise<Uint8Array>;
}
