/**
 * One account's state inside `MemoryStore`: its chain, its envelopes by record id, its
 * devices' log heads and checkpoints, and the cursor stream (envelopes and checkpoints in
 * cursor order) so a pull costs O(log n + page) rather than a scan.
 */
import type { HeadKey } from './logRules.js';
import type { ChainEntryRow, StoredCheckpoint, StoredEnvelope, StoredItem } from './store.js';

interface StreamSlot {
  readonly item: StoredItem;
  live: boolean;
}

/** A device's log head, with the key of its checkpoint. */
interface MemoryHead extends HeadKey {
  readonly checkpoint: StoredCheckpoint;
}

function checkpointKey(deviceHex: string, position: number): string {
  return `${deviceHex}:${position}`;
}

/** Mutable state of one account; `MemoryStore` keeps every call atomic around it. */
export class MemoryAccount {
  readonly chain: ChainEntryRow[];
  private readonly byRecord = new Map<string, StreamSlot>();
  /** Checkpoints by `device hex:position`; they are never removed. */
  private readonly checkpoints = new Map<string, StoredCheckpoint>();
  private readonly heads = new Map<string, MemoryHead>();
  /** Slots in increasing cursor order; replaced or collected envelopes stay as dead slots. */
  private stream: StreamSlot[] = [];
  private dead = 0;
  /** Sum of live envelope and checkpoint sizes. */
  bytes = 0;

  constructor(genesis: ChainEntryRow) {
    this.chain = [genesis];
  }

  /** Number of live envelopes and checkpoints. */
  get itemCount(): number {
    return this.byRecord.size + this.checkpoints.size;
  }

  /** The live envelope of a record, if any. */
  get(recordHex: string): StoredEnvelope | undefined {
    return this.byRecord.get(recordHex)?.item as StoredEnvelope | undefined;
  }

  /** Stores `envelope`, whose cursor must exceed every cursor in the stream, replacing the record's old version. */
  put(recordHex: string, envelope: StoredEnvelope): void {
    this.remove(recordHex);
    const slot = { item: envelope, live: true };
    this.byRecord.set(recordHex, slot);
    this.stream.push(slot);
    this.bytes += envelope.bytes.length;
  }

  /** The device's log head, if it has a checkpoint. */
  head(deviceHex: string): MemoryHead | undefined {
    return this.heads.get(deviceHex);
  }

  /** The checkpoint at `position` of the device's log, if stored. */
  checkpointAt(deviceHex: string, position: number): StoredCheckpoint | undefined {
    return this.checkpoints.get(checkpointKey(deviceHex, position));
  }

  /** Stores `checkpoint` (cursor above every cursor in the stream) as the device's new head. */
  appendCheckpoint(deviceHex: string, checkpoint: StoredCheckpoint, hash: Uint8Array): void {
    this.checkpoints.set(checkpointKey(deviceHex, checkpoint.position), checkpoint);
    this.heads.set(deviceHex, { position: checkpoint.position, hash, checkpoint });
    this.stream.push({ item: checkpoint, live: true });
    this.bytes += checkpoint.bytes.length;
  }

  /** Drops the record's envelope, if any; compacts the stream when it is mostly dead. */
  remove(recordHex: string): void {
    const slot = this.byRecord.get(recordHex);
    if (slot === undefined) return;
    slot.live = false;
    this.byRecord.delete(recordHex);
    this.bytes -= slot.item.bytes.length;
    this.dead += 1;
    if (this.dead > 1024 && this.dead * 2 > this.stream.length) {
      this.stream = this.stream.filter((s) => s.live);
      this.dead = 0;
    }
  }

  /** Up to `limit` + 1 live items with cursor > `after`, in cursor order. */
  after(after: number, limit: number): StoredItem[] {
    let lo = 0;
    let hi = this.stream.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.stream[mid] as StreamSlot).item.cursor <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredItem[] = [];
    for (let i = lo; i < this.stream.length && out.length <= limit; i += 1) {
      const slot = this.stream[i] as StreamSlot;
      if (slot.live) out.push(slot.item);
    }
    return out;
  }

  /** Removes envelopes with 0 < expiryDay < today; returns how many. Checkpoints never expire. */
  collectExpired(today: number): number {
    let count = 0;
    for (const [recordHex, slot] of [...this.byRecord]) {
      const day = (slot.item as StoredEnvelope).expiryDay;
      if (day > 0 && day < today) {
        this.remove(recordHex);
        count += 1;
      }
    }
    return count;
  }
}
