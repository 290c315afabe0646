/**
 * The e2e section's "encryption off": the library has no such switch, so this is `Replica`'s
 * write and sync path rebuilt from the same parts with the crypto taken out. It keeps, step for
 * step: the collection's validation and sort time, a revision and a persisted sequence number
 * per write, one `applyLocal` (record + outbox item) per write on the same `LocalStore`, the
 * chain refresh that opens every sync round, the outbox pushed in pages of 500 through the same
 * `HttpClient`, pulls of 500 per page, `bodyFromWire` and one `applyRemote` (records + cursor)
 * per page, change events, and `expire` at the end of the round.
 *
 * It leaves out what only exists because of encryption: seal (content key, body AEAD, envelope
 * hash, one wrap per device), open (stanza search, unwrap, body AEAD), the chain-head lookup
 * that picks the sender keys an envelope is checked against, the check before each push that
 * an outbox envelope still wraps to the current devices (and its re-seal), and the wrapped
 * keys' bytes on the wire and on disk (its frame is plainFrame.ts with one empty stanza).
 *
 * Not a general replica: no deletes, no held envelopes, no grants; the bench writes new records only.
 */
import type { HttpClient } from '../src/client/httpClient.js';
import { sealRandom } from '../src/crypto/random.js';
import type { Account } from '../src/enrollment/account.js';
import type { CollectionOptions } from '../src/sync/collection.js';
import { Emitter } from '../src/sync/emitter.js';
import type { LocalRecord, LocalStore } from '../src/sync/localStore.js';
import { bodyFromWire, bodyToWire, type RecordBody } from '../src/sync/recordBody.js';
import { nextRevision } from '../src/sync/version.js';
import { plainFrame, readPlainFrame } from './plainFrame.js';

const DAY_MS = 86_400_000;
const PAGE = 500;
const CURSOR_KEY = 'sync/cursor';
const SEQUENCE_KEY = 'sync/sequence';

function writeUint(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, n);
  return out;
}

/** A plaintext twin of `Replica` for one collection. */
export class PlainReplica<T> {
  readonly #events = new Emitter<{ change: { collection: string; id: Uint8Array; deleted: boolean; origin: 'local' | 'remote' } }>();
  #cursor = 0;
  #sequence = 0;

  constructor(
    private readonly account: Account<HttpClient>,
    private readonly store: LocalStore,
    private readonly collection: string,
    private readonly options: CollectionOptions<T>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Stores a new record and queues its plaintext frame. */
  async put(value: T): Promise<Uint8Array> {
    const checked = this.options.validate === undefined ? value : this.options.validate(value);
    const now = this.clock();
    const recordId = sealRandom(16);
    const revision = nextRevision(null);
    const sortTime = this.options.sortTime?.(checked) ?? now;
    const retention = this.options.retentionDays;
    const expiresAt = retention === undefined ? null : sortTime + retention * DAY_MS;
    const record: LocalRecord = {
      collection: this.collection,
      recordId,
      revision,
      sender: this.account.device.id,
      deleted: false,
      value: checked,
      sortTime,
      expiresAt,
    };
    const body: RecordBody = { collection: this.collection, sortTime, value: checked };
    if (expiresAt !== null) body.expiresAt = expiresAt;
    const bytes = plainFrame(
      {
        kind: 'record',
        recordId,
        revision,
        sender: this.account.device.id,
        sequence: await this.#nextSequence(),
        chainHead: this.account.chain.state.head,
        expiryDay: retention === undefined ? 0 : Math.floor(now / DAY_MS) + retention + 1,
      },
      bodyToWire(body),
      1,
    );
    await this.store.applyLocal(record, { recordId, bytes });
    this.#events.emit('change', { collection: this.collection, id: recordId, deleted: false, origin: 'local' });
    return recordId;
  }

  /** Pushes the outbox, pulls everything new, expires; returns how many records it applied. */
  async sync(): Promise<number> {
    const transport = this.account.transport;
    await this.account.chain.refresh(transport);
    for (;;) {
      const items = await this.store.outboxPeek(PAGE);
      if (items.length === 0) break;
      await transport.push(items.map((i) => i.bytes));
      await this.store.outboxAck(items.map((i) => i.id));
    }
    let appliedCount = 0;
    for (;;) {
      const page = await transport.pull(this.#cursor, PAGE);
      const records: LocalRecord[] = page.envelopes.map((bytes) => {
        const { parsed, value } = readPlainFrame(bytes);
        const body = bodyFromWire(value);
        return {
          collection: body.collection,
          recordId: parsed.recordId.slice(),
          revision: parsed.revision,
          sender: parsed.sender.slice(),
          deleted: parsed.kind === 'tombstone',
          value: body.value ?? null,
          sortTime: body.sortTime,
          expiresAt: body.expiresAt ?? null,
        };
      });
      const applied = await this.store.applyRemote(records, CURSOR_KEY, writeUint(page.cursor));
      this.#cursor = page.cursor;
      records.forEach((r, i) => {
        if (!applied[i]) return;
        appliedCount++;
        this.#events.emit('change', { collection: r.collection, id: r.recordId, deleted: r.deleted, origin: 'remote' });
      });
      if (!page.more) break;
    }
    await this.store.expire(this.clock());
    return appliedCount;
  }

  async #nextSequence(): Promise<number> {
    const next = this.#sequence + 1;
    await this.store.setMeta(SEQUENCE_KEY, writeUint(next));
    this.#sequence = next;
    return next;
  }
}
