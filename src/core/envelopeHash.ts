/**
 * H = BLAKE2b-256(label ‖ account id ‖ header ‖ body ciphertext). Every key wrap is bound to H
 * (as AAD, and H's first 24 bytes are the wrap nonce), so a wrap opens only for the exact
 * envelope it was made for. H must be collision-resistant: a co-recipient knows the content key,
 * so the body's own Poly1305 tag does not stop it from crafting a second body that the tag
 * accepts; it cannot craft one with the same BLAKE2b hash.
 */
import { labelledHash } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';

export const ENVELOPE_HASH_BYTES = 32;
export const WRAP_NONCE_BYTES = 24;

/** The envelope hash H. */
export function envelopeHash(
  suite: CryptoProvider,
  account: Uint8Array,
  header: Uint8Array,
  body: Uint8Array,
): Uint8Array {
  return labelledHash(suite, LABELS.envelopeHash, ENVELOPE_HASH_BYTES, account, header, body);
}
