/**
 * The pure-JavaScript backend on noble (@noble/curves, @noble/ciphers, @noble/hashes), for
 * runtimes without WebAssembly (React Native/Hermes, pages with a strict CSP). Slower than
 * libsodium but byte-for-byte compatible with it; the tests cross-check the two.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { nobleEd25519Verify } from './nobleEd25519.js';
import { xwingDecapsulate, xwingEncapsulate, xwingPublicKey } from './nobleXwing.js';
import type { CryptoProvider } from './provider.js';

/** Returns the noble backend (nothing to load; async for symmetry with libsodium). */
export async function loadNobleBackend(): Promise<CryptoProvider> {
  return nobleBackend;
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

const nobleBackend: CryptoProvider = {
  name: 'noble',
  aeadEncrypt: (key, nonce, plaintext, aad) => xchacha20poly1305(key, nonce, aad).encrypt(plaintext),
  aeadDecrypt(key, nonce, ciphertext, aad) {
    if (ciphertext.length < 16) return null;
    try {
      return xchacha20poly1305(key, nonce, aad).decrypt(ciphertext);
    } catch {
      return null;
    }
  },
  x25519PublicKey: (secretKey) => x25519.getPublicKey(secretKey),
  x25519(secretKey, publicKey) {
    try {
      const shared = x25519.getSharedSecret(secretKey, publicKey);
      return isAllZero(shared) ? null : shared;
    } catch {
      return null;
    }
  },
  ed25519PublicKey: (seed) => ed25519.getPublicKey(seed),
  ed25519Sign: (seed, _publicKey, message) => ed25519.sign(message, seed),
  ed25519Verify: nobleEd25519Verify,
  blake2b: (outLength, message, key) =>
    key === undefined ? blake2b(message, { dkLen: outLength }) : blake2b(message, { dkLen: outLength, key }),
  xwingPublicKey,
  xwingEncapsulate,
  xwingDecapsulate,
  argon2id: (password, salt, params, outLength) =>
    argon2idAsync(password, salt, {
      t: params.opsLimit,
      m: params.memLimitBytes / 1024,
      p: 1,
      dkLen: outLength,
      version: 0x13,
    }),
};
