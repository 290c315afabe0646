/**
 * Attachments, the format: a large value split into chunks, each a record of the reserved
 * `$chunk` collection sealed per device like any record, and the reference an app keeps in one
 * of its own records to find them again.
 *
 *   chunk i's record id = BLAKE2b-128(key = attachment id, message = labelled("multikey-sync/v2/chunk-id", u32(i)))
 *   hash = BLAKE2b-256(labelled("multikey-sync/v2/attachment-hash",
 *                      u64(size) ‖ u32(chunk size) ‖ BLAKE2b-256(chunk 0) ‖ … ‖ BLAKE2b-256(chunk n−1)))
 *
 * The attachment id is 16 random bytes that only the sealed reference carries, so the server
 * cannot tell which chunk ids belong together beyond what it sees of one push. The hash is
 * computed over the chunks' own hashes rather than over the whole in one pass: the same
 * strength (BLAKE2b-256 at both levels), with no streaming hash in the crypto provider and no
 * need to hold the whole attachment to hash it.
 *
 * Chunk size: 256 KiB less 256 bytes, so that a full chunk's body (the bytes, the collection
 * name, the times and the fields later versions add) pads to exactly 256 KiB (Padmé rounds in
 * 8 KiB steps there; a chunk of a round 256 KiB would pad to 264 KiB). Large enough that what a
 * chunk costs besides its bytes (an envelope header, 68 bytes per device, a 55-byte log claim,
 * one row here) stays under 0.3 % for five devices; small enough that a push of 8 MiB carries
 * 31 chunks, a pull page of 8 MiB 32, and an interrupted transfer repeats at most one batch.
 */
import { MultikeySyncError, ValidationError } from '../errors.js';
import { concatBytes } from '../crypto/bytes.js';
import { deriveKey, labelledHash } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { RECORD_ID_BYTES } from '../core/envelopeFormat.js';
import { LIMITS_CEILING } from './collectionLimits.js';

/** Where an app finds an attachment again: plain data, to store in a record's value. */
export interface AttachmentRef {
  /** 16 random bytes: the chunks' record ids are derived from it. */
  readonly id: Uint8Array;
  /** Bytes in the attachment. */
  readonly size: number;
  /** Bytes in every chunk but the last. */
  readonly chunkSize: number;
  /** Number of chunks: ⌈size / chunkSize⌉. */
  readonly chunkCount: number;
  /** BLAKE2b-256 tree hash of the whole (module comment), checked before the bytes are returned. */
  readonly hash: Uint8Array;
}

/** Bytes per chunk written by this library. */
export const CHUNK_BYTES = 256 * 1024 - 256;
/** Largest attachment: 1 GiB (4,097 chunks). */
export const MAX_ATTACHMENT_BYTES = 1024 * 1024 * 1024;
const HASH_BYTES = 32;

/** `attachment(ref)` found only some of the chunks: `present` of `total`. Sync, then try again. */
export class AttachmentIncomplete extends MultikeySyncError {
  readonly present: number;
  readonly total: number;

  constructor(present: number, total: number) {
    super('ATTACHMENT_INCOMPLETE', `${present} of the attachment's ${total} chunks are here: sync, then try again`);
    this.present = present;
    this.total = total;
  }
}

/**
 * Checks an attachment reference (read from a record another device wrote, so untrusted).
 * @throws {ValidationError} `ATTACHMENT_REF_INVALID`.
 */
export function checkAttachmentRef(ref: unknown): AttachmentRef {
  const bad = (why: string) => new ValidationError('ATTACHMENT_REF_INVALID', `attachment reference: ${why}`);
  if (typeof ref !== 'object' || ref === null) throw bad('not an object');
  const { id, size, chunkSize, chunkCount, hash } = ref as Record<string, unknown>;
  if (!(id instanceof Uint8Array) || id.length !== RECORD_ID_BYTES) throw bad('id is not 16 bytes');
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_BYTES) throw bad('hash is not 32 bytes');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > MAX_ATTACHMENT_BYTES) throw bad(`size is not an integer from 0 to ${MAX_ATTACHMENT_BYTES}`);
  if (typeof chunkSize !== 'number' || !Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > LIMITS_CEILING.maxStringBytes) throw bad('chunk size out of range');
  if (chunkCount !== Math.ceil(size / chunkSize)) throw bad('chunk count is not ⌈size / chunk size⌉');
  return { id, size, chunkSize, chunkCount, hash };
}

/** The record id of chunk `index` of attachment `id`. */
export function chunkRecordId(suite: CryptoProvider, id: Uint8Array, index: number): Uint8Array {
  return deriveKey(suite, LABELS.chunkId, id, RECORD_ID_BYTES, u32(index));
}

/** The attachment hash, fed one chunk at a time. */
export class AttachmentHasher {
  readonly #suite: CryptoProvider;
  readonly #digests: Uint8Array[] = [];

  constructor(suite: CryptoProvider) {
    this.#suite = suite;
  }

  add(chunk: Uint8Array): void {
    this.#digests.push(this.#suite.blake2b(HASH_BYTES, chunk));
  }

  digest(size: number, chunkSize: number): Uint8Array {
    const size64 = concatBytes(u32(Math.floor(size / 0x1_0000_0000)), u32(size >>> 0));
    return labelledHash(this.#suite, LABELS.attachmentHash, HASH_BYTES, size64, u32(chunkSize), ...this.#digests);
  }
}

/**
 * `input` cut into chunks of `size` bytes (the last one shorter). A byte array is cut into
 * views without copying; a stream is gathered into one reused buffer, so the caller must be
 * done with each chunk before asking for the next.
 * @throws {ValidationError} `ATTACHMENT_INPUT_INVALID` for anything but a Uint8Array or an
 *   async iterable of them; `ATTACHMENT_TOO_LARGE` past {@link MAX_ATTACHMENT_BYTES}.
 */
export async function* chunksOf(input: Uint8Array | AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  const tooLarge = () => new ValidationError('ATTACHMENT_TOO_LARGE', `an attachment is at most ${MAX_ATTACHMENT_BYTES} bytes`);
  if (input instanceof Uint8Array) {
    if (input.length > MAX_ATTACHMENT_BYTES) throw tooLarge();
    for (let at = 0; at < input.length; at += size) yield input.subarray(at, Math.min(at + size, input.length));
    return;
  }
  if (typeof input !== 'object' || input === null || typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
    throw new ValidationError('ATTACHMENT_INPUT_INVALID', 'attach takes a Uint8Array or an AsyncIterable<Uint8Array>');
  }
  const buffer = new Uint8Array(size);
  let filled = 0;
  let total = 0;
  for await (const piece of input) {
    if (!(piece instanceof Uint8Array)) throw new ValidationError('ATTACHMENT_INPUT_INVALID', 'an attachment stream yields Uint8Arrays only');
    total += piece.length;
    if (total > MAX_ATTACHMENT_BYTES) throw tooLarge();
    for (let at = 0; at < piece.length; ) {
      const n = Math.min(size - filled, piece.length - at);
      buffer.set(piece.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === size) {
        yield buffer;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}
