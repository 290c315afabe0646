/**
 * X-Wing (draft-connolly-cfrg-xwing-kem) for the pure-JavaScript backend, assembled from noble's
 * ML-KEM-768 (FIPS 203), X25519 and SHA-3 exactly as the draft specifies; libsodium ships the
 * same KEM natively. The two are checked against each other and against the draft's published
 * vectors (test/crypto/xwing.test.ts), and agree also on the inputs they refuse: an ML-KEM key
 * that fails FIPS 203's modulus check, and a low-order X25519 part (libsodium refuses both).
 *
 *   expand(seed)     = SHAKE256(seed, 96): ML-KEM key-generation seed (d ‖ z) = bytes 0..64,
 *                      X25519 secret = bytes 64..96
 *   combiner         = SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ "\.//^\")
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { mlkemKeyIsCanonical } from './xwingKeyCheck.js';
import { XWING_CIPHERTEXT_BYTES, XWING_ESEED_BYTES, XWING_PUBLIC_KEY_BYTES, XWING_SEED_BYTES } from './xwingSizes.js';

const MLKEM_PUBLIC_KEY_BYTES = 1184;
const MLKEM_CIPHERTEXT_BYTES = 1088;
/** The 6-byte X-Wing label, "\.//^\". */
const LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);

interface Expanded {
  mlkemSecret: Uint8Array;
  x25519Secret: Uint8Array;
  x25519Public: Uint8Array;
  publicKey: Uint8Array;
}

function expand(seed: Uint8Array): Expanded {
  const bytes = shake256(seed, { dkLen: 96 });
  const mlkem = ml_kem768.keygen(bytes.subarray(0, 64));
  const x25519Secret = bytes.slice(64, 96);
  bytes.fill(0);
  const x25519Public = x25519.getPublicKey(x25519Secret);
  const publicKey = new Uint8Array(XWING_PUBLIC_KEY_BYTES);
  publicKey.set(mlkem.publicKey, 0);
  publicKey.set(x25519Public, MLKEM_PUBLIC_KEY_BYTES);
  return { mlkemSecret: mlkem.secretKey, x25519Secret, x25519Public, publicKey };
}

function combine(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  const input = new Uint8Array(32 + 32 + 32 + 32 + LABEL.length);
  input.set(ssM, 0);
  input.set(ssX, 32);
  input.set(ctX, 64);
  input.set(pkX, 96);
  input.set(LABEL, 128);
  const out = sha3_256(input);
  input.fill(0);
  return out;
}

/** X25519, or null for a low-order peer point (all-zero output), as libsodium refuses it. */
function dh(secret: Uint8Array, peer: Uint8Array): Uint8Array | null {
  try {
    const shared = x25519.getSharedSecret(secret, peer);
    let acc = 0;
    for (let i = 0; i < shared.length; i++) acc |= shared[i]!;
    return acc === 0 ? null : shared;
  } catch {
    return null;
  }
}

/** X-Wing public key of a 32-byte seed. */
export function xwingPublicKey(seed: Uint8Array): Uint8Array {
  if (seed.length !== XWING_SEED_BYTES) throw new RangeError('an X-Wing seed is 32 bytes');
  const k = expand(seed);
  k.mlkemSecret.fill(0);
  k.x25519Secret.fill(0);
  return k.publicKey;
}

/** X-Wing EncapsulateDerand; null for a malformed public key. */
export function xwingEncapsulate(publicKey: Uint8Array, eseed: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } | null {
  if (publicKey.length !== XWING_PUBLIC_KEY_BYTES || eseed.length !== XWING_ESEED_BYTES) return null;
  const pkM = publicKey.subarray(0, MLKEM_PUBLIC_KEY_BYTES);
  const pkX = publicKey.subarray(MLKEM_PUBLIC_KEY_BYTES);
  if (!mlkemKeyIsCanonical(pkM)) return null;
  const ekX = eseed.subarray(32, 64);
  const ssX = dh(ekX, pkX);
  if (ssX === null) return null;
  const ctX = x25519.getPublicKey(ekX);
  const { cipherText: ctM, sharedSecret: ssM } = ml_kem768.encapsulate(pkM, eseed.subarray(0, 32));
  const ciphertext = new Uint8Array(XWING_CIPHERTEXT_BYTES);
  ciphertext.set(ctM, 0);
  ciphertext.set(ctX, MLKEM_CIPHERTEXT_BYTES);
  const sharedSecret = combine(ssM, ssX, ctX, pkX);
  ssM.fill(0);
  ssX.fill(0);
  return { ciphertext, sharedSecret };
}

/** X-Wing Decapsulate; null when the X25519 part is a low-order point. */
export function xwingDecapsulate(ciphertext: Uint8Array, seed: Uint8Array): Uint8Array | null {
  if (ciphertext.length !== XWING_CIPHERTEXT_BYTES || seed.length !== XWING_SEED_BYTES) return null;
  const k = expand(seed);
  try {
    const ctX = ciphertext.subarray(MLKEM_CIPHERTEXT_BYTES);
    const ssX = dh(k.x25519Secret, ctX);
    if (ssX === null) return null;
    const ssM = ml_kem768.decapsulate(ciphertext.subarray(0, MLKEM_CIPHERTEXT_BYTES), k.mlkemSecret);
    const out = combine(ssM, ssX, ctX, k.x25519Public);
    ssM.fill(0);
    ssX.fill(0);
    return out;
  } finally {
    k.mlkemSecret.fill(0);
    k.x25519Secret.fill(0);
  }
}
