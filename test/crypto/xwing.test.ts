import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { loadSuite } from '../../src/crypto/suite.js';

interface DraftCase {
  seed: string;
  pk: string;
  eseed: string;
  ct: string;
  ss: string;
}
const draft = JSON.parse(readFileSync(new URL('./xwing-draft-vectors.json', import.meta.url), 'utf8')) as { cases: DraftCase[] };

const backends = await Promise.all([loadSuite('sodium'), loadSuite('noble')]);
const [sodium, noble] = backends as [CryptoProvider, CryptoProvider];

function bytes(n: number, fill: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (fill * 131 + i * 7) & 0xff);
}

describe.each(backends.map((b) => [b.name, b] as const))('X-Wing on %s', (_name, suite) => {
  it.each(draft.cases.map((c, i) => [i, c] as const))("reproduces the draft's vector %i: key, ciphertext and shared secret", (_i, c) => {
    expect(toHex(suite.xwingPublicKey(fromHex(c.seed)))).toBe(c.pk);
    const out = suite.xwingEncapsulate(fromHex(c.pk), fromHex(c.eseed));
    expect(out).not.toBeNull();
    expect(toHex(out!.ciphertext)).toBe(c.ct);
    expect(toHex(out!.sharedSecret)).toBe(c.ss);
    expect(toHex(suite.xwingDecapsulate(fromHex(c.ct), fromHex(c.seed))!)).toBe(c.ss);
  });

  it('refuses an ML-KEM key that fails the modulus check (a coefficient of 4095)', () => {
    const pk = fromHex(draft.cases[0]!.pk);
    pk[0] = 0xff;
    pk[1] = pk[1]! | 0x0f; // first 12-bit coefficient = 0xfff ≥ q
    expect(suite.xwingEncapsulate(pk, fromHex(draft.cases[0]!.eseed))).toBeNull();
  });

  it('refuses a public key whose X25519 part is a low-order point', () => {
    const pk = fromHex(draft.cases[0]!.pk);
    pk.fill(0, 1184); // the identity point
    expect(suite.xwingEncapsulate(pk, fromHex(draft.cases[0]!.eseed))).toBeNull();
  });

  it('refuses a ciphertext whose X25519 part is a low-order point', () => {
    const ct = fromHex(draft.cases[0]!.ct);
    ct.fill(0, 1088);
    expect(suite.xwingDecapsulate(ct, fromHex(draft.cases[0]!.seed))).toBeNull();
  });

  it('returns null for inputs of the wrong length instead of throwing', () => {
    const c = draft.cases[0]!;
    expect(suite.xwingEncapsulate(fromHex(c.pk).subarray(1), fromHex(c.eseed))).toBeNull();
    expect(suite.xwingEncapsulate(fromHex(c.pk), fromHex(c.eseed).subarray(1))).toBeNull();
    expect(suite.xwingDecapsulate(fromHex(c.ct).subarray(1), fromHex(c.seed))).toBeNull();
    expect(suite.xwingDecapsulate(fromHex(c.ct), fromHex(c.seed).subarray(1))).toBeNull();
  });
});

describe('X-Wing: libsodium and noble agree', () => {
  it('on keys, ciphertexts and secrets for fresh seeds, in both directions', () => {
    for (let i = 0; i < 8; i++) {
      const seed = bytes(32, i);
      const eseed = bytes(64, i + 100);
      const pk = sodium.xwingPublicKey(seed);
      expect(toHex(noble.xwingPublicKey(seed))).toBe(toHex(pk));
      const a = sodium.xwingEncapsulate(pk, eseed)!;
      const b = noble.xwingEncapsulate(pk, eseed)!;
      expect(toHex(b.ciphertext)).toBe(toHex(a.ciphertext));
      expect(toHex(b.sharedSecret)).toBe(toHex(a.sharedSecret));
      expect(toHex(noble.xwingDecapsulate(a.ciphertext, seed)!)).toBe(toHex(a.sharedSecret));
      expect(toHex(sodium.xwingDecapsulate(b.ciphertext, seed)!)).toBe(toHex(b.sharedSecret));
    }
  });

  it("on ML-KEM's implicit rejection: a tampered ciphertext gives the same unrelated secret on both", () => {
    const c = draft.cases[1]!;
    const ct = fromHex(c.ct);
    ct[10] = ct[10]! ^ 0x01;
    const viaSodium = sodium.xwingDecapsulate(ct, fromHex(c.seed))!;
    expect(toHex(viaSodium)).not.toBe(c.ss);
    expect(toHex(noble.xwingDecapsulate(ct, fromHex(c.seed))!)).toBe(toHex(viaSodium));
  });
});
