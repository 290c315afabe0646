/**
 * Short authentication strings (numeric comparison, as in Bluetooth LE and ZRTP), used by both
 * pairing flows. The new device first commits to its card and a random nonce (in the QR offer,
 * or in the first mailbox message of a code pairing); only then does the approver send its card
 * and nonce (the invite); then the new device reveals its nonce. Both show a 6-digit code
 * derived from the account, both cards and both nonces, and the new device consents only once
 * its user says the codes match. Whoever answers in the approver's place must fix its account,
 * card and nonce before it learns the new device's nonce, so it matches the real approver's code
 * with probability 10⁻⁶, however much it computes.
 */
import { CryptoError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import { labelledHash } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';

/** The commitment the new device makes first: hash of its card and nonce. */
export function sasCommitment(suite: CryptoProvider, card: Uint8Array, nonce: Uint8Array): Uint8Array {
  return labelledHash(suite, LABELS.sasCommit, 32, card, nonce);
}

/**
 * Checks a revealed card and nonce against the commitment.
 * @throws {CryptoError} `SAS_COMMITMENT_MISMATCH`.
 */
export function checkSasCommitment(suite: CryptoProvider, commitment: Uint8Array, card: Uint8Array, nonce: Uint8Array): void {
  if (!equalBytes(commitment, sasCommitment(suite, card, nonce))) {
    throw new CryptoError('SAS_COMMITMENT_MISMATCH', 'the revealed key does not match the earlier commitment');
  }
}

/**
 * The 6-digit code both devices show, e.g. "042 917": the first 40 bits of
 * BLAKE2b-128(label ‖ account ‖ new card ‖ approver card ‖ new nonce ‖ approver nonce), mod 10⁶.
 */
export function sasCode(
  suite: CryptoProvider,
  account: Uint8Array,
  newCard: Uint8Array,
  approverCard: Uint8Array,
  newNonce: Uint8Array,
  approverNonce: Uint8Array,
): string {
  const h = labelledHash(suite, LABELS.sasCode, 16, account, newCard, approverCard, newNonce, approverNonce);
  // 40 bits reduced mod 10^6: the bias is below 10^-6.
  const n = (h[0]! * 2 ** 32 + ((h[1]! << 24) >>> 0) + (h[2]! << 16) + (h[3]! << 8) + h[4]!) % 1_000_000;
  const digits = n.toString().padStart(6, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}
