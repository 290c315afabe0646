/** docs/protocol.md §27 → recordids.json: record ids of string keys under a naming key, on both
 * backends, and keys that must be refused.
 */
import { utf8 } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { loadSuite } from '../../src/crypto/suite.js';
import { checkRecordKey, recordIdOfKey } from '../../src/sync/recordKey.js';
import { check, drbg, hex, outcome } from './shared.js';

export async function recordidsVectors(suite: CryptoProvider): Promise<object> {
  const noble = await loadSuite('noble');
  const namingKey = drbg(suite, 'recordids/naming-key')(32);
  const inputs: [string, string][] = [
    ['contacts', 'alice@example.com'],
    ['contacts', 'bob'],
    ['blocked', 'alice@example.com'],
    ['notes', 'é☎ 📞'],
    ['n', 'x'.repeat(1024)],
    // The length prefix keeps these two apart: ("ab", "c") and ("a", "bc").
    ['ab', 'c'],
    ['a', 'bc'],
  ];
  const cases = inputs.map(([collection, key]) => {
    const name = utf8(collection);
    const message = labelled(LABELS.recordId, Uint8Array.of(name.length), name, utf8(key));
    const id = recordIdOfKey(suite, namingKey, collection, key);
    check(hex(recordIdOfKey(noble, namingKey, collection, key)) === hex(id), `noble agrees on ${collection}/${key.slice(0, 20)}`);
    check(hex(suite.blake2b(16, message, namingKey)) === hex(id), 'the id is BLAKE2b-128 keyed by the naming key over the message');
    return { collection, key, message: hex(message), id: hex(id) };
  });
  check(new Set(cases.map((c) => c.id)).size === cases.length, 'distinct ids');
  // Each refused key is one UTF-16 code unit repeated: `unit` (hex) `times` times.
  const invalidKeys = [
    { unit: 0x78, times: 0, why: 'empty' },
    { unit: 0x78, times: 1025, why: '1025 UTF-8 bytes' },
    { unit: 0xe9, times: 513, why: '1026 UTF-8 bytes in 513 characters' },
    { unit: 0xd800, times: 1, why: 'a lone surrogate (not well-formed UTF-16)' },
  ].map((c) => {
    const code = outcome(() => checkRecordKey(String.fromCharCode(c.unit).repeat(c.times)));
    check(code === 'RECORD_KEY_INVALID', `key refused: ${c.why}`);
    return { unit: c.unit.toString(16).padStart(4, '0'), times: c.times, why: c.why, error: code };
  });
  return {
    description:
      'docs/protocol.md §27: record id of a string key = BLAKE2b-128(key = naming key, message = len(label) ‖ label ‖ u8(len(collection)) ‖ collection ‖ key), UTF-8; computed on libsodium and noble. Each of invalidKeys (the UTF-16 code unit `unit` repeated `times` times) must be refused with RECORD_KEY_INVALID.',
    version: 1,
    label: LABELS.recordId,
    namingKey: hex(namingKey),
    cases,
    invalidKeys,
  };
}
