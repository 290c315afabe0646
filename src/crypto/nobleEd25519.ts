/**
 * Ed25519 verification on noble under the protocol's rule (docs/protocol.md §1), which is
 * libsodium's. noble's own `verify` with `zip215: false` already refuses S ≥ L, non-canonical
 * encodings and a small-order A, but its equation is the cofactored one, [8][S]B = [8](R + [k]A):
 * on its own it accepts a small-order R, and a torsion component in R or A, that libsodium's
 * cofactorless comparison refuses. The checks below refuse those first; once A and R are both of
 * order exactly L the cofactored and cofactorless equations agree, and noble's verify decides.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { KeyVerdicts, scalarBelowOrder } from './ed25519Rule.js';

/** True when `bytes` canonically encode a point of order exactly L (not the identity, no torsion). */
function isPrimeOrderPoint(bytes: Uint8Array): boolean {
  let point;
  try {
    // zip215 = false: y < p, and x = 0 only with a clear sign bit.
    point = ed25519.Point.fromBytes(bytes, false);
  } catch {
    return false;
  }
  return !point.is0() && point.isTorsionFree();
}

const publicKeys = new KeyVerdicts(isPrimeOrderPoint);

/** Ed25519 verification under the protocol's rule; false for any malformed input. */
export function nobleEd25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  if (!scalarBelowOrder(signature.subarray(32))) return false;
  if (!publicKeys.ok(publicKey) || !isPrimeOrderPoint(signature.subarray(0, 32))) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
