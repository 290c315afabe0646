/** In-process fan-out of "envelopes were stored" wakeups, keyed by account id hex. */
import type { WatchListener } from './store.js';

/** Registered listeners per account. Each registration is distinct, even for one function. */
export class WatcherRegistry {
  private readonly byAccount = new Map<string, Set<{ listener: WatchListener }>>();

  /** Registers `listener` for the account; returns a function removing exactly this registration. */
  add(accountHex: string, listener: WatchListener): () => void {
    const entry = { listener };
    let set = this.byAccount.get(accountHex);
    if (set === undefined) {
      set = new Set();
      this.byAccount.set(accountHex, set);
    }
    set.add(entry);
    return () => {
      const current = this.byAccount.get(accountHex);
      if (current === undefined) return;
      current.delete(entry);
      if (current.size === 0) this.byAccount.delete(accountHex);
    };
  }

  /** Calls every listener of the account; a throwing listener does not stop the others. */
  emit(accountHex: string, cursor: number): void {
    const set = this.byAccount.get(accountHex);
    if (set === undefined) return;
    for (const { listener } of [...set]) {
      try {
        listener(cursor);
      } catch {
        // Documented: listener exceptions are ignored; they must not break a commit path.
      }
    }
  }

  /** Hex ids of the accounts that have listeners. */
  accounts(): string[] {
    return [...this.byAccount.keys()];
  }

  /** Number of watched accounts. */
  get size(): number {
    return this.byAccount.size;
  }

  /** Forgets every listener. */
  clear(): void {
    this.byAccount.clear();
  }
}
