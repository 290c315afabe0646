/**
 * One account's state inside `MemoryStore`: its chain, its envelopes by record id, and a log
 * of envelopes in cursor order so a pull costs O(log n + page) rather than a scan.
 */
import type { ChainEntryRow, StoredEnvelope } from './store.js';

interface LogSlot {
  readonly envelope: StoredEnvelope;
  live: boolean;
}

/** Mutable state of one account; `MemoryStore` keeps every call atomic around it. */
export class MemoryAccount {
  readonly chain: ChainEntryRow[];
  private readonly byRecord = new Map<string, LogSlot>();
  /** Slots in increasing cursor order; replaced or collected envelopes stay as dead slots. */
  private log: LogSlot[] = [];
  private dead = 0;
  /** Sum of live envelope sizes. */
  bytes = 0;

  constructor(genesis: ChainEntryRow) {
    this.chain = [genesis];
  }

  /** Number of live envelopes. */
  get envelopeCount(): number {
    return this.byRecord.size;
  }

  /** The live envelope of a record, if any. */
  get(recordHex: string): StoredEnvelope | undefined {
    return this.byRecord.get(recordHex)?.envelope;
  }

  /** Stores `envelope`, whose cursor must exceed every cursor in the log, replacing the record's old version. */
  put(recordHex: string, envelope: StoredEnvelope): void {
    this.remove(recordHex);
    const slot = { envelope, live: true };
    this.byRecord.set(recordHex, slot);
    this.log.push(slot);
    this.bytes += envelope.bytes.length;
  }

  /** Drops the record's envelope, if any; compacts the log when it is mostly dead. */
  remove(recordHex: string): void {
    const slot = this.byRecord.get(recordHex);
    if (slot === undefined) return;
    slot.live = false;
    this.byRecord.delete(recordHex);
    this.bytes -= slot.envelope.bytes.length;
    this.dead += 1;
    if (this.dead > 1024 && this.dead * 2 > this.log.length) {
      this.log = this.log.filter((s) => s.live);
      this.dead = 0;
    }
  }

  /** Up to `limit` + 1 live envelopes with cursor > `after`, in cursor order. */
  after(after: number, limit: number): StoredEnvelope[] {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.log[mid] as LogSlot).envelope.cursor <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredEnvelope[] = [];
    for (let i = lo; i < this.log.length && out.length <= limit; i += 1) {
      const slot = this.log[i] as LogSlot;
      if (slot.live) out.push(slot.envelope);
    }
    return out;
  }

  /** Removes envelopes with 0 < expiryDay < today; returns how many. */
  collectExpired(today: number): number {
    let count = 0;
    for (const [recordHex, slot] of [...this.byRecord]) {
      const day = slot.envelope.expiryDay;
      if (day > 0 && day < today) {
        this.remove(recordHex);
        count += 1;
      }
    }
    return count;
  }
}
