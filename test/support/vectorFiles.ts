/** Reading the frozen vectors in test/vectors/: shared by the core and upper-layer vector tests. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import type { RandomSource } from '../../src/crypto/random.js';
import { isMultikeySyncError } from '../../src/errors.js';

/** Every vector file says what it is and which version it follows. */
export interface Versioned {
  description: string;
  version: 1;
}

/** Loads test/vectors/NAME and checks it is a version-1 vector file. */
export function load<T extends Versioned>(name: string): T {
  const parsed = JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8')) as T;
  if (parsed.version !== 1 || typeof parsed.description !== 'string') throw new Error(`${name}: not a version-1 vector file`);
  return parsed;
}

/** A random source that hands out exactly the recorded bytes, in order. */
export function replay(hex: string): { random: RandomSource; exhausted: () => boolean } {
  const bytes = fromHex(hex);
  let offset = 0;
  return {
    random: (length) => {
      if (offset + length > bytes.length) throw new Error(`vector randomness exhausted (${bytes.length} bytes)`);
      const out = bytes.slice(offset, offset + length);
      offset += length;
      return out;
    },
    exhausted: () => offset === bytes.length,
  };
}

/** 'ok', null, or the code of the library error `fn` threw (anything else is rethrown). */
export function outcome(fn: () => unknown): string | null {
  try {
    return fn() === null ? null : 'ok';
  } catch (e) {
    if (!isMultikeySyncError(e)) throw e;
    return e.code;
  }
}

/** {@link outcome} for async calls. */
export async function outcomeAsync(fn: () => Promise<unknown>): Promise<string | null> {
  try {
    return (await fn()) === null ? null : 'ok';
  } catch (e) {
    if (!isMultikeySyncError(e)) throw e;
    return e.code;
  }
}

/** The vectors' JSON notation: {"$bytes": hex} is a byte string, {"$float": "NaN"} a special float. */
export function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$bytes === 'string') return fromHex(o.$bytes);
    if (keys.length === 1 && typeof o.$float === 'string') {
      return { NaN, Infinity, '-Infinity': -Infinity, '-0': -0 }[o.$float];
    }
    return Object.fromEntries(keys.map((k) => [k, revive(o[k])]));
  }
  return value;
}

/** Compares as hex so a failure prints the bytes. */
export function expectHex(actual: Uint8Array, expected: string, what?: string): void {
  expect(toHex(actual), what).toBe(expected);
}
