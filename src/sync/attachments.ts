/**
 * Attachments, the flows: writing an attachment's chunks, reading them back whole, deleting
 * them. Chunks are records written locally and queued like any write, so an upload cut off
 * resumes from the outbox and a download from the pull cursor; each is sealed per device at push time, and handed to later devices with the history.
 *
 * Memory: `attach` holds one chunk of a stream at a time (none of a byte array: chunks are
 * views of it), `attachment` the result and one chunk.
 */
import { CryptoError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import {
  AttachmentHasher,
  AttachmentIncomplete,
  checkAttachmentRef,
  chunkRecordId,
  chunksOf,
  CHUNK_BYTES,
  type AttachmentRef,
} from './attachment.js';
import type { LocalStore } from './localStore.js';
import { CHUNKS_COLLECTION } from './recordBody.js';

/** Options of `Replica.attach`. */
export interface AttachOptions {
  /**
   * When the chunks expire (ms since the epoch), as a record does: give the expiry of the record
   * that holds the reference (its sort time plus its collection's retention), so both go together.
   */
  expiresAt?: number;
}

/** What the flows need from the replica. */
export interface AttachmentHost {
  readonly store: LocalStore;
  suite(): CryptoProvider;
  random(length: number): Uint8Array;
  /** Writes chunk bytes under `recordId` (a new record), queued for every device. */
  writeChunk(recordId: Uint8Array, bytes: Uint8Array, expiresAt: number | null): Promise<void>;
  /** Deletes the chunk `recordId` (held here) on every device. */
  deleteChunk(recordId: Uint8Array): Promise<void>;
}

/**
 * Splits `input` into chunks and writes them; returns the reference.
 * @throws {ValidationError} `ATTACHMENT_INPUT_INVALID`, `ATTACHMENT_TOO_LARGE`; what a write throws.
 */
export async function writeAttachment(host: AttachmentHost, input: Uint8Array | AsyncIterable<Uint8Array>, expiresAt: number | null): Promise<AttachmentRef> {
  const suite = host.suite();
  const id = host.random(16);
  const hasher = new AttachmentHasher(suite);
  let size = 0;
  let chunkCount = 0;
  try {
    for await (const chunk of chunksOf(input, CHUNK_BYTES)) {
      hasher.add(chunk);
      await host.writeChunk(chunkRecordId(suite, id, chunkCount), chunk, expiresAt);
      size += chunk.length;
      chunkCount++;
    }
  } catch (error) {
    // A stream that failed half-way leaves no chunks behind (queued writes of them are skipped).
    await deleteAttachment(host, { id, size, chunkSize: CHUNK_BYTES, chunkCount, hash: new Uint8Array(32) }).catch(() => undefined);
    throw error;
  }
  return { id, size, chunkSize: CHUNK_BYTES, chunkCount, hash: hasher.digest(size, CHUNK_BYTES) };
}

/**
 * The attachment's bytes, once every chunk is here and the hash matches.
 * @throws {ValidationError} `ATTACHMENT_REF_INVALID`.
 * @throws {AttachmentIncomplete} `ATTACHMENT_INCOMPLETE` with the chunks present and expected.
 * @throws {CryptoError} `ATTACHMENT_CORRUPT` when the chunks do not hash to the reference's hash.
 */
export async function readAttachment(host: AttachmentHost, untrusted: unknown): Promise<Uint8Array> {
  const ref = checkAttachmentRef(untrusted);
  const suite = host.suite();
  const out = new Uint8Array(ref.size);
  const hasher = new AttachmentHasher(suite);
  let present = 0;
  let wrongLength = false;
  for (let i = 0; i < ref.chunkCount; i++) {
    const record = await host.store.getRecord(CHUNKS_COLLECTION, chunkRecordId(suite, ref.id, i));
    if (record === null || record.deleted) continue;
    present++;
    if (present <= i) continue; // one is missing already: only count the rest
    const bytes = record.value;
    const expected = Math.min(ref.chunkSize, ref.size - i * ref.chunkSize);
    if (!(bytes instanceof Uint8Array) || bytes.length !== expected) {
      wrongLength = true;
      continue;
    }
    out.set(bytes, i * ref.chunkSize);
    hasher.add(bytes);
  }
  if (present < ref.chunkCount) throw new AttachmentIncomplete(present, ref.chunkCount);
  if (wrongLength || !equalBytes(hasher.digest(ref.size, ref.chunkSize), ref.hash)) {
    throw new CryptoError('ATTACHMENT_CORRUPT', 'the attachment\'s chunks do not match its hash: a device wrote other bytes under its chunk ids');
  }
  return out;
}

/**
 * Deletes every chunk of the attachment this device holds (a tombstone each, queued for every
 * device); returns how many. Chunks not here yet are left to the next `detach`.
 * @throws {ValidationError} `ATTACHMENT_REF_INVALID`; what a write throws.
 */
export async function deleteAttachment(host: AttachmentHost, untrusted: unknown): Promise<number> {
  const ref = checkAttachmentRef(untrusted);
  const suite = host.suite();
  let deleted = 0;
  for (let i = 0; i < ref.chunkCount; i++) {
    const recordId = chunkRecordId(suite, ref.id, i);
    const record = await host.store.getRecord(CHUNKS_COLLECTION, recordId);
    if (record === null || record.deleted) continue;
    await host.deleteChunk(recordId);
    deleted++;
  }
  return deleted;
}
