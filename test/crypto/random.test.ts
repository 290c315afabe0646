/**
 * Issue #9 item 5: long-term secrets come straight from the platform CSPRNG at the moment they
 * are made, never from a pool that holds future output in the heap; only seal's content keys and
 * record ids come from a small pool.
 */
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RandomPool, SEAL_POOL_BYTES, sealRandom, systemRandom } from '../../src/crypto/random.js';
import { Device } from '../../src/core/device.js';
import { seal } from '../../src/core/seal.js';
import { createPairingCode } from '../../src/enrollment/pairingCode.js';
import { createPairingOffer } from '../../src/enrollment/pairingOffer.js';
import { createRecoveryWords } from '../../src/enrollment/recoveryWords.js';
import { ACCOUNT, BACKENDS, sampleCall } from '../support/devices.js';
import { TestKeys } from '../support/pairKeys.js';

/**
 * What each call to crypto.getRandomValues from src/crypto/random.ts returned while a test ran
 * (libsodium's WebAssembly calls it too, for its own purposes; those are not counted).
 */
let calls: Uint8Array[] = [];

beforeEach(() => {
  const original = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
  calls = [];
  vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
    original(array as unknown as Uint8Array);
    if (/src[\\/]crypto[\\/]random\.ts/.test(new Error().stack ?? '')) calls.push((array as unknown as Uint8Array).slice());
    return array;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The CSPRNG calls `action` makes, after draining whatever earlier tests left in the seal pool. */
async function drawsOf(action: () => unknown): Promise<Uint8Array[]> {
  calls = [];
  await action();
  return calls;
}

describe.each(BACKENDS)('long-term secrets on the %s backend', (backend) => {
  it('Device.generate draws identity seed, encryption secret and epoch seed, 32 bytes each, as it makes them', async () => {
    sealRandom(1); // a seal pool with bytes left must not be where keys come from
    let device: Device | undefined;
    const draws = await drawsOf(async () => (device = await Device.generate({ backend })));
    expect(draws.map((d) => d.length)).toEqual([32, 32, 32]);
    const secrets = device!.exportSecrets();
    expect(secrets.subarray(1, 33)).toEqual(draws[0]);
    expect(secrets.subarray(33, 65)).toEqual(draws[1]);
    expect(device!.epochs.current!.seed).toEqual(draws[2]);
  });

  it('a key rotation draws the new encryption secret from the CSPRNG', async () => {
    const device = await Device.generate({ backend });
    let rotated: Device | undefined;
    const draws = await drawsOf(() => (rotated = device.rotateEncryptionKey()));
    expect(draws.map((d) => d.length)).toEqual([32]);
    expect(rotated!.exportSecrets().subarray(33, 65)).toEqual(draws[0]);
  });

  it('a pair key draws its 64-byte encapsulation seed from the CSPRNG as it is made', async () => {
    const [sender, recipient] = [await Device.generate({ backend }), await Device.generate({ backend })];
    const statement = recipient.epochs.current!.statement;
    sealRandom(1);
    let made: ReturnType<Device['establishPairKey']> | undefined;
    const draws = await drawsOf(() => (made = sender.establishPairKey(recipient.public, statement, 1)));
    expect(draws.map((d) => d.length)).toEqual([64]);
    // It is the encapsulation's randomness: the same 64 bytes make the same ciphertext.
    expect(sender.establishPairKey(recipient.public, statement, 1, draws[0]).ciphertext).toEqual(made!.ciphertext);
  });

  it('a passphrase blob draws its salt and nonce from the CSPRNG', async () => {
    const device = await Device.generate({ backend });
    const cost = { opsLimit: 2, memLimitBytes: 19 * 1024 * 1024 };
    let blob: Uint8Array | undefined;
    const draws = await drawsOf(async () => (blob = await device.exportWithPassphrase('pw', cost)));
    expect(draws.map((d) => d.length)).toEqual([16, 24]);
    expect(blob!.subarray(14, 30)).toEqual(draws[0]);
    expect(blob!.subarray(30, 54)).toEqual(draws[1]);
  });

  it('a pairing offer draws its secret, then its nonce, from the CSPRNG', async () => {
    const device = await Device.generate({ backend });
    let offer: ReturnType<typeof createPairingOffer> | undefined;
    const draws = await drawsOf(() => (offer = createPairingOffer(device, 'https://sync.example')));
    expect(draws).toEqual([offer!.secret, offer!.nonce]);
  });
});

describe('secrets of the enrollment layer', () => {
  it('recovery words encode 32 bytes drawn from the CSPRNG for them', async () => {
    let words = '';
    const draws = await drawsOf(() => (words = createRecoveryWords()));
    expect(draws).toHaveLength(1);
    expect(words).toBe(entropyToMnemonic(draws[0]!, wordlist));
  });

  it('a pairing code draws 16 bytes at a time from the CSPRNG', async () => {
    const draws = await drawsOf(() => createPairingCode());
    expect(draws.length).toBeGreaterThan(0);
    expect(draws.every((d) => d.length === 16)).toBe(true);
  });
});

describe('the seal pool', () => {
  it('is the only pool, holds SEAL_POOL_BYTES, and seal takes its content key and record id from it', async () => {
    const device = await Device.generate({ backend: 'sodium' });
    const recipients = TestKeys.among([device]).recipients(device, [device]); // established before counting
    const seals = 3 * Math.ceil(SEAL_POOL_BYTES / 48);
    const draws = await drawsOf(() => {
      for (let i = 0; i < seals; i++) seal(device, ACCOUNT, recipients, { body: sampleCall, revision: 1 });
    });
    expect(draws.length).toBeGreaterThanOrEqual(2);
    expect(draws.every((d) => d.length === SEAL_POOL_BYTES)).toBe(true);
  });

  it('hands each byte out once and erases it from the pool', () => {
    const pool = new RandomPool(64);
    const a = pool.take(32);
    const b = pool.take(32);
    expect(a).not.toEqual(b);
    expect(calls.map((d) => d.length)).toEqual([64]);
    // What the pool handed out is exactly what the CSPRNG filled, each byte once.
    expect(new Uint8Array([...a, ...b])).toEqual(calls[0]);
    pool.take(1);
    expect(calls.map((d) => d.length)).toEqual([64, 64]);
  });

  it('serves requests larger than itself straight from the CSPRNG', () => {
    const out = new RandomPool(16).take(100);
    expect(out).toHaveLength(100);
    expect(calls.map((d) => d.length)).toEqual([100]);
  });

  it('systemRandom fills large requests in calls of at most 65,536 bytes', () => {
    expect(systemRandom(65536 + 10)).toHaveLength(65546);
    expect(calls.map((d) => d.length)).toEqual([65536, 10]);
  });
});
