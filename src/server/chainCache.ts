/**
 * Each account's verified device list, cached per process. Another process sharing the
 * database may append at any time, so every lookup asks the store for the head (one small
 * query) and, when it moved, verifies only the new entries. The cache holds at most
 * `capacity` accounts, dropping the least recently used.
 *
 * The server verified every entry before storing it, so a stored chain that fails to replay
 * means the database was damaged or edited behind the server's back. That is `CHAIN_CORRUPT`:
 * retrying cannot help, and the operator must look, so the log line names the account.
 */
import { MultikeySyncError, StorageError } from '../errors.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decodeEntry } from '../enrollment/chainEntry.js';
import { applyEntry, genesisState, type ChainState } from '../enrollment/chainState.js';
import type { Store } from '../storage/store.js';
import { HttpError } from './httpError.js';

const READ_PAGE = 1000;

/** Verified chain states by account. */
export class ChainCache {
  readonly #states = new Map<string, ChainState>();

  constructor(
    private readonly store: Store,
    private readonly suite: CryptoProvider,
    private readonly capacity: number,
  ) {}

  /**
   * The account's state as of the store's current head.
   * @throws {StorageError} `ACCOUNT_NOT_FOUND`, `STORE_*`.
   * @throws {HttpError} `CHAIN_CORRUPT` when the stored chain does not replay.
   */
  async current(accountId: Uint8Array): Promise<ChainState> {
    const key = toHex(accountId);
    const head = await this.store.chainHead(accountId);
    const cached = this.#states.get(key);
    if (cached !== undefined && equalBytes(cached.head, head.hash)) {
      this.#touch(key, cached);
      return cached;
    }
    // The state read must reach the head we saw (it may be newer: someone appended meanwhile).
    const reaches = (s: ChainState): boolean => s.length - 1 > head.index || (s.length - 1 === head.index && equalBytes(s.head, head.hash));
    let state: ChainState | undefined;
    if (cached !== undefined && cached.length <= head.index) {
      // Extend what we have; if that fails or misses the head (account recreated), replay it all.
      state = await this.#extend(accountId, cached).catch(() => undefined);
      if (state !== undefined && !reaches(state)) state = undefined;
    }
    state ??= await this.#extend(accountId, undefined).catch((error: unknown) => {
      // A database failure stays retryable; anything the replay itself refused is corruption.
      if (error instanceof HttpError || error instanceof StorageError || !(error instanceof MultikeySyncError)) throw error;
      throw chainCorrupt(key, error);
    });
    this.#touch(key, state);
    return state;
  }

  /** Records a state the server just produced (after an append or account creation). */
  remember(state: ChainState): void {
    const key = toHex(state.accountId);
    const cached = this.#states.get(key);
    if (cached === undefined || cached.length < state.length) this.#touch(key, state);
  }

  async #extend(accountId: Uint8Array, from: ChainState | undefined): Promise<ChainState> {
    let state = from;
    for (;;) {
      const rows = await this.store.readChain(accountId, state?.length ?? 0, READ_PAGE);
      for (const row of rows) {
        const entry = decodeEntry(this.suite, row.bytes);
        state = state === undefined ? genesisState(this.suite, entry) : applyEntry(this.suite, state, entry);
      }
      if (rows.length < READ_PAGE) break;
    }
    if (state === undefined) throw chainCorrupt(toHex(accountId), undefined);
    return state;
  }

  #touch(key: string, state: ChainState): void {
    this.#states.delete(key);
    this.#states.set(key, state);
    if (this.#states.size > this.capacity) {
      const oldest = this.#states.keys().next().value;
      if (oldest !== undefined) this.#states.delete(oldest);
    }
  }
}

/**
 * The refusal for an account whose stored chain does not replay. The log note carries the
 * account's short id (its first 4 bytes in hex, enough to find the row) and the rule that
 * failed; the client learns only the code.
 */
function chainCorrupt(accountHex: string, cause: MultikeySyncError | undefined): HttpError {
  const why = cause === undefined ? 'no entries' : `${cause.name}:${cause.code}`;
  return new HttpError('CHAIN_CORRUPT', "the server's stored chain for this account does not verify", {}, {
    cause,
    logNote: `account=${accountHex.slice(0, 8)} ${why}`,
  });
}
