/**
 * The envelope's fixed binary layout (suite 1, format version 1). All integers big-endian.
 *
 * | offset | bytes | field                                                      |
 * |--------|-------|------------------------------------------------------------|
 * | 0      | 1     | format version = 0x01                                      |
 * | 1      | 1     | suite = 0x01                                               |
 * | 2      | 1     | kind: 0x00 record, 0x01 tombstone                          |
 * | 3      | 16    | record id (random; the same across revisions)              |
 * | 19     | 4     | revision (u32)                                             |
 * | 23     | 16    | sender device id                                           |
 * | 39     | 4     | sender's sequence number (u32)                             |
 * | 43     | 32    | chain head the sender had verified                         |
 * | 75     | 2     | expiry day (u16 days since 1970-01-01; 0 = none)           |
 * | 77     | 2     | recipient count n (u16, 1..1024)                           |
 * | 79     | L     | body: XChaCha20-Poly1305(content key, zero nonce, padded CBOR) |
 * | 79+L   | 64·n  | stanzas: recipient id (16) ‖ wrapped content key (48)      |
 *
 * L is implied by the total length. The account id is not on the wire: it is bound into the
 * body's AAD and the envelope hash, so an envelope moved to another account does not open.
 * Parsing here is pure bounds-checking, shared by the server (which never decrypts) and `open`.
 */
import { CodecError } from '../errors.js';
import { isPaddedLength } from './padding.js';

export const ENVELOPE_VERSION = 0x01;
export const SUITE_1 = 0x01;
export const HEADER_BYTES = 79;
export const STANZA_BYTES = 64;
export const TAG_BYTES = 16;
export const CONTENT_KEY_BYTES = 32;
export const RECORD_ID_BYTES = 16;
export const CHAIN_HEAD_BYTES = 32;
export const ACCOUNT_ID_BYTES = 32;
/** Most recipients one envelope may name. */
export const MAX_RECIPIENTS = 1024;
/** Default ceiling on a whole envelope, checked before anything else is read. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;

/** The two kinds of envelope. */
export type EnvelopeKind = 'record' | 'tombstone';

/** The public header fields, readable without any key. */
export interface EnvelopeHeader {
  kind: EnvelopeKind;
  recordId: Uint8Array;
  revision: number;
  sender: Uint8Array;
  sequence: number;
  chainHead: Uint8Array;
  /** Days since 1970-01-01 after which the record may be collected; 0 = never. */
  expiryDay: number;
  recipientCount: number;
}

/** A parsed envelope: header fields and views into the original bytes (no copies). */
export interface ParsedEnvelope extends EnvelopeHeader {
  headerBytes: Uint8Array;
  body: Uint8Array;
  /** Header and body together: what the envelope hash covers after the account id. */
  headerAndBody: Uint8Array;
  stanzas: Uint8Array;
}

/**
 * Bounds-checks an envelope and reads its header without any key.
 * @throws {CodecError} `ENVELOPE_TOO_LARGE`, `ENVELOPE_TRUNCATED`, `ENVELOPE_VERSION_UNSUPPORTED`,
 *   `ENVELOPE_SUITE_UNSUPPORTED`, `ENVELOPE_MALFORMED`.
 */
export function parseEnvelope(bytes: Uint8Array, maxBytes = DEFAULT_MAX_ENVELOPE_BYTES): ParsedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('ENVELOPE_MALFORMED', 'an envelope must be a Uint8Array');
  if (bytes.length > maxBytes) throw new CodecError('ENVELOPE_TOO_LARGE', `envelope exceeds ${maxBytes} bytes`);
  if (bytes.length < HEADER_BYTES) throw new CodecError('ENVELOPE_TRUNCATED', 'envelope is shorter than its header');
  if (bytes[0] !== ENVELOPE_VERSION) {
    throw new CodecError('ENVELOPE_VERSION_UNSUPPORTED', `envelope format version ${bytes[0]} is not supported`);
  }
  if (bytes[1] !== SUITE_1) throw new CodecError('ENVELOPE_SUITE_UNSUPPORTED', `crypto suite ${bytes[1]} is not supported`);
  const kindByte = bytes[2];
  if (kindByte !== 0 && kindByte !== 1) throw new CodecError('ENVELOPE_MALFORMED', 'unknown envelope kind');
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const recipientCount = view.getUint16(77);
  if (recipientCount === 0 || recipientCount > MAX_RECIPIENTS) {
    throw new CodecError('ENVELOPE_MALFORMED', `recipient count must be 1..${MAX_RECIPIENTS}`);
  }
  const bodyLength = bytes.length - HEADER_BYTES - recipientCount * STANZA_BYTES;
  if (bodyLength < TAG_BYTES) throw new CodecError('ENVELOPE_TRUNCATED', 'envelope is shorter than its stanzas and body');
  if (!isPaddedLength(bodyLength - TAG_BYTES)) {
    throw new CodecError('ENVELOPE_MALFORMED', 'body length is not a padded length');
  }
  const stanzaStart = HEADER_BYTES + bodyLength;
  return {
    kind: kindByte === 0 ? 'record' : 'tombstone',
    recordId: bytes.subarray(3, 19),
    revision: view.getUint32(19),
    sender: bytes.subarray(23, 39),
    sequence: view.getUint32(39),
    chainHead: bytes.subarray(43, 75),
    expiryDay: view.getUint16(75),
    recipientCount,
    headerBytes: bytes.subarray(0, HEADER_BYTES),
    body: bytes.subarray(HEADER_BYTES, stanzaStart),
    headerAndBody: bytes.subarray(0, stanzaStart),
    stanzas: bytes.subarray(stanzaStart),
  };
}

/** Writes the header fields into `out[0..79)`. Values must already be validated. */
export function writeHeader(out: Uint8Array, header: EnvelopeHeader): void {
  out[0] = ENVELOPE_VERSION;
  out[1] = SUITE_1;
  out[2] = header.kind === 'record' ? 0 : 1;
  out.set(header.recordId, 3);
  writeU32(out, 19, header.revision);
  out.set(header.sender, 23);
  writeU32(out, 39, header.sequence);
  out.set(header.chainHead, 43);
  out[75] = header.expiryDay >>> 8;
  out[76] = header.expiryDay & 0xff;
  out[77] = header.recipientCount >>> 8;
  out[78] = header.recipientCount & 0xff;
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
