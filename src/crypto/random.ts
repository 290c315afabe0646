/**
 * Randomness for the hot path. libsodium's randombytes_buf costs ~140 µs a call under
 * WebAssembly, so seals draw keys and ids from a pool refilled from the platform CSPRNG
 * (`crypto.getRandomValues`, which is what libsodium itself calls underneath) 64 KiB at a time.
 */

/** A source of random bytes: returns a fresh array of `length` bytes. */
export type RandomSource = (length: number) => Uint8Array;

const POOL_BYTES = 65536; // getRandomValues' per-call maximum

/** A pool of CSPRNG output handed out once each; refills itself when drained. */
export class RandomPool {
  #pool = new Uint8Array(POOL_BYTES);
  #offset = POOL_BYTES;

  /** Returns `length` fresh random bytes that no other caller receives. */
  take = (length: number): Uint8Array => {
    if (length > POOL_BYTES) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i += POOL_BYTES) {
        globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + POOL_BYTES)));
      }
      return out;
    }
    if (this.#offset + length > POOL_BYTES) {
      globalThis.crypto.getRandomValues(this.#pool);
      this.#offset = 0;
    }
    const out = this.#pool.slice(this.#offset, this.#offset + length);
    // Bytes handed out are erased from the pool so a later memory dump cannot recover them.
    this.#pool.fill(0, this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  };
}

const shared = new RandomPool();

/** The process-wide pooled CSPRNG. */
export const systemRandom: RandomSource = shared.take;
