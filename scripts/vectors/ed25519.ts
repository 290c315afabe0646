/** docs/protocol.md §1 → ed25519.json: the protocol's one Ed25519 verification rule, as
 * Wycheproof-style cases (torsion in R and in A, small-order and non-canonical points, S ≥ L)
 * with the verdict every backend must reach, and what each raw library says on its own.
 *
 * Hostile signatures are built here with noble's point arithmetic: a signer who knows the secret
 * scalar a can choose R (or A) with a torsion component and still satisfy the cofactored
 * equation. Each case is checked on both providers, and on libsodium and noble alone.
 */
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import sodium from 'libsodium-wrappers';
import { concatBytes, fromHex, utf8 } from '../../src/crypto/bytes.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { loadSuite } from '../../src/crypto/suite.js';
import { BACKENDS, check, drbg, hex, sameBytes } from './shared.js';

type Point = ReturnType<typeof ed25519.Point.fromBytes>;
const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const P = 2n ** 255n - 19n;

function leToBig(bytes: Uint8Array): bigint {
  let x = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]!);
  return x;
}

function bigToLe(x: bigint, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

const modL = (x: bigint): bigint => ((x % L) + L) % L;

/** k = SHA-512(R ‖ A ‖ M) mod L, over the bytes exactly as sent. */
function challenge(r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint {
  return leToBig(sha512(concatBytes(r, a, m))) % L;
}

/** A torsion point of the given order (1, 2, 4 or 8). */
function torsion(order: number): Point {
  const found = ED25519_TORSION_SUBGROUP.map((h) => Point.fromHex(h)).find((t) => {
    let q = t;
    let n = 1;
    while (!q.is0()) {
      q = q.add(t);
      n++;
    }
    return n === order;
  });
  if (found === undefined) throw new Error(`no torsion point of order ${order}`);
  return found;
}

interface Case {
  comment: string;
  flags: string[];
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  valid: boolean;
}

function rawLibsodium(c: Case): boolean {
  try {
    return sodium.crypto_sign_verify_detached(c.signature, c.message, c.publicKey);
  } catch {
    return false;
  }
}

function rawNoble(c: Case): boolean {
  try {
    return ed25519.verify(c.signature, c.message, c.publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export async function ed25519Vectors(suite: CryptoProvider): Promise<object> {
  await sodium.ready;
  const random = drbg(suite, 'ed25519');
  const seed = random(32);
  const { scalar: a, point: A, pointBytes: aBytes } = ed25519.utils.getExtendedPublicKey(seed);
  sameBytes(aBytes, suite.ed25519PublicKey(seed), 'public key');
  const nonce = (): bigint => modL(leToBig(random(64)));
  const message = utf8('multikey-sync Ed25519 rule');
  const cases: Case[] = [];
  const add = (comment: string, flags: string[], publicKey: Uint8Array, msg: Uint8Array, signature: Uint8Array, valid = false): void => {
    cases.push({ comment, flags, publicKey, message: msg, signature, valid });
  };
  /** A signature by the holder of `scalar` with nonce point `rPoint = [r]B + (torsion)`, bytes as given. */
  const forge = (rBytes: Uint8Array, r: bigint, publicKey: Uint8Array, scalar: bigint, msg: Uint8Array): Uint8Array =>
    concatBytes(rBytes, bigToLe(modL(r + challenge(rBytes, publicKey, msg) * scalar)));

  // Honest signatures: the only valid cases.
  const honest = suite.ed25519Sign(seed, aBytes, message);
  const honestEmpty = suite.ed25519Sign(seed, aBytes, new Uint8Array(0));
  add('honest signature', ['Valid'], aBytes, message, honest, true);
  add('honest signature, empty message', ['Valid'], aBytes, new Uint8Array(0), honestEmpty, true);

  // S.
  const sOf = (sig: Uint8Array): bigint => leToBig(sig.subarray(32));
  add('S + L: the same signature with a non-canonical scalar', ['NonCanonicalS'], aBytes, message, concatBytes(honest.subarray(0, 32), bigToLe(sOf(honest) + L)));
  add('S + 2^255: high bit set', ['NonCanonicalS'], aBytes, message, concatBytes(honest.subarray(0, 32), bigToLe(sOf(honest) + 2n ** 255n)));

  // R with a torsion component: the cofactored equation holds, the cofactorless one does not.
  for (const order of [2, 4, 8]) {
    const r = nonce();
    const rBytes = Point.BASE.multiply(r).add(torsion(order)).toBytes();
    add(`R = [r]B + T, T of order ${order}`, ['MixedOrderR'], aBytes, message, forge(rBytes, r, aBytes, a, message));
  }
  // R of small order: S = k·a makes [S]B − [k]A the identity.
  for (const order of [1, 2, 8]) {
    const rBytes = torsion(order).toBytes();
    add(`R of order ${order}${order === 1 ? ' (the identity)' : ''}, S = k·a`, ['SmallOrderR'], aBytes, message, forge(rBytes, 0n, aBytes, a, message));
  }
  // Non-canonical encodings of R.
  const identityAsPPlus1 = bigToLe(P + 1n);
  add('R = the identity encoded as y = p + 1, S = k·a', ['NonCanonicalR', 'SmallOrderR'], aBytes, message, forge(identityAsPPlus1, 0n, aBytes, a, message));
  const identityNegativeZero = fromHex('01' + '00'.repeat(30) + '80');
  add('R = the identity with the sign bit set (x = 0), S = k·a', ['NonCanonicalR', 'SmallOrderR'], aBytes, message, forge(identityNegativeZero, 0n, aBytes, a, message));
  add('R encoded as y = p (the order-4 point with y = 0), S = k·a', ['NonCanonicalR', 'SmallOrderR'], aBytes, message, forge(bigToLe(P), 0n, aBytes, a, message));
  const offCurve = firstOffCurve();
  add('R not on the curve', ['InvalidR'], aBytes, message, concatBytes(offCurve, honest.subarray(32)));

  // A of small order: the equation holds with R = [r]B, S = r (when 8 divides k for order 8).
  {
    const r = nonce();
    const rBytes = Point.BASE.multiply(r).toBytes();
    const identity = Point.ZERO.toBytes();
    add('A = the identity, R = [r]B, S = r', ['SmallOrderA'], identity, message, concatBytes(rBytes, bigToLe(r)));
    const t8 = torsion(8).toBytes();
    const m = messageWith((msg) => challenge(rBytes, t8, msg) % 8n === 0n);
    add('A of order 8, R = [r]B, S = r, 8 | k', ['SmallOrderA'], t8, m, concatBytes(rBytes, bigToLe(r)));
    add('A = the identity encoded as y = p + 1, R = [r]B, S = r', ['NonCanonicalA', 'SmallOrderA'], identityAsPPlus1, message, concatBytes(rBytes, bigToLe(r)));
  }
  // A with a torsion component: the holder of a signs for A' = aB + T.
  for (const [order, residue, note] of [
    [8, 'nonzero', 'libsodium refuses: [k]T ≠ 0'],
    [8, 'zero', 'libsodium accepts: 8 | k, so [k]T = 0'],
    [2, 'zero', 'libsodium accepts: k even, so [k]T = 0'],
  ] as const) {
    const mixed = A.add(torsion(order)).toBytes();
    const r = nonce();
    const rBytes = Point.BASE.multiply(r).toBytes();
    const m = messageWith((msg) => (challenge(rBytes, mixed, msg) % BigInt(order) === 0n) === (residue === 'zero'));
    add(`A = aB + T, T of order ${order}, R = [r]B (${note})`, ['MixedOrderA'], mixed, m, forge(rBytes, r, mixed, a, m));
  }
  // Torsion in both, arranged so that even the cofactorless equation holds: R = [r]B − [k]T.
  {
    const t8 = torsion(8);
    const mixed = A.add(t8).toBytes();
    let found: Uint8Array | undefined;
    for (let i = 0; found === undefined; i++) {
      const r = nonce();
      for (const t of ED25519_TORSION_SUBGROUP.map((h) => Point.fromHex(h))) {
        const rBytes = Point.BASE.multiply(r).add(t).toBytes();
        const k = challenge(rBytes, mixed, message);
        if (!t.is0() && t8.multiplyUnsafe(k).negate().equals(t)) {
          found = forge(rBytes, r, mixed, a, message);
          break;
        }
      }
      check(i < 64, 'a mixed R and A pair');
    }
    add('A = aB + T and R = [r]B − [k]T: the cofactorless equation holds exactly', ['MixedOrderA', 'MixedOrderR'], mixed, message, found);
  }
  // Non-canonical and invalid A.
  {
    const y0 = smallCurveY();
    const nonCanonical = bigToLe(y0 + P);
    add(`A encoded as y = ${y0} + p (a point of the curve written non-canonically)`, ['NonCanonicalA'], nonCanonical, message, honest);
    add('A not on the curve', ['InvalidA'], offCurve, message, honest);
    const negated = aBytes.slice();
    negated[31]! ^= 0x80;
    add('A with its sign bit flipped (the point −A)', ['ModifiedA'], negated, message, honest);
  }
  // Plain tampering and lengths.
  add('message changed', ['Modified'], aBytes, utf8('multikey-sync Ed25519 rulf'), honest);
  const flippedR = honest.slice();
  flippedR[0]! ^= 0x01;
  add('a bit of R flipped', ['Modified'], aBytes, message, flippedR);
  add('signature of 63 bytes', ['Length'], aBytes, message, honest.subarray(0, 63));
  add('public key of 31 bytes', ['Length'], aBytes.subarray(0, 31), message, honest);

  const providers: Record<string, CryptoProvider> = {};
  for (const b of BACKENDS) providers[b] = await loadSuite(b);
  const tests = cases.map((c, i) => {
    for (const b of BACKENDS) {
      check(providers[b]!.ed25519Verify(c.signature, c.message, c.publicKey) === c.valid, `ed25519 case "${c.comment}" on ${b}`);
    }
    return {
      tcId: i + 1,
      comment: c.comment,
      flags: c.flags,
      publicKey: hex(c.publicKey),
      message: hex(c.message),
      signature: hex(c.signature),
      result: c.valid ? 'valid' : 'invalid',
      libsodium: rawLibsodium(c) ? 'valid' : 'invalid',
      noble: rawNoble(c) ? 'valid' : 'invalid',
    };
  });
  check(tests.some((t) => t.result === 'invalid' && t.noble === 'valid'), 'a case noble alone accepts');
  check(tests.some((t) => t.result === 'invalid' && t.libsodium === 'valid'), 'a case libsodium alone accepts');
  return {
    description:
      'Ed25519 verification under the protocol\'s rule (docs/protocol.md §1): a signature R ‖ S by public key A on message M ' +
      'is valid iff S < L, A and R are canonical encodings of points of order exactly L (no small-order point, no torsion ' +
      'component), and [S]B = R + [k]A with k = SHA-512(R ‖ A ‖ M) mod L over the bytes as sent. `result` is what every ' +
      'backend must return. `libsodium` is what libsodium 1.0.22\'s crypto_sign_verify_detached says alone, `noble` what ' +
      'noble-curves 1.9\'s ed25519.verify with zip215: false says alone: the differences are the checks each backend adds. ' +
      'Flags name what is wrong with a case. Hostile cases are built by a signer who knows the secret scalar and adds torsion.',
    version: 1,
    algorithm: 'Ed25519',
    tests,
  };
}

/** A 32-byte y (< p, sign bit clear) that is not the y of any curve point. */
function firstOffCurve(): Uint8Array {
  for (let y = 2n; ; y++) {
    const bytes = bigToLe(y);
    try {
      Point.fromBytes(bytes, false);
    } catch {
      return bytes;
    }
  }
}

/** The smallest y in 2..18 (so that y + p still fits in 255 bits) that is a curve point's y. */
function smallCurveY(): bigint {
  for (let y = 2n; y < 19n; y++) {
    try {
      Point.fromBytes(bigToLe(y), false);
      return y;
    } catch {
      // not on the curve
    }
  }
  throw new Error('no curve point with y < 19');
}

/** The first message "m<i>" whose challenge satisfies `want`. */
function messageWith(want: (message: Uint8Array) => boolean): Uint8Array {
  for (let i = 0; i < 1000; i++) {
    const m = utf8(`multikey-sync Ed25519 rule ${i}`);
    if (want(m)) return m;
  }
  throw new Error('no message found');
}
