/**
 * recordids.json (docs/protocol.md §27), table-driven on both backends: the record id of every
 * (collection, key) under the naming key, its message byte for byte, and the keys that must be
 * refused.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName } from '../../src/crypto/provider.js';
import { loadSuite } from '../../src/crypto/suite.js';
import { checkRecordKey, recordIdOfKey } from '../../src/sync/recordKey.js';
import { load, type Versioned } from '../support/vectorFiles.js';

interface RecordIdsFile extends Versioned {
  label: string;
  namingKey: string;
  cases: { collection: string; key: string; message: string; id: string }[];
  invalidKeys: { unit: string; times: number; why: string; error: string }[];
}

const file = load<RecordIdsFile>('recordids.json');

describe.each(['sodium', 'noble'] as BackendName[])('recordids.json on %s', (backend) => {
  it('derives every id from its message under the naming key', async () => {
    const suite = await loadSuite(backend);
    expect(file.label).toBe(LABELS.recordId);
    const namingKey = fromHex(file.namingKey);
    for (const c of file.cases) {
      const name = utf8(c.collection);
      expect(toHex(labelled(LABELS.recordId, Uint8Array.of(name.length), name, utf8(c.key)))).toBe(c.message);
      expect(toHex(suite.blake2b(16, fromHex(c.message), namingKey))).toBe(c.id);
      expect(toHex(recordIdOfKey(suite, namingKey, c.collection, c.key))).toBe(c.id);
    }
  });

  it('refuses the invalid keys with their code', () => {
    for (const c of file.invalidKeys) {
      const key = String.fromCharCode(parseInt(c.unit, 16)).repeat(c.times);
      expect(() => checkRecordKey(key), c.why).toThrow(expect.objectContaining({ code: c.error }));
    }
  });
});
