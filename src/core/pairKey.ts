/**
 * Pair keys: kek(S→R, ref), the key that wraps content keys from sender S to recipient R. It is
 * hybrid: its BLAKE2b key is the static X25519 secret of S and R (only those two can compute
 * it, which is what authenticates the writer) followed by an X-Wing shared secret that S
 * encapsulated to R's key statement for one epoch (which an adversary who later breaks X25519,
 * or steals a key after the epoch's secret was forgotten, does not have).
 *
 *   kek(S→R, ref) = BLAKE2b-256( key = X25519(S, R) ‖ ss   (64 bytes),
 *                    message = labelled("multikey-sync/v2/pair-key",
 *                      S.id ‖ R.id ‖ S.encryptionKey ‖ R.encryptionKey ‖ u32(epoch) ‖ u32(ref) ‖ ct) )
 *
 * `ct` (1120 bytes) travels once, in S's log checkpoint at position `ref`; `epoch` is the
 * number of R's key statement S encapsulated to. One encapsulation and one decapsulation per
 * pair per epoch; sealing and opening then use the derived key and do no public-key work.
 */
import { CryptoError, ValidationError } from '../errors.js';
import { labelled } from '../crypto/kdf.js';
import { LABELS } from '../crypto/labels.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { XWING_CIPHERTEXT_BYTES } from '../crypto/xwingSizes.js';
import type { DevicePublic } from './devicePublic.js';
import { MAX_EPOCH } from './keyStatement.js';

/** Bytes in a pair key. */
export const PAIR_KEY_BYTES = 32;
/** Highest key reference (a u32 log position). */
export const MAX_KEY_REF = 0xffff_ffff;

/** Who is writing to whom, and under which epoch and reference. */
export interface PairKeyContext {
  readonly sender: DevicePublic;
  readonly recipient: DevicePublic;
  /** The number of the recipient's key statement the sender encapsulated to. */
  readonly epoch: number;
  /** Position of the sender's log checkpoint that carries `ciphertext`. */
  readonly ref: number;
  /** The X-Wing ciphertext (1120 bytes). */
  readonly ciphertext: Uint8Array;
}

/**
 * Checks the public inputs of a pair key.
 * @throws {ValidationError} `PAIR_KEY_INPUT_INVALID`.
 */
export function checkPairKeyContext(context: PairKeyContext): void {
  const { epoch, ref, ciphertext } = context;
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) throw new ValidationError('PAIR_KEY_INPUT_INVALID', 'an epoch is an integer in 0..2^32-1');
  if (!Number.isInteger(ref) || ref < 1 || ref > MAX_KEY_REF) throw new ValidationError('PAIR_KEY_INPUT_INVALID', 'a key reference is an integer in 1..2^32-1');
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length !== XWING_CIPHERTEXT_BYTES) {
    throw new ValidationError('PAIR_KEY_INPUT_INVALID', `an X-Wing ciphertext is ${XWING_CIPHERTEXT_BYTES} bytes`);
  }
}

/** The KDF message of kek(S→R, ref): everything but the two secrets. */
export function pairKeyMessage(context: PairKeyContext): Uint8Array {
  const numbers = new Uint8Array(8);
  const view = new DataView(numbers.buffer);
  view.setUint32(0, context.epoch);
  view.setUint32(4, context.ref);
  const { sender, recipient } = context;
  return labelled(LABELS.pairKey, sender.id, recipient.id, sender.encryptionKey, recipient.encryptionKey, numbers, context.ciphertext);
}

/**
 * kek(S→R, ref) from the two secrets. Both are wiped here: the caller hands them over.
 * @throws {CryptoError} `PEER_KEY_INVALID` when the X25519 secret is missing (a low-order key).
 */
export function derivePairKey(suite: CryptoProvider, x25519Shared: Uint8Array | null, kemShared: Uint8Array, context: PairKeyContext): Uint8Array {
  if (x25519Shared === null) {
    kemShared.fill(0);
    throw new CryptoError('PEER_KEY_INVALID', 'the peer encryption key is a low-order point');
  }
  const secret = new Uint8Array(64);
  secret.set(x25519Shared, 0);
  secret.set(kemShared, 32);
  x25519Shared.fill(0);
  kemShared.fill(0);
  try {
    return suite.blake2b(PAIR_KEY_BYTES, pairKeyMessage(context), secret);
  } finally {
    secret.fill(0);
  }
}
