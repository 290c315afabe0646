/**
 * One budget for every request body the server holds in memory at once. A body is read only
 * after its bytes are reserved here: its declared length up front (so a refusal comes before a
 * byte is read), or chunk by chunk when the client declared none. Past the budget the request
 * is refused with 503 `SERVER_BUSY` and Retry-After, so forty forged 16 MiB pushes cost the
 * server at most the budget, not 640 MiB. Reservations are tied to their request and given
 * back when the request's handling ends, whatever happened.
 */

/** Bytes reserved per request, and in all. */
export class BodyBudget {
  readonly #held = new WeakMap<Request, number>();
  #used = 0;

  /** @param limit the most body bytes held at once across all requests. */
  constructor(readonly limit: number) {}

  /** Bytes reserved now, across all requests. */
  get used(): number {
    return this.#used;
  }

  /** Reserves `bytes` more for `request`; false (nothing reserved) when the budget would be exceeded. */
  reserve(request: Request, bytes: number): boolean {
    if (bytes <= 0) return true;
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    this.#held.set(request, (this.#held.get(request) ?? 0) + bytes);
    return true;
  }

  /** True while `request` holds a reservation (its body is being, or was, read). */
  holds(request: Request): boolean {
    return this.#held.has(request);
  }

  /** Gives back everything `request` reserved. Idempotent. */
  release(request: Request): void {
    const bytes = this.#held.get(request);
    if (bytes === undefined) return;
    this.#held.delete(request);
    this.#used -= bytes;
  }
}
