/**
 * The default backend: libsodium compiled to WebAssembly, called directly (sodiumWasm.ts).
 * Argon2id is only in libsodium's "sumo" build, which is twice the size, so it is imported on
 * first use by the (already asynchronous) passphrase functions instead of weighing on every
 * bundle.
 */
import { KeyVerdicts } from './ed25519Rule.js';
import type { Argon2Params, CryptoProvider } from './provider.js';
import { callSodium, instantiateSodium, loadSodiumWasm, type SodiumSumoWasm, type SodiumWasm } from './sodiumWasm.js';
import {
  XWING_CIPHERTEXT_BYTES,
  XWING_ESEED_BYTES,
  XWING_PUBLIC_KEY_BYTES,
  XWING_SEED_BYTES,
  XWING_SHARED_SECRET_BYTES,
} from './xwingSizes.js';

let loaded: Promise<CryptoProvider> | undefined;

/** Loads libsodium once and returns the backend. */
export function loadSodiumBackend(): Promise<CryptoProvider> {
  loaded ??= loadSodiumWasm().then(makeSodiumBackend);
  return loaded;
}

/** XChaCha20-Poly1305-IETF key, nonce and tag sizes; X25519 and Ed25519 key sizes. */
const KEY = 32;
const XNONCE = 24;
const TAG = 16;
const SIGNATURE = 64;

/** Refuses an argument of the wrong length, as a programming error (lengths are the suite's). */
function expectLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new RangeError(`libsodium: ${what} must be ${length} bytes`);
  }
}

/** The one output of a call that cannot fail on well-sized arguments. */
function only(outputs: Uint8Array[] | null, what: string): Uint8Array {
  if (outputs === null) throw new RangeError(`libsodium: ${what} refused its arguments`);
  return outputs[0]!;
}

