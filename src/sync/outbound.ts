/**
 * The sending side of sync. Writes wait in the outbox unsealed; a push seals them for the
 * devices that are recipients at that moment, under the pair keys current then, and logs them
 * in one signed checkpoint at the next position of this device's log. The same checkpoint
 * carries the device's key business: the statement of a new epoch when it rolls, and the
 * ciphertexts of the pair keys it establishes.
 *
 * Crash safety: before anything goes to the server, the key ring (with any new epoch secret and
 * pair keys) and the whole batch (checkpoint and envelopes) are stored; a restart sends that
 * batch again, byte for byte (the server takes a byte-identical checkpoint at its position as a
 * duplicate), before anything new. The outbox items, the pushed content keys, the log head and
 * the ring's "published" marks commit together when the server has it all.
 */
import { MultikeySyncError, RemoteError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import { decodeValue, encodeCanonical, encodeValue } from '../core/cbor.js';
import type { Device } from '../core/device.js';
import { decodeCheckpoint, NO_PREVIOUS, signCheckpoint, verifyCheckpointSignature, type Claim, type Purge, type SeenHead } from '../core/logCheckpoint.js';
import { sealEnvelope, type SealRecipient } from '../core/seal.js';
import { BODY_LIMITS } from './collectionLimits.js';
import { fromHex } from '../crypto/bytes.js';
import type { ChainDevice, ChainState } from '../enrollment/chainState.js';
import { XWING_SEED_BYTES } from '../crypto/xwingSizes.js';
import { VAULT_KEYS } from './deviceVault.js';
import type { KeyRing } from './keyRing.js';
import type { LocalStore, PushedKey } from './localStore.js';
import type { LogHeads } from './logHeads.js';
import { decodeOutboxWrite, type OutboxWrite } from './outboxItem.js';
import { sealingDevices } from './writers.js';

const DAY_MS = 86_400_000;
/** Writes per push: the server's batch maximum. */
export const PUSH_BATCH = 1000;
/** Bytes of envelopes per push, under the server's 16 MiB body limit. */
export const PUSH_BATCH_BYTES = 8 * 1024 * 1024;
/** Meta keys of the sending side. */
export const OUTBOUND_KEYS = { ring: VAULT_KEYS.ring, ownLog: 'sync/own-log', pending: 'sync/pending-push' } as const;
const NONE = Uint8Array.of(0);

/** Epoch timing. */
export interface EpochPolicy {
  /** A device begins a new epoch this long after its current one began (default 7 days). */
  readonly epochMs: number;
  /**
   * How long an ended epoch's secret is kept for senders that had not seen the next one, and
   * how much longer than `epochMs` a peer's newest statement may be before the peer is treated
   * as away (default 14 days).
   */
  readonly graceMs: number;
}

/** The default epoch timing: a week, with two weeks' grace. */
export const DEFAULT_EPOCH_POLICY: EpochPolicy = { epochMs: 7 * DAY_MS, graceMs: 14 * DAY_MS };

/** The server calls the sending side needs. */
export interface OutboundTransport {
  push(envelopes: readonly Uint8Array[], log: Uint8Array): Promise<unknown>;
  purge(log: Uint8Array): Promise<number>;
  /** This device's newest checkpoint on the server, or null. */
  logHead(device: Uint8Array): Promise<Uint8Array | null>;
}

/** What the sending side needs from the replica. */
export interface OutboundHost {
  device(): Device;
  readonly accountId: Uint8Array;
  chainState(): ChainState;
  readonly store: LocalStore;
  readonly ring: KeyRing;
  readonly heads: LogHeads;
  readonly transport: OutboundTransport;
  readonly policy: EpochPolicy;
  clock(): number;
  random(length: number): Uint8Array;
  /** When the chain entry that listed `device` (with its epoch-0 statement) was signed. */
  listedAt(device: ChainDevice): number;
}

/** A write sent at once rather than queued: a grant bundle, sealed for one device. */
export interface DirectWrite {
  readonly write: OutboxWrite;
  /** The only recipient. */
  readonly to: Uint8Array;
}

interface Batch {
  position: number;
  hash: Uint8Array;
  checkpoint: Uint8Array;
  envelopes: Uint8Array[];
  ids: number[];
  keys: PushedKey[];
  purge: boolean;
}

/** This device's own log head, as the server acknowledged it. */
export interface OwnHead {
  readonly position: number;
  readonly hash: Uint8Array;
}

/** Pushes, purges and direct sends, each as one logged batch. */
export class Outbound {
  readonly #host: OutboundHost;

  constructor(host: OutboundHost) {
    this.#host = host;
  }

  /**
   * Finishes a batch a crash interrupted, then pushes the outbox in batches, rolling the epoch
   * or publishing pair keys even when there is nothing to write. Returns how many envelopes
   * were pushed.
   * @throws {RemoteError} from the server; StorageError codes of the local store.
   */
  async push(options: { historyRequest?: Uint8Array } = {}): Promise<number> {
    let pushed = await this.#resume();
    let request = options.historyRequest;
    for (;;) {
      const items = await this.#host.store.outboxPeek(PUSH_BATCH);
      const writes: { id: number; write: OutboxWrite }[] = [];
      let bytes = 0;
      for (const item of items) {
        if (writes.length > 0 && bytes + item.bytes.length > PUSH_BATCH_BYTES) break;
        writes.push({ id: item.id, write: decodeOutboxWrite(item.bytes) });
        bytes += item.bytes.length;
      }
      const rolling = this.#rollDue();
      if (writes.length === 0 && !rolling && request === undefined && !this.#keysPending()) return pushed;
      const batch = await this.#build(writes.map((w) => ({ ...w, to: undefined })), [], rolling, request);
      pushed += await this.#send(batch);
      request = undefined;
      if (writes.length === 0) return pushed;
    }
  }

  /**
   * Seals and logs `writes` (each for its one recipient) at once, outside the outbox.
   * @throws {RemoteError}; StorageError codes.
   */
  async sendDirect(writes: readonly DirectWrite[]): Promise<number> {
    let sent = await this.#resume();
    for (let i = 0; i < writes.length; i += PUSH_BATCH) {
      const slice = writes.slice(i, i + PUSH_BATCH).map((w) => ({ id: undefined, write: w.write, to: w.to }));
      sent += await this.#send(await this.#build(slice, [], false, undefined));
    }
    return sent;
  }

  /**
   * Logs a purge ("delete the server's copy") and has the server apply it; returns how many
   * envelopes it deleted.
   * @throws {RemoteError}; StorageError codes.
   */
  async purge(purges: readonly Purge[]): Promise<number> {
    await this.#resume();
    let deleted = 0;
    for (let i = 0; i < purges.length; i += PUSH_BATCH) {
      const batch = await this.#build([], purges.slice(i, i + PUSH_BATCH), false, undefined);
      deleted += await this.#send(batch);
    }
    return deleted;
  }

  /** This device's log head as last acknowledged. */
  async ownHead(): Promise<OwnHead> {
    const bytes = await this.#host.store.getMeta(OUTBOUND_KEYS.ownLog);
    if (bytes === null || bytes.length === 1) return { position: 0, hash: NO_PREVIOUS };
    const o = decodeValue(bytes) as { p: number; h: Uint8Array };
    return { position: o.p, hash: o.h };
  }

  /**
   * Ends epochs whose grace is over: their secrets and the keys derived from them are deleted.
   * So is the secret of a card rotated away more than a grace period ago.
   */
  forgetEnded(): boolean {
    const { device, ring, policy } = { device: this.#host.device(), ring: this.#host.ring, policy: this.#host.policy };
    const now = this.#host.clock();
    let changed = false;
    for (const e of device.epochs.all()) {
      if (e.endedAt === undefined || e.endedAt + policy.graceMs > now) continue;
      ring.dropReceivedForEpoch(e.epoch);
      device.epochs.forget(e.epoch);
      changed = true;
    }
    for (const r of device.retiredCards()) {
      if (r.retiredAt + policy.graceMs > now) continue;
      changed = device.forgetRetiredCard(r.card) || changed;
    }
    return changed;
  }

  #rollDue(): boolean {
    const { device, ring, policy } = { device: this.#host.device(), ring: this.#host.ring, policy: this.#host.policy };
    const current = device.epochs.current;
    // A device restored without its key ring has no epoch: it begins one (and its peers
    // establish new keys toward it).
    if (current === undefined) return true;
    if (current.epoch > ring.publishedEpoch) return false; // the current one is not even published yet
    return ring.rollRequested || current.startedAt + policy.epochMs <= this.#host.clock();
  }

  #keysPending(): boolean {
    const device = this.#host.device();
    return this.#host.ring.unpublished().length > 0 || (device.epochs.current?.epoch ?? 0) > this.#host.ring.publishedEpoch;
  }

  async #build(
    writes: readonly { id: number | undefined; write: OutboxWrite; to: Uint8Array | undefined }[],
    purges: readonly Purge[],
    rolling: boolean,
    historyRequest: Uint8Array | undefined,
  ): Promise<Batch> {
    const host = this.#host;
    const device = host.device();
    const now = host.clock();
    if (rolling) {
      const seed = host.random(XWING_SEED_BYTES);
      device.epochs.begin(device, seed, now);
      seed.fill(0);
      host.ring.rollRequested = false;
    }
    const head = await this.ownHead();
    const position = head.position + 1;
    const everyone = this.#recipients(device, position, now);
    const claims: Claim[] = [];
    const envelopes: Uint8Array[] = [];
    const keys: PushedKey[] = [];
    const ids: number[] = [];
    for (const { id, write, to } of writes) {
      const recipients = to === undefined ? everyone : everyone.filter((r) => equalBytes(r.card.id, to));
      if (recipients.length === 0) continue; // the one recipient left the account meanwhile
      const expiryDay = write.retentionDays === undefined ? 0 : Math.floor(now / DAY_MS) + write.retentionDays + 1;
      const sealed = sealEnvelope(device, host.accountId, recipients, {
        body: write.body,
        kind: write.kind,
        recordId: write.recordId,
        revision: write.revision,
        expiryDay,
      }, { cborLimits: BODY_LIMITS });
      claims.push({ recordId: sealed.recordId, revision: write.revision, kind: write.kind, expiryDay, hash: sealed.hash });
      envelopes.push(sealed.bytes);
      if (id !== undefined) {
        ids.push(id);
        keys.push({ collection: write.collection, recordId: sealed.recordId, revision: write.revision, sender: device.id, contentKey: sealed.contentKey, envelopeHash: sealed.hash });
      } else sealed.contentKey.fill(0);
    }
    const current = device.epochs.current!;
    const checkpoint = signCheckpoint(device, host.accountId, {
      sender: device.id,
      position,
      prev: head.hash,
      chainHead: host.chainState().head,
      time: now,
      claims,
      purges,
      pairKeys: host.ring.unpublished().map((k) => ({ recipient: k.recipient, epoch: k.recipientEpoch, ciphertext: k.ciphertext })),
      seen: this.#seen(device),
      ...(current.epoch > host.ring.publishedEpoch ? { statement: current.statement.bytes } : {}),
      ...(historyRequest === undefined ? {} : { historyRequest }),
    });
    const batch: Batch = { position, hash: checkpoint.hash, checkpoint: checkpoint.bytes, envelopes, ids, keys, purge: purges.length > 0 };
    // The ring goes first: the server must never hold a key statement or ciphertext whose
    // secret this device could lose in a crash.
    await host.store.setMeta(OUTBOUND_KEYS.ring, host.ring.seal(device));
    await host.store.setMeta(OUTBOUND_KEYS.pending, encodeBatch(batch));
    return batch;
  }

  /** The devices to seal for now, each with the pair key to use (new ones get `position` as ref). */
  #recipients(device: Device, position: number, now: number): SealRecipient[] {
    const { ring, policy } = this.#host;
    const state = this.#host.chainState();
    const out: SealRecipient[] = [];
    for (const d of sealingDevices(state, now)) {
      const self = equalBytes(d.card.id, device.id);
      const statement = self ? device.epochs.current!.statement : (ring.statementOf(d.card.id)?.statement ?? d.keyStatement);
      if (!self && d.role === 'device') {
        // A peer whose newest statement is older than an epoch and its grace is away: it gets
        // what it missed by a history handoff when it returns, not under a key left unrolled.
        const at = ring.statementOf(d.card.id)?.at ?? this.#host.listedAt(d);
        if (at + policy.epochMs + policy.graceMs < now) continue;
      }
      out.push(ring.sendKey(device, self ? device.public : d.card, statement, position));
    }
    return out;
  }

  #seen(device: Device): SeenHead[] {
    const out: SeenHead[] = [];
    for (const [hex, head] of this.#host.heads.all()) {
      const id = fromHex(hex);
      if (!equalBytes(id, device.id)) out.push({ device: id, position: head.position, hash: head.hash });
    }
    return out;
  }

  /** Sends a stored batch again after a restart, if there is one. */
  async #resume(): Promise<number> {
    const bytes = await this.#host.store.getMeta(OUTBOUND_KEYS.pending);
    if (bytes === null || bytes.length === 1) return 0;
    return this.#send(decodeBatch(bytes));
  }

  async #send(batch: Batch): Promise<number> {
    const host = this.#host;
    let result: number;
    try {
      if (batch.purge) result = await host.transport.purge(batch.checkpoint);
      else {
        await host.transport.push(batch.envelopes, batch.checkpoint);
        result = batch.envelopes.length;
      }
    } catch (error) {
      if (error instanceof RemoteError && error.code === 'LOG_CONFLICT') {
        await this.#adoptServerHead(batch);
        return 0;
      }
      throw error;
    }
    host.ring.markPublished(batch.position);
    const device = host.device();
    host.ring.publishedEpoch = Math.max(host.ring.publishedEpoch, device.epochs.current?.epoch ?? 0);
    await host.store.outboxAck(batch.ids, {
      keys: batch.keys,
      meta: [
        [OUTBOUND_KEYS.ring, host.ring.seal(device)],
        [OUTBOUND_KEYS.ownLog, encodeCanonical({ p: batch.position, h: batch.hash })],
        [OUTBOUND_KEYS.pending, NONE],
      ],
    });
    return result;
  }

  /**
   * The server holds another checkpoint at this position (this device lost its own record of a
   * push, e.g. restored from an older copy): take the server's head if it is this device's own
   * signature, drop the batch (its writes stay queued) and the pair keys that pointed at it.
   */
  async #adoptServerHead(batch: Batch): Promise<void> {
    const host = this.#host;
    const device = host.device();
    const bytes = await host.transport.logHead(device.id);
    if (bytes === null) throw new MultikeySyncError('LOG_CONFLICT', 'the server refused this device\'s checkpoint but shows no log for it');
    const head = decodeCheckpoint(device.suite, host.accountId, bytes);
    verifyCheckpointSignature(device.suite, host.accountId, head, device.public.identityKey);
    if (!equalBytes(head.sender, device.id) || head.position < batch.position - 1) {
      throw new MultikeySyncError('LOG_CONFLICT', 'the server shows a log head for this device that this device did not write');
    }
    host.ring.dropUnpublished();
    await host.store.outboxAck([], {
      meta: [
        [OUTBOUND_KEYS.ring, host.ring.seal(device)],
        [OUTBOUND_KEYS.ownLog, encodeCanonical({ p: head.position, h: head.hash })],
        [OUTBOUND_KEYS.pending, NONE],
      ],
    });
  }
}

