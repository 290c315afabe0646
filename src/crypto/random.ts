/**
 * Randomness. Every secret that outlives one record — identity seeds, encryption secrets, X-Wing
 * epoch seeds, recovery entropy, pairing secrets, nonces and codes — comes from `systemRandom`:
 * the platform CSPRNG (`crypto.getRandomValues`) called at the moment of use, so no future secret
 * ever waits in the heap. Only the seal hot path draws from a pool (`sealRandom`): a call to
 * getRandomValues costs about 10 µs, a large share of a 25 µs seal, and a draw from a 1 KiB pool
 * under 1 µs. docs/protocol.md §14 and docs/decisions.md give the reasons.
 */

/** A source of random bytes: returns a fresh array of `length` bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** getRandomValues fills at most 65,536 bytes per call. */
const CSPRNG_CALL_MAX = 65536;

/** Fresh bytes straight from the platform CSPRNG, drawn at the call. */
export const systemRandom: RandomSource = (length) => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += CSPRNG_CALL_MAX) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + CSPRNG_CALL_MAX)));
  }
  return out;
};

/**
 * Bytes in the seal pool: 21 seals' worth of content key and record id (48 bytes each). Small, so
 * a memory dump finds at most that many future content keys; large enough that refills cost
 * under a microsecond a seal (bench/core.ts measures seal against its floor).
 */
export const SEAL_POOL_BYTES = 1024;

/** A pool of CSPRNG output handed out once each; refills itself from the CSPRNG when drained. */
export class RandomPool {
  readonly #pool: Uint8Array;
  #offset: number;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1 || size > CSPRNG_CALL_MAX) throw new RangeError('a pool holds 1..65536 bytes');
    this.#pool = new Uint8Array(size);
    this.#offset = size;
  }

  /** Returns `length` fresh random bytes that no other caller receives. */
  take = (length: number): Uint8Array => {
    const size = this.#pool.length;
    if (length > size) return systemRandom(length);
    if (this.#offset + length > size) {
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

/**
 * The seal hot path's source, for content keys and record ids only: those protect one record
 * each, and the pool holds at most {@link SEAL_POOL_BYTES} of them ahead of use.
 */
export const sealRandom: RandomSource = new RandomPool(SEAL_POOL_BYTES).take;
