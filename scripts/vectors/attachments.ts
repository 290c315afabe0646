/** docs/protocol.md §28 → attachments.json: chunk record ids and the attachment hash, on both
 * backends, and references that must be refused.
 */
import { utf8 } from '../../src/crypto/bytes.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { loadSuite } from '../../src/crypto/suite.js';
import { AttachmentHasher, checkAttachmentRef, chunkRecordId } from '../../src/sync/attachment.js';
import { check, drbg, hex, outcome } from './shared.js';

function build(suite: CryptoProvider, id: Uint8Array, data: Uint8Array, chunkSize: number) {
  const hasher = new AttachmentHasher(suite);
  const chunks = [];
  for (let at = 0, i = 0; at < data.length; at += chunkSize, i++) {
    const chunk = data.subarray(at, Math.min(at + chunkSize, data.length));
    hasher.add(chunk);
    chunks.push({ index: i, recordId: hex(chunkRecordId(suite, id, i)), bytes: hex(chunk), hash: hex(suite.blake2b(32, chunk)) });
  }
  return { chunks, hash: hex(hasher.digest(data.length, chunkSize)) };
}

export async function attachmentsVectors(suite: CryptoProvider): Promise<object> {
  const noble = await loadSuite('noble');
  const random = drbg(suite, 'attachments');
  const cases = [
    { data: utf8('hello, attachments'), chunkSize: 8 },
    { data: random(64), chunkSize: 16 },
    { data: new Uint8Array(0), chunkSize: 261_888 },
  ].map(({ data, chunkSize }) => {
    const id = random(16);
    const built = build(suite, id, data, chunkSize);
    check(JSON.stringify(build(noble, id, data, chunkSize)) === JSON.stringify(built), 'noble agrees');
    return { id: hex(id), size: data.length, chunkSize, chunkCount: built.chunks.length, data: hex(data), ...built };
  });
  const far = random(16);
  const farIds = [65_535, 4_096].map((index) => ({ index, recordId: hex(chunkRecordId(suite, far, index)) }));
  for (const f of farIds) check(hex(chunkRecordId(noble, far, f.index)) === f.recordId, 'noble agrees on a far chunk id');
  const good = { id: new Uint8Array(16), size: 10, chunkSize: 4, chunkCount: 3, hash: new Uint8Array(32) };
  const invalidRefs = [
    { why: 'id of 15 bytes', ref: { ...good, id: new Uint8Array(15) } },
    { why: 'hash of 31 bytes', ref: { ...good, hash: new Uint8Array(31) } },
    { why: 'chunk count not ⌈size / chunkSize⌉', ref: { ...good, chunkCount: 2 } },
    { why: 'size over 2^30', ref: { ...good, size: 2 ** 30 + 1, chunkCount: Math.ceil((2 ** 30 + 1) / 4) } },
    { why: 'chunk size 0', ref: { ...good, chunkSize: 0 } },
  ].map(({ why, ref }) => {
    const error = outcome(() => checkAttachmentRef(ref));
    check(error === 'ATTACHMENT_REF_INVALID', why);
    return { why, id: hex(ref.id), size: ref.size, chunkSize: ref.chunkSize, chunkCount: ref.chunkCount, hash: hex(ref.hash), error };
  });
  check(outcome(() => checkAttachmentRef(good)) === 'ok', 'the good reference passes');
  return {
    description:
      'docs/protocol.md §28: chunk i of attachment id has record id BLAKE2b-128(key = id, len ‖ "multikey-sync/v2/chunk-id" ‖ u32be(i)); hash = BLAKE2b-256(len ‖ "multikey-sync/v2/attachment-hash" ‖ u64be(size) ‖ u32be(chunkSize) ‖ BLAKE2b-256(chunk 0) ‖ …). Computed on libsodium and noble. invalidRefs must be refused with their error.',
    version: 1,
    cases,
    farChunkIds: { id: hex(far), ids: farIds },
    invalidRefs,
  };
}
