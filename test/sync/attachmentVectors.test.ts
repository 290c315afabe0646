/**
 * attachments.json (docs/protocol.md §28), table-driven on both backends: chunk record ids and
 * attachment hashes recomputed from the formulas as the spec writes them (not through the
 * library's hasher), the library's own functions against the same bytes, and the references
 * that must be refused.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName } from '../../src/crypto/provider.js';
import { loadSuite } from '../../src/crypto/suite.js';
import { AttachmentHasher, checkAttachmentRef, chunkRecordId } from '../../src/sync/attachment.js';
import { load, type Versioned } from '../support/vectorFiles.js';

interface AttachmentsFile extends Versioned {
  cases: { id: string; size: number; chunkSize: number; chunkCount: number; data: string; hash: string; chunks: { index: number; recordId: string; bytes: string; hash: string }[] }[];
  farChunkIds: { id: string; ids: { index: number; recordId: string }[] };
  invalidRefs: { why: string; id: string; size: number; chunkSize: number; chunkCount: number; hash: string; error: string }[];
}

const file = load<AttachmentsFile>('attachments.json');
const u32be = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u64be = (n: number) => concatBytes(u32be(Math.floor(n / 2 ** 32)), u32be(n >>> 0));

describe.each(['sodium', 'noble'] as BackendName[])('attachments.json on %s', (backend) => {
  it('chunk ids and hashes follow the formulas', async () => {
    const suite = await loadSuite(backend);
    for (const c of file.cases) {
      const id = fromHex(c.id);
      const data = fromHex(c.data);
      expect(c.chunkCount).toBe(Math.ceil(c.size / c.chunkSize));
      const digests: Uint8Array[] = [];
      const hasher = new AttachmentHasher(suite);
      c.chunks.forEach((chunk, i) => {
        const bytes = data.subarray(i * c.chunkSize, Math.min((i + 1) * c.chunkSize, data.length));
        expect(toHex(bytes)).toBe(chunk.bytes);
        expect(toHex(suite.blake2b(16, labelled(LABELS.chunkId, u32be(i)), id))).toBe(chunk.recordId);
        expect(toHex(chunkRecordId(suite, id, i))).toBe(chunk.recordId);
        digests.push(suite.blake2b(32, bytes));
        expect(toHex(digests[i]!)).toBe(chunk.hash);
        hasher.add(bytes);
      });
      expect(toHex(suite.blake2b(32, labelled(LABELS.attachmentHash, u64be(c.size), u32be(c.chunkSize), ...digests)))).toBe(c.hash);
      expect(toHex(hasher.digest(c.size, c.chunkSize))).toBe(c.hash);
    }
    for (const f of file.farChunkIds.ids) expect(toHex(chunkRecordId(suite, fromHex(file.farChunkIds.id), f.index))).toBe(f.recordId);
  });

  it('refuses the invalid references with their code', () => {
    for (const r of file.invalidRefs) {
      const ref = { id: fromHex(r.id), size: r.size, chunkSize: r.chunkSize, chunkCount: r.chunkCount, hash: fromHex(r.hash) };
      expect(() => checkAttachmentRef(ref), r.why).toThrow(expect.objectContaining({ code: r.error }));
    }
  });
});
