/**
 * An in-memory stand-in for the server, for fast unit tests of enrollment: it checks appends
 * with the chain rules and compare-and-swap as the real server does, and lets a test make it
 * lie or fail.
 */
import { RemoteError } from '../../src/errors.js';
import { equalBytes, toHex } from '../../src/crypto/bytes.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { decodeEntry, type EncodedEntry } from '../../src/enrollment/chainEntry.js';
import { applyEntry, genesisState, type ChainState } from '../../src/enrollment/chainState.js';
import type { ChainPage, EnrollmentTransport } from '../../src/enrollment/transport.js';

export class MemoryTransport implements EnrollmentTransport {
  entries: EncodedEntry[] = [];
  state: ChainState | undefined;
  readonly mailbox = new Map<string, Uint8Array>();
  /** Rewrites every chain page before it is returned. */
  lie: ((page: ChainPage) => ChainPage) | undefined;
  /** The next append is applied, but its answer is lost. */
  loseNextAnswer = false;
  /** Answers every append with CHAIN_CONFLICT. */
  alwaysConflict = false;
  /** Answers appends with this head instead of the real one. */
  ackHead: Uint8Array | undefined;
  appends = 0;
  /** What the transport says it learned of the server clock (server minus device). */
  clockOffsetMs = 0;

  constructor(private readonly suite: CryptoProvider) {}

  async createAccount(genesis: Uint8Array) {
    const encoded = decodeEntry(this.suite, genesis);
    this.state = genesisState(this.suite, encoded);
    this.entries = [encoded];
    return { account: this.state.accountId, head: this.state.head };
  }

  async readChain(from = 0): Promise<ChainPage> {
    const page = { entries: this.entries.slice(from).map((e) => e.bytes), head: this.state!.head, length: this.state!.length };
    return this.lie === undefined ? page : this.lie(page);
  }

  async appendChain(entry: Uint8Array, expectedHead: Uint8Array) {
    this.appends += 1;
    if (this.alwaysConflict || !equalBytes(expectedHead, this.state!.head)) throw new RemoteError('CHAIN_CONFLICT', 'the head moved', 409);
    const encoded = decodeEntry(this.suite, entry);
    this.state = applyEntry(this.suite, this.state!, encoded);
    this.entries.push(encoded);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new RemoteError('NETWORK_ERROR', 'the answer was lost', 0);
    }
    return { head: this.ackHead ?? this.state.head, length: this.state.length };
  }

  async mailboxPut(id: Uint8Array, message: Uint8Array): Promise<void> {
    if (this.mailbox.has(toHex(id))) throw new RemoteError('MAILBOX_FULL', 'taken', 409);
    this.mailbox.set(toHex(id), message);
  }

  async mailboxTake(id: Uint8Array): Promise<Uint8Array | null> {
    const message = this.mailbox.get(toHex(id)) ?? null;
    this.mailbox.delete(toHex(id));
    return message;
  }

  /** Appends an entry directly, as another device would. */
  push(entry: EncodedEntry): void {
    this.state = applyEntry(this.suite, this.state!, entry);
    this.entries.push(entry);
  }
}
