/**
 * The wire object of the plaintext baselines. The server stores only what `parseEnvelope`
 * accepts (version, suite, kind, 1..1024 recipients, a body of a padded length plus a 16-byte
 * tag), so "encryption off" must still travel in that frame: the same 79-byte header, the
 * body = the record's CBOR padded exactly as `seal` pads it (so padding is not billed to
 * encryption), then 16 zero bytes where the tag would be, then `stanzas` zero-filled 64-byte
 * stanzas. No key is drawn and no AEAD or hash runs, on either side.
 *
 * With one stanza this is the smallest frame the server accepts (padded body + 159 bytes):
 * everything encryption adds is left out except the 80 bytes of tag and stanza slots the parser
 * insists on, which favours the baseline's rival slightly. With n stanzas it is byte for byte
 * as large as a sealed envelope, isolating the CPU cost of the crypto from its bytes.
 */
import { decodeValue, encodeValue } from '../src/core/cbor.js';
import { HEADER_BYTES, parseEnvelope, STANZA_BYTES, TAG_BYTES, writeHeader, type EnvelopeHeader, type ParsedEnvelope } from '../src/core/envelopeFormat.js';
import { pad, unpad } from '../src/core/padding.js';

/** Header fields of a plain frame (the recipient count is the stanza count). */
export type PlainHeader = Omit<EnvelopeHeader, 'recipientCount'>;

/** Frames `value` (CBOR, padded) with `stanzas` empty stanza slots. */
export function plainFrame(header: PlainHeader, value: unknown, stanzas: number): Uint8Array {
  const padded = pad(encodeValue(value));
  const out = new Uint8Array(HEADER_BYTES + padded.length + TAG_BYTES + stanzas * STANZA_BYTES);
  writeHeader(out, { ...header, recipientCount: stanzas });
  out.set(padded, HEADER_BYTES);
  return out;
}

/** What a reader of a plain frame gets: the header and the decoded value. */
export interface PlainRead {
  parsed: ParsedEnvelope;
  value: unknown;
}

/**
 * Reads a plain frame with the same bounded parser and the same safe CBOR decoder `open` uses.
 * @throws {CodecError} `ENVELOPE_*`, `PADDING_INVALID`, `CBOR_*`.
 */
export function readPlainFrame(bytes: Uint8Array): PlainRead {
  const parsed = parseEnvelope(bytes);
  const padded = parsed.body.subarray(0, parsed.body.length - TAG_BYTES);
  return { parsed, value: decodeValue(unpad(padded)) };
}