function makeSodiumBackend(w: SodiumWasm): CryptoProvider {
  // Ed25519 public key to X25519 refuses a small-order point, one off the curve, and one outside
  // the prime-order subgroup: with verify's own canonical check, A has order exactly L.
  const publicKeys = new KeyVerdicts(
    (publicKey) => callSodium(w, [publicKey], [KEY], ([pk, x]) => w._crypto_sign_ed25519_pk_to_curve25519(x!, pk!)) !== null,
  );
  const sizesFit = (pairs: [Uint8Array, number][]) => pairs.every(([bytes, length]) => bytes instanceof Uint8Array && bytes.length === length);
  return {
    name: 'sodium',
    aeadEncrypt(key, nonce, plaintext, aad) {
      expectLength(key, KEY, 'key');
      expectLength(nonce, XNONCE, 'nonce');
      const outputs = callSodium(w, [plaintext, aad, nonce, key], [plaintext.length + TAG], ([m, ad, npub, k, c]) =>
        w._crypto_aead_xchacha20poly1305_ietf_encrypt(c!, 0, m!, plaintext.length, 0, ad!, aad.length, 0, 0, npub!, k!),
      );
      return only(outputs, 'aead encrypt');
    },
    aeadDecrypt(key, nonce, ciphertext, aad) {
      if (ciphertext.length < TAG || !sizesFit([[key, KEY], [nonce, XNONCE]])) return null;
      const outputs = callSodium(w, [ciphertext, aad, nonce, key], [ciphertext.length - TAG], ([c, ad, npub, k, m]) =>
        w._crypto_aead_xchacha20poly1305_ietf_decrypt(m!, 0, 0, c!, ciphertext.length, 0, ad!, aad.length, 0, npub!, k!),
      );
      return outputs === null ? null : outputs[0]!;
    },
    x25519PublicKey(secretKey) {
      expectLength(secretKey, KEY, 'X25519 secret key');
      return only(
        callSodium(w, [secretKey], [KEY], ([n, q]) => w._crypto_scalarmult_base(q!, n!)),
        'X25519 base point multiplication',
      );
    },
    x25519(secretKey, publicKey) {
      if (!sizesFit([[secretKey, KEY], [publicKey, KEY]])) return null;
      // libsodium refuses an all-zero result.
      const outputs = callSodium(w, [secretKey, publicKey], [KEY], ([n, p, q]) => w._crypto_scalarmult(q!, n!, p!));
      return outputs === null ? null : outputs[0]!;
    },
    ed25519PublicKey(seed) {
      expectLength(seed, KEY, 'Ed25519 seed');
      // The secret key output (seed ‖ public key) is zeroed in the heap with the rest.
      return only(
        callSodium(w, [seed], [KEY, 2 * KEY], ([s, pk, sk]) => w._crypto_sign_seed_keypair(pk!, sk!, s!)),
        'Ed25519 key pair',
      );
    },
    ed25519Sign(seed, publicKey, message) {
      expectLength(seed, KEY, 'Ed25519 seed');
      expectLength(publicKey, KEY, 'Ed25519 public key');
      // libsodium's secret key is seed ‖ public key: both go into the heap side by side.
      const outputs = callSodium(w, [seed, publicKey, message], [SIGNATURE], ([sk, , m, sig]) =>
        w._crypto_sign_detached(sig!, 0, m!, message.length, 0, sk!),
      );
      return only(outputs, 'Ed25519 sign');
    },
    ed25519Verify(signature, message, publicKey) {
      if (!sizesFit([[signature, SIGNATURE], [publicKey, KEY]])) return false;
      // libsodium 1.0.22 refuses S ≥ L, a non-canonical A, a small-order A or R, and compares
      // [S]B − [k]A with R byte for byte; what it lets through that the protocol's rule does not
      // is a public key with a torsion component whose [k]T happens to vanish. With A of order L
      // the comparison also rules out any torsion in R (test/vectors/ed25519.json pins both).
      if (!publicKeys.ok(publicKey)) return false;
      return (
        callSodium(w, [signature, message, publicKey], [], ([sig, m, pk]) =>
          w._crypto_sign_verify_detached(sig!, m!, message.length, 0, pk!),
        ) !== null
      );
    },
    blake2b(outLength, message, key) {
      if (!Number.isInteger(outLength) || outLength < 1 || outLength > 64) {
        throw new RangeError('libsodium: a BLAKE2b output is 1 to 64 bytes');
      }
      const keyBytes = key ?? new Uint8Array(0);
      const outputs = callSodium(w, [message, keyBytes], [outLength], ([m, k, out]) =>
        w._crypto_generichash(out!, outLength, m!, message.length, 0, key === undefined ? 0 : k!, keyBytes.length),
      );
      return only(outputs, 'BLAKE2b');
    },
    xwingPublicKey(seed) {
      expectLength(seed, XWING_SEED_BYTES, 'X-Wing seed');
      const secretKeyBytes = w._crypto_kem_xwing_secretkeybytes();
      return only(
        callSodium(w, [seed], [XWING_PUBLIC_KEY_BYTES, secretKeyBytes], ([s, pk, sk]) =>
          w._crypto_kem_xwing_seed_keypair(pk!, sk!, s!),
        ),
        'X-Wing key pair',
      );
    },
    xwingEncapsulate(publicKey, eseed) {
      if (!sizesFit([[publicKey, XWING_PUBLIC_KEY_BYTES], [eseed, XWING_ESEED_BYTES]])) return null;
      // libsodium refuses an ML-KEM key that fails the modulus check, or a low-order X25519 part.
      const outputs = callSodium(w, [publicKey, eseed], [XWING_CIPHERTEXT_BYTES, XWING_SHARED_SECRET_BYTES], ([pk, e, ct, ss]) =>
        w._crypto_kem_xwing_enc_deterministic(ct!, ss!, pk!, e!),
      );
      return outputs === null ? null : { ciphertext: outputs[0]!, sharedSecret: outputs[1]! };
    },
    xwingDecapsulate(ciphertext, seed) {
      if (!sizesFit([[ciphertext, XWING_CIPHERTEXT_BYTES], [seed, XWING_SEED_BYTES]])) return null;
      // libsodium refuses a low-order X25519 part.
      const outputs = callSodium(w, [ciphertext, seed], [XWING_SHARED_SECRET_BYTES], ([ct, sk, ss]) =>
        w._crypto_kem_xwing_dec(ss!, ct!, sk!),
      );
      return outputs === null ? null : outputs[0]!;
    },
    argon2id: sodiumArgon2id,
  };
}

let sumo: Promise<SodiumSumoWasm> | undefined;

/** Argon2id version 0x13 (libsodium's crypto_pwhash_ALG_ARGON2ID13). */
const ARGON2ID13 = 2;

async function sodiumArgon2id(
  password: Uint8Array,
  salt: Uint8Array,
  params: Argon2Params,
  outLength: number,
): Promise<Uint8Array> {
  sumo ??= import('libsodium-sumo').then((exported) => instantiateSodium<SodiumSumoWasm>(exported));
  const w = await sumo;
  expectLength(salt, 16, 'Argon2id salt');
  const { opsLimit, memLimitBytes } = params;
  for (const n of [opsLimit, memLimitBytes, outLength]) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError('libsodium: Argon2id parameters are 32-bit unsigned integers');
  }
  const outputs = callSodium(w, [password, salt], [outLength], ([pw, s, out]) =>
    w._crypto_pwhash(out!, outLength, 0, pw!, password.length, 0, s!, opsLimit, 0, memLimitBytes, ARGON2ID13),
  );
  return only(outputs, 'Argon2id');
}
