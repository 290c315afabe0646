/**
 * Checks an X-Wing public key without using it: what both backends refuse at encapsulation,
 * tested up front so a bad key is refused where it is published, not where it is first used.
 */
import type { CryptoProvider } from './provider.js';
import { XWING_PUBLIC_KEY_BYTES } from './xwingSizes.js';

const MLKEM_PUBLIC_KEY_BYTES = 1184;
const MLKEM_Q = 3329;
// Any fixed scalar works: a low-order point yields the all-zero output for every clamped scalar.
const LOW_ORDER_PROBE = new Uint8Array(32).fill(0x5a);

/**
 * FIPS 203 §7.2's modulus check on an ML-KEM-768 encapsulation key: every 12-bit coefficient of
 * the encoded vector t̂ (its first 1152 bytes) is below q = 3329.
 */
export function mlkemKeyIsCanonical(publicKey: Uint8Array): boolean {
  for (let i = 0; i < 1152; i += 3) {
    const b0 = publicKey[i]!;
    const b1 = publicKey[i + 1]!;
    const b2 = publicKey[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= MLKEM_Q || ((b1 >> 4) | (b2 << 4)) >= MLKEM_Q) return false;
  }
  return true;
}

/** True when `publicKey` is 1216 bytes, its ML-KEM part passes the modulus check and its X25519 part is not of low order. */
export function xwingPublicKeyIsValid(suite: CryptoProvider, publicKey: Uint8Array): boolean {
  return (
    publicKey instanceof Uint8Array &&
    publicKey.length === XWING_PUBLIC_KEY_BYTES &&
    mlkemKeyIsCanonical(publicKey) &&
    suite.x25519(LOW_ORDER_PROBE, publicKey.subarray(MLKEM_PUBLIC_KEY_BYTES)) !== null
  );
}
