/**
 * The rendezvous code of a pairing without a camera: 9 random digits and a Damm check digit,
 * shown as `1234-5678-90` on the new device and typed on the approving one. The check digit
 * catches every single-digit typo and every swap of neighbours at once, before any network call.
 *
 * The code only names the mailbox and keys it (labelled BLAKE2b of the 10 digits). It carries
 * about 30 bits: a server that sees the mailbox ids can find it by brute force, read the
 * pairing messages and swap keys. What stops that man in the middle is the short
 * authentication string the two devices show afterwards (sas.ts), not the code.
 */
import { ValidationError } from '../errors.js';
import { utf8 } from '../crypto/bytes.js';
import { labelledHash } from '../crypto/kdf.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { WHITESPACE_CLASS } from './whitespace.js';

/** Domain label of the mailbox secret derived from a code. */
export const PAIRING_CODE_LABEL = 'multikey-sync/v1/pairing-code';

// Damm's totally anti-symmetric quasigroup of order 10.
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

function damm(digits: string): number {
  let interim = 0;
  for (const c of digits) interim = DAMM[interim]![c.charCodeAt(0) - 48]!;
  return interim;
}

/** A fresh code, e.g. `"4096-2231-57"`. */
export function createPairingCode(random: RandomSource = systemRandom): string {
  let digits = '';
  while (digits.length < 9) {
    // Bytes of 250 and above are dropped so that every digit is equally likely.
    for (const b of random(16)) if (b < 250 && digits.length < 9) digits += String(b % 10);
  }
  const full = digits + String(damm(digits));
  return `${full.slice(0, 4)}-${full.slice(4, 8)}-${full.slice(8)}`;
}

/** What a typed code may hold besides its digits: whitespace (whitespace.ts), `.`, `-`, U+2013, U+2014. */
const SEPARATORS = new RegExp(`[${WHITESPACE_CLASS}.\\-\u2013\u2014]`, 'g');

/**
 * The 10 digits of a typed code; whitespace, dashes and dots are ignored.
 * @throws {ValidationError} `PAIRING_CODE_INVALID` for a wrong length, a non-digit or a failed check digit.
 */
export function parsePairingCode(typed: string): string {
  const digits = typeof typed === 'string' ? typed.replace(SEPARATORS, '') : '';
  if (!/^\d{10}$/.test(digits) || damm(digits) !== 0) {
    throw new ValidationError('PAIRING_CODE_INVALID', 'the pairing code is 10 digits as shown on the new device: check for a typo');
  }
  return digits;
}

/**
 * The mailbox secret of a code (32 bytes).
 * @throws {ValidationError} `PAIRING_CODE_INVALID`.
 */
export function pairingCodeSecret(suite: CryptoProvider, code: string): Uint8Array {
  return labelledHash(suite, PAIRING_CODE_LABEL, 32, utf8(parsePairingCode(code)));
}
