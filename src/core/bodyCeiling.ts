/**
 * The largest record body the protocol can carry: the longest plaintext that, padded (§6) and
 * sealed with its 16-byte tag, header and one stanza per recipient, still fits an envelope of
 * `DEFAULT_MAX_ENVELOPE_BYTES` for the most recipients an envelope may have. Every device can
 * seal it and every honest server stores it, whoever the recipients are.
 */
import { DEFAULT_MAX_ENVELOPE_BYTES, HEADER_BYTES, MAX_RECIPIENTS, STANZA_BYTES, TAG_BYTES } from './envelopeFormat.js';
import { paddedLength } from './padding.js';

/**
 * The longest body (CBOR bytes, before padding) whose envelope for `recipients` devices is at
 * most `envelopeBytes`; -1 when not even an empty body fits.
 */
export function largestBody(envelopeBytes: number, recipients: number): number {
  const room = envelopeBytes - HEADER_BYTES - TAG_BYTES - STANZA_BYTES * recipients;
  if (paddedLength(0) > room) return -1;
  // paddedLength is monotone: the last n whose padding fits.
  let lo = 0;
  let hi = room;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (paddedLength(mid) <= room) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * 4,063,231 bytes (3.875 MiB less one byte): at that size Padmé rounds in 64 KiB steps, so the
 * body pads to 62 × 64 KiB and, with 1024 stanzas of 68 bytes, the envelope is 4,132,955 bytes.
 */
export const MAX_BODY_BYTES = largestBody(DEFAULT_MAX_ENVELOPE_BYTES, MAX_RECIPIENTS);
