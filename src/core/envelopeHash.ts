/**
 * H = BLAKE2b-256(len(label) ‖ label ‖ account id ‖ header ‖ body ciphertext ‖ (recipient id ‖
 * key ref) of every stanza, in order). Every key wrap is bound to H (as AAD, and H's first 24
 * bytes are the wrap nonce), and the sender's log names each envelope by H, so H must cover
 * everything that is not itself authenticated per recipient: the header, the body, and which
 * devices the envelope was sealed for under which keys. Only the wraps stay outside, because
 * each is made with H. H must be collision-resistant: a co-recipient knows the content key, so
 * the body's own Poly1305 tag does not stop it from crafting a second body the tag accepts; it
 * cannot craft one with the same BLAKE2b hash.
 */
import { labelled } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { STANZA_BYTES, STANZA_LABEL_BYTES } from './envelopeFormat.js';

export const ENVELOPE_HASH_BYTES = 32;
export const WRAP_NONCE_BYTES = 24;

const PREFIX = labelled(LABELS.envelopeHashV2);
const COMMITMENT_LABEL = labelled(LABELS.keyCommitment);
const ACCOUNT_AT = PREFIX.length;
const DATA_AT = ACCOUNT_AT + 32;
// Hashing is synchronous, so one growing scratch buffer serves every call without allocating.
let scratch = new Uint8Array(DATA_AT + 2048);
scratch.set(PREFIX, 0);

/**
 * The envelope hash H of `headerAndBody` (the envelope up to its stanzas) and `stanzas` (n × 68
 * bytes; only each stanza's first 20 bytes, recipient id ‖ key ref, are read) in `account`.
 */
export function envelopeHash(suite: CryptoProvider, account: Uint8Array, headerAndBody: Uint8Array, stanzas: Uint8Array): Uint8Array {
  const count = stanzas.length / STANZA_BYTES;
  const length = DATA_AT + headerAndBody.length + count * STANZA_LABEL_BYTES;
  if (length > scratch.length) {
    scratch = new Uint8Array(Math.max(length, scratch.length * 2));
    scratch.set(PREFIX, 0);
  }
  scratch.set(account, ACCOUNT_AT);
  scratch.set(headerAndBody, DATA_AT);
  let at = DATA_AT + headerAndBody.length;
  for (let offset = 0; offset < stanzas.length; offset += STANZA_BYTES) {
    scratch.set(stanzas.subarray(offset, offset + STANZA_LABEL_BYTES), at);
    at += STANZA_LABEL_BYTES;
  }
  return suite.blake2b(ENVELOPE_HASH_BYTES, scratch.subarray(0, length));
}

/** The key commitment C = BLAKE2b-256(key = content key, message = labelled("multikey-sync/v2/key-commitment")). */
export function keyCommitment(suite: CryptoProvider, contentKey: Uint8Array): Uint8Array {
  return suite.blake2b(32, COMMITMENT_LABEL, contentKey);
}
