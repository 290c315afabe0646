/**
 * H = BLAKE2b-256(len(label) ‖ label ‖ account id ‖ header ‖ body ciphertext). Every key wrap is
 * bound to H (as AAD, and H's first 24 bytes are the wrap nonce), so a wrap opens only for the
 * exact envelope it was made for. H must be collision-resistant: a co-recipient knows the
 * content key, so the body's own Poly1305 tag does not stop it from crafting a second body that
 * the tag accepts; it cannot craft one with the same BLAKE2b hash.
 */
import { labelled } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';

export const ENVELOPE_HASH_BYTES = 32;
export const WRAP_NONCE_BYTES = 24;

const PREFIX = labelled(LABELS.envelopeHash);
const ACCOUNT_AT = PREFIX.length;
const DATA_AT = ACCOUNT_AT + 32;
// Hashing is synchronous, so one growing scratch buffer serves every call without allocating.
let scratch = new Uint8Array(DATA_AT + 1024);
scratch.set(PREFIX, 0);

/** The envelope hash H of `headerAndBody` (the envelope's bytes up to its stanzas) in `account`. */
export function envelopeHash(suite: CryptoProvider, account: Uint8Array, headerAndBody: Uint8Array): Uint8Array {
  const length = DATA_AT + headerAndBody.length;
  if (length > scratch.length) {
    scratch = new Uint8Array(Math.max(length, scratch.length * 2));
    scratch.set(PREFIX, 0);
  }
  scratch.set(account, ACCOUNT_AT);
  scratch.set(headerAndBody, DATA_AT);
  return suite.blake2b(ENVELOPE_HASH_BYTES, scratch.subarray(0, length));
}
