/**
 * Record ids of string keys. `put(value, 'alice@example.com')` stores the record under
 *
 *   id = BLAKE2b-128(key = naming key, message = labelled("multikey-sync/v2/record-id",
 *                    u8(len(collection)) ‖ collection ‖ key))          (UTF-8; §27.1)
 *
 * so every device that holds the account's naming key finds the same record for the same key,
 * and the server, which sees only ids, learns neither the key nor which ids belong to one
 * collection. The collection's length prefix makes (collection, key) → message one-to-one.
 */
import { ValidationError } from '../errors.js';
import { utf8 } from '../crypto/bytes.js';
import { deriveKey } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { checkString, utf8Length } from '../core/cborValue.js';
import { RECORD_ID_BYTES } from '../core/envelopeFormat.js';
import { MAX_KEY_BYTES } from './recordBody.js';

/**
 * Checks an app's string key: a well-formed string of 1 to 1024 UTF-8 bytes.
 * @throws {ValidationError} `RECORD_KEY_INVALID`.
 */
export function checkRecordKey(key: unknown): string {
  const bad = () => new ValidationError('RECORD_KEY_INVALID', `a record key is a well-formed string of 1 to ${MAX_KEY_BYTES} UTF-8 bytes`);
  if (typeof key !== 'string' || key.length === 0 || utf8Length(key) > MAX_KEY_BYTES) throw bad();
  try {
    checkString(key);
  } catch {
    throw bad();
  }
  return key;
}

/** The record id of `key` in `collection` under the account's naming key (32 bytes). */
export function recordIdOfKey(suite: CryptoProvider, namingKey: Uint8Array, collection: string, key: string): Uint8Array {
  const name = utf8(collection);
  return deriveKey(suite, LABELS.recordId, namingKey, RECORD_ID_BYTES, Uint8Array.of(name.length), name, utf8(key));
}
