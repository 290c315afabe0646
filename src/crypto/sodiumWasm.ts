/**
 * libsodium's WebAssembly build (the `libsodium` package), loaded and called directly.
 *
 * libsodium-wrappers wraps every one of libsodium's ~300 functions in JavaScript, 15 KiB
 * gzipped in every browser bundle that imports it; the backend calls twelve. This module loads
 * the same WebAssembly module the wrappers load and runs one function at a time on byte arrays
 * through {@link callSodium}, which also zeroes what it copied into the WebAssembly heap (the
 * wrappers free their copies without zeroing them).
 */
import libsodium from 'libsodium';

/** What the backend uses of the Emscripten module: its heap, allocator and exported functions. */
export interface SodiumWasm {
  /** The WebAssembly memory; a new view after the memory grows, so read it after allocating. */
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(address: number): void;
  _sodium_init(): number;
  // libsodium's C functions the backend calls, by their C names with a leading underscore.
  // Arguments are heap addresses and lengths; a 64-bit length is two arguments (low, high).
  _crypto_aead_xchacha20poly1305_ietf_encrypt(...args: number[]): number;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(...args: number[]): number;
  _crypto_scalarmult_base(q: number, n: number): number;
  _crypto_scalarmult(q: number, n: number, p: number): number;
  _crypto_sign_seed_keypair(pk: number, sk: number, seed: number): number;
  _crypto_sign_detached(...args: number[]): number;
  _crypto_sign_verify_detached(...args: number[]): number;
  _crypto_sign_ed25519_pk_to_curve25519(x25519Pk: number, ed25519Pk: number): number;
  _crypto_generichash(...args: number[]): number;
  _crypto_kem_xwing_secretkeybytes(): number;
  _crypto_kem_xwing_seed_keypair(pk: number, sk: number, seed: number): number;
  _crypto_kem_xwing_enc_deterministic(ct: number, ss: number, pk: number, seed: number): number;
  _crypto_kem_xwing_dec(ss: number, ct: number, sk: number): number;
}

/** libsodium's own random source inside WebAssembly (the backend never asks it for randomness). */
function getRandomValue(): number {
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  return word[0]!;
}

/** libsodium's "sumo" build, which adds Argon2id. */
export interface SodiumSumoWasm extends SodiumWasm {
  _crypto_pwhash(...args: number[]): number;
}

let loaded: Promise<SodiumWasm> | undefined;

/** Instantiates libsodium's standard build once and initialises it. */
export function loadSodiumWasm(): Promise<SodiumWasm> {
  loaded ??= instantiateSodium(libsodium);
  return loaded;
}

/**
 * Instantiates an Emscripten build of libsodium from what its package exports, and initialises
 * it. The ES module build exports a factory; the CommonJS build (what `require` and our
 * CommonJS dist get) exports the module itself, ready once `ready` resolves; a dynamic import
 * or a bundler may wrap either in `default`.
 */
export async function instantiateSodium<T extends SodiumWasm>(exported: unknown): Promise<T> {
  const candidate = ((exported as { default?: unknown }).default ?? exported) as
    | ((options: { getRandomValue: () => number }) => Promise<T>)
    | (T & { ready?: Promise<unknown> });
  let wasm: T;
  if (typeof candidate === 'function') {
    wasm = await candidate({ getRandomValue });
  } else {
    await candidate.ready;
    wasm = candidate;
  }
  if (typeof wasm._sodium_init !== 'function' || wasm._sodium_init() < 0) {
    throw new Error('libsodium could not be initialised');
  }
  return wasm;
}

/**
 * Runs one libsodium function on byte arrays. Copies `inputs` into one block of the WebAssembly
 * heap, followed by room for outputs of `outputLengths` bytes, and calls `fn` with the address
 * of each input, then of each output. Returns copies of the outputs when `fn` returns 0 (success
 * in libsodium), otherwise null. The block is zeroed before it is freed, so no key, seed or
 * plaintext outlives the call in the heap.
 *
 * @throws Error if the heap cannot grow to hold the block.
 */
export function callSodium(
  wasm: SodiumWasm,
  inputs: readonly Uint8Array[],
  outputLengths: readonly number[],
  fn: (addresses: number[]) => number,
): Uint8Array[] | null {
  let size = 0;
  for (const input of inputs) size += input.length;
  for (const length of outputLengths) size += length;
  const block = wasm._malloc(size || 1);
  if (block === 0) throw new Error(`libsodium could not allocate ${size} bytes`);
  const addresses: number[] = [];
  try {
    let at = block;
    const heap = wasm.HEAPU8;
    for (const input of inputs) {
      heap.set(input, at);
      addresses.push(at);
      at += input.length;
    }
    for (const length of outputLengths) {
      addresses.push(at);
      at += length;
    }
    if (fn(addresses) !== 0) return null;
    const outputs = addresses.slice(inputs.length);
    // Read the heap again: the call may have grown the memory, which replaces the view.
    return outputs.map((address, i) => wasm.HEAPU8.slice(address, address + outputLengths[i]!));
  } finally {
    wasm.HEAPU8.fill(0, block, block + size);
    wasm._free(block);
  }
}
