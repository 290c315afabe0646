/**
 * What both backends share of the protocol's one Ed25519 verification rule (docs/protocol.md §1):
 * a signature (R ‖ S) by public key A verifies only if S < L, A and R are canonical encodings of
 * points of order exactly L (no small-order point, no torsion component), and [S]B = R + [k]A.
 * Each backend enforces it with its own library's checks; this module holds the scalar bound and
 * a small cache of public-key verdicts: the subgroup check on A costs more than half a
 * verification, and the same few identity keys are checked again and again.
 */

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const ORDER_LE = Uint8Array.of(
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
);

/** True when the 32-byte little-endian scalar `s` is below the group order L (public data: not constant time). */
export function scalarBelowOrder(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! !== ORDER_LE[i]!) return s[i]! < ORDER_LE[i]!;
  }
  return false;
}

/** Most public keys whose verdict is remembered; the cache starts over when it is full. */
const KEY_VERDICTS_LIMIT = 1024;

/** Remembers whether each public key passed a (pure, deterministic) check. */
export class KeyVerdicts {
  readonly #verdicts = new Map<string, boolean>();
  readonly #check: (publicKey: Uint8Array) => boolean;

  constructor(check: (publicKey: Uint8Array) => boolean) {
    this.#check = check;
  }

  /** The check's verdict on a 32-byte public key. */
  ok(publicKey: Uint8Array): boolean {
    const key = String.fromCharCode.apply(null, publicKey as unknown as number[]);
    let verdict = this.#verdicts.get(key);
    if (verdict === undefined) {
      verdict = this.#check(publicKey);
      if (this.#verdicts.size >= KEY_VERDICTS_LIMIT) this.#verdicts.clear();
      this.#verdicts.set(key, verdict);
    }
    return verdict;
  }
}
