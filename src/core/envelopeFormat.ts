/**
 * The envelope's fixed binary layout (format version 2, suite 2). All integers big-endian.
 *
 * | offset | bytes | field                                                            |
 * |--------|-------|------------------------------------------------------------------|
 * | 0      | 1     | format version = 0x02                                            |
 * | 1      | 1     | suite = 0x02                                                     |
 * | 2      | 1     | kind: 0x00 record, 0x01 tombstone                                |
 * | 3      | 16    | record id (random; the same across revisions)                    |
 * | 19     | 4     | revision (u32)                                                   |
 * | 23     | 16    | sender device id                                                 |
 * | 39     | 32    | key commitment: keyed BLAKE2b-256 of a label under the content key |
 * | 71     | 2     | expiry day (u16 days since 1970-01-01; 0 = none)                 |
 * | 73     | 2     | recipient count n (u16, 1..1024)                                 |
 * | 75     | L     | body: XChaCha20-Poly1305(content key, zero nonce, padded CBOR)   |
 * | 75+L   | 68·n  | stanzas: recipient id (16) ‖ key ref (u32) ‖ wrapped content key (48) |
 *
 * L is implied by the total length. The account id is not on the wire: it is bound into the
 * body's AAD and the envelope hash. Where and when the sender wrote the envelope (its log
 * position, the chain head it had seen) is in the sender's log, not here. Parsing is pure
 * bounds-checking, shared by the server (which never decrypts) and `open`.
 */
import { CodecError } from '../errors.js';
import { isPaddedLength } from './padding.js';

export const ENVELOPE_VERSION = 0x02;
export const SUITE_2 = 0x02;
export const HEADER_BYTES = 75;
export const STANZA_BYTES = 68;
/** Bytes of a stanza that the envelope hash covers: recipient id ‖ key ref. */
export const STANZA_LABEL_BYTES = 20;
export const TAG_BYTES = 16;
export const CONTENT_KEY_BYTES = 32;
export const KEY_COMMITMENT_BYTES = 32;
export const RECORD_ID_BYTES = 16;
export const ACCOUNT_ID_BYTES = 32;
/** Most recipients one envelope may name. */
export const MAX_RECIPIENTS = 1024;
/** Default ceiling on a whole envelope, checked before anything else is read. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;

const KIND_AT = 2;
const RECORD_ID_AT = 3;
const REVISION_AT = 19;
const SENDER_AT = 23;
const COMMITMENT_AT = 39;
const EXPIRY_AT = 71;
const COUNT_AT = 73;

/** The two kinds of envelope. */
export type EnvelopeKind = 'record' | 'tombstone';

/** The public header fields, readable without any key. */
export interface EnvelopeHeader {
  kind: EnvelopeKind;
  recordId: Uint8Array;
  revision: number;
  sender: Uint8Array;
  /** Commitment to the content key (32 bytes): every recipient that opens it gets the same key. */
  keyCommitment: Uint8Array;
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
  if (bytes[1] !== SUITE_2) throw new CodecError('ENVELOPE_SUITE_UNSUPPORTED', `crypto suite ${bytes[1]} is not supported`);
  const kindByte = bytes[KIND_AT];
  if (kindByte !== 0 && kindByte !== 1) throw new CodecError('ENVELOPE_MALFORMED', 'unknown envelope kind');
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const recipientCount = view.getUint16(COUNT_AT);
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
    recordId: bytes.subarray(RECORD_ID_AT, RECORD_ID_AT + RECORD_ID_BYTES),
    revision: view.getUint32(REVISION_AT),
    sender: bytes.subarray(SENDER_AT, SENDER_AT + 16),
    keyCommitment: bytes.subarray(COMMITMENT_AT, COMMITMENT_AT + KEY_COMMITMENT_BYTES),
    expiryDay: view.getUint16(EXPIRY_AT),
    recipientCount,
    headerBytes: bytes.subarray(0, HEADER_BYTES),
    body: bytes.subarray(HEADER_BYTES, stanzaStart),
    headerAndBody: bytes.subarray(0, stanzaStart),
    stanzas: bytes.subarray(stanzaStart),
  };
}

/** Writes the header fields into `out[0..75)`. Values must already be validated. */
export function writeHeader(out: Uint8Array, header: EnvelopeHeader): void {
  out[0] = ENVELOPE_VERSION;
  out[1] = SUITE_2;
  out[KIND_AT] = header.kind === 'record' ? 0 : 1;
  out.set(header.recordId, RECORD_ID_AT);
  writeU32(out, REVISION_AT, header.revision);
  out.set(header.sender, SENDER_AT);
  out.set(header.keyCommitment, COMMITMENT_AT);
  out[EXPIRY_AT] = header.expiryDay >>> 8;
  out[EXPIRY_AT + 1] = header.expiryDay & 0xff;
  out[COUNT_AT] = header.recipientCount >>> 8;
  out[COUNT_AT + 1] = header.recipientCount & 0xff;
}

/** The key reference of the stanza at byte `offset` of `stanzas`. */
export function stanzaRef(stanzas: Uint8Array, offset: number): number {
  return ((stanzas[offset + 16]! << 24) | (stanzas[offset + 17]! << 16) | (stanzas[offset + 18]! << 8) | stanzas[offset + 19]!) >>> 0;
}

/** Writes a u32 big-endian at `at`. */
export function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
