/**
 * Open long-polls: how many each account holds (so one account cannot pin every socket) and
 * how to wake them all when the server shuts down (so close() is not held up by them).
 */
export class WaitRegistry {
  readonly #perAccount = new Map<string, number>();
  readonly #wakers = new Set<() => void>();
  #closing = false;

  constructor(private readonly maxPerAccount: number) {}

  /** True once shutdown began: new waits return at once. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Long-polls open now. */
  get open(): number {
    return this.#wakers.size;
  }

  /** Registers a wait of `account`; false when the account is at its limit. */
  enter(account: string, wake: () => void): boolean {
    const n = this.#perAccount.get(account) ?? 0;
    if (n >= this.maxPerAccount) return false;
    this.#perAccount.set(account, n + 1);
    this.#wakers.add(wake);
    return true;
  }

  /** Ends a wait registered with {@link enter}. */
  leave(account: string, wake: () => void): void {
    this.#wakers.delete(wake);
    const n = (this.#perAccount.get(account) ?? 1) - 1;
    if (n <= 0) this.#perAccount.delete(account);
    else this.#perAccount.set(account, n);
  }

  /** Begins shutdown: wakes every wait. */
  closeAll(): void {
    this.#closing = true;
    for (const wake of this.#wakers) wake();
  }
}
