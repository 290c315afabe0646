/**
 * The default backend: libsodium compiled to WebAssembly (libsodium-wrappers). Argon2id is only
 * in libsodium's "sumo" build, which is twice the size, so it is imported on first use by the
 * (already asynchronous) passphrase functions instead of weighing on every bundle.
 */
import sodium from 'libsodium-wrappers';
import { KeyVerdicts } from './ed25519Rule.js';
import type { Argon2Params, CryptoProvider } from './provider.js';
import { XWING_CIPHERTEXT_BYTES, XWING_ESEED_BYTES, XWING_PUBLIC_KEY_BYTES, XWING_SEED_BYTES } from './xwingSizes.js';

let loaded: Promise<CryptoProvider> | undefined;

/** Loads libsodium once and returns the backend. */
export function loadSodiumBackend(): Promise<CryptoProvider> {
  loaded ??= sodium.ready.then(() => makeSodiumBackend());
  return loaded;
}

function makeSodiumBackend(): CryptoProvider {
  const s = sodium;
  const signKey = new Uint8Array(64);
  // crypto_sign_ed25519_pk_to_curve25519 refuses a small-order point, one off the curve, and one
  // outside the prime-order subgroup: with verify's own canonical check, A has order exactly L.
  const publicKeys = new KeyVerdicts((publicKey) => {
    try {
      s.crypto_sign_ed25519_pk_to_curve25519(publicKey);
      return true;
    } catch {
      return false;
    }
  });
  return {
    name: 'sodium',
    aeadEncrypt: (key, nonce, plaintext, aad) =>
      s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key),
    aeadDecrypt(key, nonce, ciphertext, aad) {
      if (ciphertext.length < 16) return null;
      try {
        return s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, aad, nonce, key);
      } catch {
        return null;
      }
    },
    x25519PublicKey: (secretKey) => s.crypto_scalarmult_base(secretKey),
    x25519(secretKey, publicKey) {
      try {
        return s.crypto_scalarmult(secretKey, publicKey);
      } catch {
        return null; // libsodium refuses an all-zero result
      }
    },
    ed25519PublicKey(seed) {
      const pair = s.crypto_sign_seed_keypair(seed);
      pair.privateKey.fill(0); // seed ‖ public key: the caller keeps its own copy of the seed
      return pair.publicKey;
    },
    ed25519Sign(seed, publicKey, message) {
      signKey.set(seed, 0);
      signKey.set(publicKey, 32);
      try {
        return s.crypto_sign_detached(message, signKey);
      } finally {
        signKey.fill(0);
      }
    },
    ed25519Verify(signature, message, publicKey) {
      if (signature.length !== 64 || publicKey.length !== 32) return false;
      // libsodium 1.0.22 refuses S ≥ L, a non-canonical A, a small-order A or R, and compares
      // [S]B − [k]A with R byte for byte; what it lets through that the protocol's rule does not
      // is a public key with a torsion component whose [k]T happens to vanish. With A of order L
      // the comparison also rules out any torsion in R (test/vectors/ed25519.json pins both).
      if (!publicKeys.ok(publicKey)) return false;
      try {
        return s.crypto_sign_verify_detached(signature, message, publicKey);
      } catch {
        return false;
      }
    },
    blake2b: (outLength, message, key) => s.crypto_generichash(outLength, message, key ?? null),
    xwingPublicKey(seed) {
      const pair = s.crypto_kem_xwing_seed_keypair(seed);
      pair.privateKey.fill(0); // the seed itself: the caller keeps its own copy
      return pair.publicKey;
    },
    xwingEncapsulate(publicKey, eseed) {
      if (publicKey.length !== XWING_PUBLIC_KEY_BYTES || eseed.length !== XWING_ESEED_BYTES) return null;
      try {
        const out = s.crypto_kem_xwing_enc_deterministic(publicKey, eseed);
        return { ciphertext: out.ciphertext, sharedSecret: out.sharedSecret };
      } catch {
        return null; // libsodium refuses an ML-KEM key that fails the modulus check, or a low-order X25519 part
      }
    },
    xwingDecapsulate(ciphertext, seed) {
      if (ciphertext.length !== XWING_CIPHERTEXT_BYTES || seed.length !== XWING_SEED_BYTES) return null;
      try {
        return s.crypto_kem_xwing_dec(ciphertext, seed);
      } catch {
        return null; // a low-order X25519 part
      }
    },
    argon2id: sodiumArgon2id,
  };
}

async function sodiumArgon2id(
  password: Uint8Array,
  salt: Uint8Array,
  params: Argon2Params,
  outLength: number,
): Promise<Uint8Array> {
  // The default export, as with libsodium-wrappers: its named exports break under some loaders.
  const sumo = (await import('libsodium-wrappers-sumo')).default;
  await sumo.ready;
  return sumo.crypto_pwhash(
    outLength,
    password,
    salt,
    params.opsLimit,
    params.memLimitBytes,
    sumo.crypto_pwhash_ALG_ARGON2ID13,
  );
}
