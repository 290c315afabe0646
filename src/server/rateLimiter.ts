/**
 * Token buckets by key (a device id, or a remote address for unsigned routes): `burst` tokens,
 * refilled at `perSecond`. State is per process, so N server processes allow N times the rate;
 * that is enough to stop one runaway device, which is the purpose.
 */

interface Bucket {
  tokens: number;
  at: number;
}

/** Per-key token buckets. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes a token for `key`: 0 when allowed, otherwise the milliseconds until one is available. */
  take(key: string, now: number): number {
    if (this.perSecond === Infinity) return 0;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.maxKeys) this.#sweep(now);
      bucket = { tokens: this.burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.perSecond) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / this.perSecond);
  }

  /** Gives back a token taken for `key` by a request that turned out to be a replay. */
  refund(key: string): void {
    const bucket = this.#buckets.get(key);
    if (bucket !== undefined) bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
  }

  /** Forgets buckets that have refilled (they behave like new ones); if none has, the oldest half. */
  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) * this.perSecond) / 1000 >= this.burst) this.#buckets.delete(key);
    }
    if (this.#buckets.size < this.maxKeys) return;
    let drop = this.#buckets.size >> 1;
    for (const key of this.#buckets.keys()) {
      if (drop-- <= 0) break;
      this.#buckets.delete(key);
    }
  }
}