/** Bounds for a stored batch: this device's own state, up to a push's worth of envelopes. */
const BATCH_LIMITS = { maxBytes: 64 * 1024 * 1024, maxItems: 100_000, maxStringBytes: 16 * 1024 * 1024, maxDepth: 4 };

function encodeBatch(b: Batch): Uint8Array {
  return encodeValue({
    p: b.position,
    h: b.hash,
    c: b.checkpoint,
    e: b.envelopes,
    i: b.ids,
    g: b.purge,
    k: b.keys.map((k) => ({ c: k.collection, r: k.recordId, n: k.revision, s: k.sender, k: k.contentKey, h: k.envelopeHash })),
  }, BATCH_LIMITS);
}

function decodeBatch(bytes: Uint8Array): Batch {
  const o = decodeValue(bytes, BATCH_LIMITS) as Record<string, unknown>;
  return {
    position: o.p as number,
    hash: o.h as Uint8Array,
    checkpoint: o.c as Uint8Array,
    envelopes: o.e as Uint8Array[],
    ids: o.i as number[],
    purge: o.g === true,
    keys: (o.k as Record<string, unknown>[]).map((k) => ({
      collection: k.c as string,
      recordId: k.r as Uint8Array,
      revision: k.n as number,
      sender: k.s as Uint8Array,
      contentKey: k.k as Uint8Array,
      envelopeHash: k.h as Uint8Array,
    })),
  };
}
