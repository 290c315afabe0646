/**
 * The plaintext twin of `Replica` for the e2e section's "encryption off" and the sync section's
 * replica pull: the library has no such switch, so this is `Replica`'s write and sync path
 * rebuilt from the same parts with the crypto taken out. It keeps, step for step: the
 * collection's validation and sort time, a revision per write, one `applyLocal` (record + outbox
 * item) per write on the same `LocalStore`, the chain refresh that opens every sync round, the
 * outbox pushed in batches of 1,000 through the same `HttpClient`, pulls of 1,000 per page,
 * `bodyFromWire` and one `applyRemote` (records + cursor) per page, change events, and `expire`
 * at the end of the round.
 *
 * It leaves out what only exists because of encryption and the reader's checks on writers:
 * seal (content key, key commitment, body AEAD, H, one wrap per device) and the pair keys it
 * needs, open (stanza search, H, unwrap, commitment check, body AEAD), the key ring and epochs,
 * verifying the senders' log checkpoints and checking each envelope against its claim, the
 * version index that notices withheld records, and the wrapped keys' bytes on the wire and on
 * disk (its frame is plainFrame.ts with one empty stanza). One thing it cannot leave out: the
 * server takes a push only with a signed checkpoint claiming its envelopes, so each push
 * carries one (`plainLog`: H of each frame and one signature per batch) and the pull brings it
 * back; the reader skips it unread.
 *
 * Not a general replica: no deletes, no held envelopes, no grants; the bench writes new records only.
 */
import type { HttpClient } from '../src/client/httpClient.js';
import { isCheckpoint, NO_PREVIOUS } from '../src/core/logCheckpoint.js';
import { sealRandom } from '../src/crypto/random.js';
import type { Account } from '../src/enrollment/account.js';
import type { CollectionOptions } from '../src/sync/collection.js';
import { Emitter } from '../src/sync/emitter.js';
import { HybridClock } from '../src/sync/hlc.js';
import type { LocalRecord, LocalStore } from '../src/sync/localStore.js';
import { bodyFromWire, bodyToWire, type RecordBody } from '../src/sync/recordBody.js';
import { nextRevision } from '../src/sync/version.js';
import { plainFrame, plainLog, readPlainFrame } from './plainFrame.js';

const DAY_MS = 86_400_000;
/** Envelopes per push and items per pull page, as `Replica`. */
const PAGE = 1000;
const CURSOR_KEY = 'sync/cursor';

function writeUint(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, n);
  return out;
}

/** This device's log head on the server (kept in memory: the twin lives for one bench run). */
interface OwnHead {
  position: number;
  hash: Uint8Array;
}

/** A plaintext twin of `Replica` for one collection. */
export class PlainReplica<T> {
  readonly #events = new Emitter<{ change: { collection: string; id: Uint8Array; deleted: boolean; origin: 'local' | 'remote'; value: unknown } }>();
  #cursor = 0;
  #head: OwnHead = { position: 0, hash: NO_PREVIOUS };
  readonly #hlc = HybridClock.fromBytes(null);

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
      // The same clock a sealed write carries (hlc.ts), so both bodies and rows are alike.
      clock: this.#hlc.stamp(now, null),
      base: null,
    };
    const body: RecordBody = { collection: this.collection, sortTime, value: checked, clock: record.clock };
    if (expiresAt !== null) body.expiresAt = expiresAt;
    const bytes = plainFrame(
      {
        kind: 'record',
        recordId,
        revision,
        sender: this.account.device.id,
        expiryDay: retention === undefined ? 0 : Math.floor(now / DAY_MS) + retention + 1,
      },
      bodyToWire(body),
      1,
    );
    await this.store.applyLocal(record, { recordId, bytes });
    this.#events.emit('change', { collection: this.collection, id: recordId, deleted: false, origin: 'local', value: record.value });
    return recordId;
  }

  /** Pushes the outbox, pulls everything new, expires; returns how many records it applied. */
  async sync(): Promise<number> {
    const transport = this.account.transport;
    await this.account.chain.refresh(transport);
    for (;;) {
      const items = await this.store.outboxPeek(PAGE);
      if (items.length === 0) break;
      const frames = items.map((i) => i.bytes);
      const device = this.account.device;
      const log = plainLog(device, this.account.accountId, this.account.chain.state.head, this.#head.position + 1, this.#head.hash, frames);
      await transport.push(frames, log.bytes);
      this.#head = { position: log.position, hash: log.hash };
      await this.store.outboxAck(items.map((i) => i.id));
    }
    let appliedCount = 0;
    for (;;) {
      const page = await transport.pull(this.#cursor, PAGE);
      const records: LocalRecord[] = page.items.filter((bytes) => !isCheckpoint(bytes)).map((bytes) => {
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
          clock: body.clock!,
          base: body.base ?? null,
        };
      });
      const applied = await this.store.applyRemote(records, CURSOR_KEY, writeUint(page.cursor));
      this.#cursor = page.cursor;
      records.forEach((r, i) => {
        if (!applied[i]) return;
        appliedCount++;
        this.#events.emit('change', { collection: r.collection, id: r.recordId, deleted: r.deleted, origin: 'remote', value: r.value });
      });
      if (!page.more) break;
    }
    await this.store.expire(this.clock());
    return appliedCount;
  }
}
