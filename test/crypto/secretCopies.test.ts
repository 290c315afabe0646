/**
 * Issue #9 item 8: the backends leave no copy of a secret behind in what their libraries return,
 * and the sodium backend none in libsodium's WebAssembly heap either: every argument it copies
 * there, and every output, is zeroed before the memory is freed (docs/threat-model.md).
 */
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../../src/crypto/suite.js';
import { loadSodiumWasm } from '../../src/crypto/sodiumWasm.js';

/** Where `needle` occurs in `haystack`, or -1. */
function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!;
  for (let i = haystack.indexOf(first); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/** 32 bytes no computation would produce by chance. */
function marked(tag: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (tag * 31 + i * 7 + 1) & 0xff);
}

describe('secret copies on the sodium backend', () => {
  it('leaves no copy of an Ed25519 seed, its key pair or a signed message in the WebAssembly heap', async () => {
    const suite = await loadSuite('sodium');
    const wasm = await loadSodiumWasm();
    const seed = marked(1);
    const message = marked(2);
    const publicKey = suite.ed25519PublicKey(seed);
    const signature = suite.ed25519Sign(seed, publicKey, message);
    expect(suite.ed25519Verify(signature, message, publicKey)).toBe(true);
    expect(seed).toEqual(marked(1)); // the caller's seed is its own, untouched
    for (const secret of [seed, message, publicKey]) expect(indexOfBytes(wasm.HEAPU8, secret)).toBe(-1);
  });

  it('leaves no copy of an AEAD key, plaintext or X25519 secret in the WebAssembly heap', async () => {
    const suite = await loadSuite('sodium');
    const wasm = await loadSodiumWasm();
    const key = marked(3);
    const plaintext = marked(4);
    const sealed = suite.aeadEncrypt(key, new Uint8Array(24), plaintext, new Uint8Array(0));
    expect(suite.aeadDecrypt(key, new Uint8Array(24), sealed, new Uint8Array(0))).toEqual(plaintext);
    const secret = marked(5);
    const shared = suite.x25519(secret, suite.x25519PublicKey(marked(6)))!;
    const xwingSeed = marked(7);
    suite.xwingPublicKey(xwingSeed);
    for (const value of [key, plaintext, secret, shared, xwingSeed]) expect(indexOfBytes(wasm.HEAPU8, value)).toBe(-1);
  });
});
