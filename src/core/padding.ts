/**
 * Length hiding for plaintexts before they are sealed.
 *
 * A padded plaintext is `data ‖ 0x80 ‖ 0x00…` (ISO/IEC 7816-4), always at least one byte longer
 * than the data. Every plaintext up to 255 bytes pads to exactly 256 bytes, so all small records
 * (a call record is ~120 bytes) look identical on the wire. Longer ones are rounded up with
 * Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication with
 * PURBs", PETS 2019): it leaks O(log log n) bits of the length, and above 256 bytes its
 * overhead stays at or below 6.25%.
 *
 * `unpad` runs only on plaintext an AEAD has already authenticated, so its early exits are no
 * padding oracle.
 */
import { CodecError, ValidationError } from '../errors.js';

/** Every padded plaintext is at least this long. */
const MIN_PADDED = 256;
const MARKER = 0x80;

/** Number of bits needed to write `m` (m ≥ 1), exact for every safe integer. */
function bitLength(m: number): number {
  const high = Math.floor(m / 0x100000000);
  return high > 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(m);
}

/**
 * Padded size, in bytes, for `n` bytes of data (the marker byte included).
 *
 * @throws ValidationError `PADDING_LENGTH_INVALID` if `n` is not an integer in
 *   [0, 2^53 − 2].
 */
export function paddedLength(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n >= Number.MAX_SAFE_INTEGER) {
    throw new ValidationError('PADDING_LENGTH_INVALID', 'length must be a non-negative integer');
  }
  const m = n + 1;
  if (m <= MIN_PADDED) return MIN_PADDED;
  const e = bitLength(m) - 1; // floor(log2 m)
  const s = bitLength(e); // floor(log2 e) + 1
  // Padmé's `(m + mask) & ~mask`, written with division by a power of two because bitwise
  // operators truncate to 32 bits; both forms are exact here.
  const step = 2 ** (e - s);
  return Math.ceil(m / step) * step;
}

/** True when `length` is a size {@link pad} can produce. Never throws. */
export function isPaddedLength(length: number): boolean {
  if (!Number.isSafeInteger(length) || length < MIN_PADDED) return false;
  // paddedLength is monotone and rounds up, so `length` is one of its values iff it maps
  // the largest data size that could fit back onto itself.
  return paddedLength(length - 1) === length;
}

/**
 * Returns a fresh array: `plaintext`, the 0x80 marker, then zeros up to
 * `paddedLength(plaintext.length)`.
 *
 * @throws ValidationError `PADDING_LENGTH_INVALID` (not reachable for real arrays).
 */
export function pad(plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedLength(plaintext.length));
  out.set(plaintext);
  out[plaintext.length] = MARKER;
  return out;
}

/**
 * Strips the padding and returns the data as a view into `padded` (no copy).
 *
 * @throws CodecError `PADDING_INVALID` if the length is not a padded length, there is no 0x80
 *   marker after the trailing zeros, or the data length would have padded to another size.
 */
export function unpad(padded: Uint8Array): Uint8Array {
  const length = padded.length;
  if (!isPaddedLength(length)) {
    throw new CodecError('PADDING_INVALID', 'padded length is not a valid padded size');
  }
  let marker = length - 1;
  while (marker >= 0 && padded[marker] === 0) marker--;
  if (marker < 0 || padded[marker] !== MARKER) {
    throw new CodecError('PADDING_INVALID', 'padding marker missing');
  }
  if (paddedLength(marker) !== length) {
    throw new CodecError('PADDING_INVALID', 'padding is longer than its data allows');
  }
  return padded.subarray(0, marker);
}
