/**
 * Issue #9 item 8: the backends leave no copy of a secret behind in what their libraries return.
 * (Copies inside libsodium's WebAssembly heap are out of reach; see docs/threat-model.md.)
 */
import sodium from 'libsodium-wrappers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSuite } from '../../src/crypto/suite.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('secret copies on the sodium backend', () => {
  it('ed25519PublicKey wipes the private key crypto_sign_seed_keypair returns', async () => {
    const suite = await loadSuite('sodium');
    const returned: Uint8Array[] = [];
    const original = sodium.crypto_sign_seed_keypair.bind(sodium);
    vi.spyOn(sodium, 'crypto_sign_seed_keypair').mockImplementation(((seed: Uint8Array) => {
      const pair = original(seed);
      returned.push(pair.privateKey);
      return pair;
    }) as typeof sodium.crypto_sign_seed_keypair);
    const seed = new Uint8Array(32).fill(7);
    const publicKey = suite.ed25519PublicKey(seed);
    expect(publicKey).toHaveLength(32);
    expect(returned).toHaveLength(1);
    expect(returned[0]!.every((b) => b === 0)).toBe(true);
    expect(seed.every((b) => b === 7)).toBe(true); // the caller's seed is its own
  });

  it('ed25519Sign leaves no copy of the seed in its signing buffer', async () => {
    const suite = await loadSuite('sodium');
    const keys: Uint8Array[] = [];
    const original = sodium.crypto_sign_detached.bind(sodium);
    vi.spyOn(sodium, 'crypto_sign_detached').mockImplementation(((message: Uint8Array, key: Uint8Array) => {
      keys.push(key);
      return original(message, key);
    }) as typeof sodium.crypto_sign_detached);
    const seed = new Uint8Array(32).fill(9);
    suite.ed25519Sign(seed, suite.ed25519PublicKey(seed), new Uint8Array([1]));
    expect(keys).toHaveLength(1);
    expect(keys[0]!.every((b) => b === 0)).toBe(true);
  });
});
