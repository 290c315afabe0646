/**
 * Issue #9 item 2: one Ed25519 rule on both backends (docs/protocol.md §1), run on the
 * Wycheproof-style cases of test/vectors/ed25519.json.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/crypto/bytes.js';
import { loadSuite } from '../../src/crypto/suite.js';
import { BACKENDS } from '../support/devices.js';
import { load, type Versioned } from '../support/vectorFiles.js';

interface Ed25519Test {
  tcId: number;
  comment: string;
  flags: string[];
  publicKey: string;
  message: string;
  signature: string;
  result: 'valid' | 'invalid';
  libsodium: 'valid' | 'invalid';
  noble: 'valid' | 'invalid';
}

const file = load<Versioned & { tests: Ed25519Test[] }>('ed25519.json');
const rows = file.tests.map((t) => [t.tcId, t.comment, t] as const);

describe.each(BACKENDS)('the Ed25519 rule on the %s backend', (backend) => {
  it.each(rows)('case %i (%s)', async (_id, _comment, t) => {
    const suite = await loadSuite(backend);
    expect(suite.ed25519Verify(fromHex(t.signature), fromHex(t.message), fromHex(t.publicKey))).toBe(t.result === 'valid');
  });
});

// What each library says alone: if an upgrade changes one of these, the checks the backends add
// (src/crypto/nobleEd25519.ts, sodiumBackend.ts) must be looked at again.
describe('the libraries on their own', () => {
  it.each(rows)('libsodium 1.0.22: case %i (%s)', async (_id, _comment, t) => {
    await sodium.ready;
    let verdict = false;
    try {
      verdict = sodium.crypto_sign_verify_detached(fromHex(t.signature), fromHex(t.message), fromHex(t.publicKey));
    } catch {
      verdict = false;
    }
    expect(verdict).toBe(t.libsodium === 'valid');
  });

  it.each(rows)('noble zip215:false: case %i (%s)', (_id, _comment, t) => {
    let verdict = false;
    try {
      verdict = ed25519.verify(fromHex(t.signature), fromHex(t.message), fromHex(t.publicKey), { zip215: false });
    } catch {
      verdict = false;
    }
    expect(verdict).toBe(t.noble === 'valid');
  });
});

describe('every signature check goes through the provider', () => {
  // sodiumWasm.ts only declares libsodium's functions for the sodium backend, which calls them.
  const backends = new Set(['src/crypto/sodiumBackend.ts', 'src/crypto/sodiumWasm.ts', 'src/crypto/nobleEd25519.ts']);
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) files.push(path);
    }
  };
  walk('src');

  it('only the backends call a library verify', () => {
    const calls = files.filter((f) => !backends.has(f.replaceAll('\\', '/'))).filter((f) => /crypto_sign_(ed25519_)?verify|\bed25519\.verify\(|\bverify\(\s*sig/.test(readFileSync(f, 'utf8')));
    expect(calls).toEqual([]);
  });
});
