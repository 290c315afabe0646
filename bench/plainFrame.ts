/**
 * The wire object of the plaintext baselines. The server stores only what `parseEnvelope`
 * accepts (version, suite, kind, 1..1024 recipients, a body of a padded length plus a 16-byte
 * tag), so "encryption off" must still travel in that frame: the same 75-byte header (its key
 * commitment whatever the caller gives, zeros by default), the body = the record's CBOR padded
 * exactly as `seal` pads it (so padding is not billed to encryption), then 16 zero bytes where
 * the tag would be, then `stanzas` zero-filled 68-byte stanzas. No key is drawn and no AEAD or
 * hash runs, on either side.
 *
 * With one stanza this is the smallest frame the server accepts (padded body + 159 bytes):
 * everything encryption adds is left out except the 84 bytes of tag and stanza slots the parser
 * insists on, which favours the baseline's rival slightly. With n stanzas it is byte for byte
 * as large as a sealed envelope, isolating the CPU cost of the crypto from its bytes.
 *
 * Format 2's server also takes a push only with the pusher's log checkpoint claiming each
 * envelope by its hash H (`plainLog`), so the plaintext pipelines carry one too: the server
 * requires it, so a plaintext deployment of this server would pay it. Their readers skip it.
 */
import { decodeValue, encodeValue } from '../src/core/cbor.js';
import type { Device } from '../src/core/device.js';
import { HEADER_BYTES, parseEnvelope, STANZA_BYTES, TAG_BYTES, writeHeader, type EnvelopeHeader, type ParsedEnvelope } from '../src/core/envelopeFormat.js';
import { envelopeHash } from '../src/core/envelopeHash.js';
import { signCheckpoint, type Checkpoint, type Claim } from '../src/core/logCheckpoint.js';
import { pad, unpad } from '../src/core/padding.js';

/** Header fields of a plain frame (the recipient count is the stanza count; the key commitment defaults to zeros). */
export type PlainHeader = Omit<EnvelopeHeader, 'recipientCount' | 'keyCommitment'> & { keyCommitment?: Uint8Array };

const NO_COMMITMENT = new Uint8Array(32);

/** Frames `value` (CBOR, padded) with `stanzas` empty stanza slots. */
export function plainFrame(header: PlainHeader, value: unknown, stanzas: number): Uint8Array {
  const padded = pad(encodeValue(value));
  const out = new Uint8Array(HEADER_BYTES + padded.length + TAG_BYTES + stanzas * STANZA_BYTES);
  writeHeader(out, { ...header, keyCommitment: header.keyCommitment ?? NO_COMMITMENT, recipientCount: stanzas });
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

/**
 * The pusher's log checkpoint for `frames`, at `position` after `prev`: one claim per frame
 * (its header fields and H, as the server checks them), signed by `device`.
 * @throws {ValidationError} `LOG_CHECKPOINT_INPUT_INVALID`.
 */
export function plainLog(device: Device, accountId: Uint8Array, chainHead: Uint8Array, position: number, prev: Uint8Array, frames: readonly Uint8Array[]): Checkpoint {
  const claims: Claim[] = frames.map((frame) => {
    const p = parseEnvelope(frame);
    const hash = envelopeHash(device.suite, accountId, p.headerAndBody, p.stanzas);
    return { recordId: p.recordId, revision: p.revision, kind: p.kind, expiryDay: p.expiryDay, hash };
  });
  return signCheckpoint(device, accountId, { sender: device.id, position, prev, chainHead, time: Date.now(), claims, purges: [], pairKeys: [], seen: [] });
}
