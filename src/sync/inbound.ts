/**
 * The receiving side of sync: one pulled page of checkpoints and envelopes, in the server's
 * order, turned into what this device stores. Nothing counts because the server sent it:
 *
 * - A checkpoint counts only if the device chain authorises its sender at its position
 *   (writers.ts), its signature verifies under the sender's identity key, and it extends the
 *   sender's log by one (a gap or a fork is reported). It brings the sender's claims, purges,
 *   next key statement, and the pair keys it established toward this device.
 * - An envelope counts only if its hash is the one its sender's log claims for that version,
 *   and it opens with the newest pair key its sender established toward this device. One that
 *   is not for this device (sealed before it joined, or while it was skipped, or a grant bundle
 *   for another device) is held: a history grant may open it later. A key its sender made for
 *   a card this device has since rotated away (the checkpoint offering it names a chain head
 *   from before the rotation: the sender had not seen it) is derived with that card, whose
 *   secret the device keeps for a grace period; past it, what is sealed under that key is
 *   held too, and no alarm is raised: nothing was altered.
 * - Held envelopes and opened grant bundles tell the replica whether to ask for history
 *   (historyWanted.ts).
 *
 * What fails is reported ("log and ignore") and skipped; a fork alarm stops the pull. What is
 * claimed but never delivered is found at the end of the pull by the version index.
 */
import { isMultikeySyncError, MultikeySyncError } from '../errors.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { Device } from '../core/device.js';
import type { DevicePublic } from '../core/devicePublic.js';
import { parseEnvelope, stanzaRef, type ParsedEnvelope } from '../core/envelopeFormat.js';
import { envelopeHash } from '../core/envelopeHash.js';
import { grantParts, openWithGrantKeepingKey } from '../core/grant.js';
import { decodeKeyStatement, verifyKeyStatement } from '../core/keyStatement.js';
import { decodeCheckpoint, isCheckpoint, verifyCheckpointSignature, type Checkpoint, type SeenHead } from '../core/logCheckpoint.js';
import { findStanza, openParsed, type OpenedEnvelope, type PairKeyLookup } from '../core/open.js';
import { cardAtPosition, type ChainState } from '../enrollment/chainState.js';
import type { HistoryWanted } from './historyWanted.js';
import type { KeyRing } from './keyRing.js';
import type { LocalRecord, LocalStore } from './localStore.js';
import type { LogHeads, LogIssue } from './logHeads.js';
import { BODY_LIMITS } from './collectionLimits.js';
import { bodyFromWire, GRANTS_COLLECTION, type RecordBody } from './recordBody.js';
import { compareVersions } from './version.js';
import type { IndexBatch } from './versionIndex.js';
import { authorise, chainDevice, chainStatement } from './writers.js';

/** An envelope kept until a grant opens it. */
export interface HeldEnvelope {
  recordId: Uint8Array;
  bytes: Uint8Array;
}

/** A refused item, as the replica's `rejected` event reports it. */
export interface Rejection {
  code: string;
  message: string;
  recordId?: Uint8Array;
  /** The device that wrote (or is named as writing) the refused item. */
  sender?: Uint8Array;
}

/** A device that reads alongside this one (the recovery pseudo-device, after a recovery). */
export interface ExtraReader {
  readonly device: Device;
  readonly ring: KeyRing;
}

/** What the inbound side needs from the replica. */
export interface InboundHost {
  device(): Device;
  readonly accountId: Uint8Array;
  chainState(): ChainState;
  /** Makes sure `head` is in the verified chain (refreshing it); throws `FORK_ALARM` if it cannot be. */
  checkHead(head: Uint8Array): Promise<void>;
  readonly store: LocalStore;
  readonly ring: KeyRing;
  readonly readers: readonly ExtraReader[];
  readonly heads: LogHeads;
  /** Held envelopes no hand-off has covered (updated here; the next push asks when any). */
  readonly wanted: HistoryWanted;
  /** The card device `id` had at the verified chain entry `head` (cardAtChainIndex.ts); undefined when either is unknown. */
  cardAt(id: Uint8Array, head: Uint8Array): DevicePublic | undefined;
  clock(): number;
}

/** What one page produced. */
export interface PageResult {
  records: LocalRecord[];
  held: HeldEnvelope[];
  issues: LogIssue[];
  /** Devices whose checkpoint asked this device to hand them the history, and how far they had seen this device's log then. */
  historyRequests: { from: Uint8Array; seenOfMine: number }[];
  rejected: number;
  /** The key ring changed (keys accepted, statements noted). */
  ringChanged: boolean;
}

/** Processes pulled pages. One instance per pull. */
export class Inbound {
  readonly #host: InboundHost;
  readonly #index: IndexBatch;
  readonly #reject: (rejection: Rejection) => void;
  /** Each sender's newest checkpoint in this pull: a grant bundle logged there covers what it had seen. */
  readonly #newest = new Map<string, { position: number; seen: readonly SeenHead[] }>();

  constructor(host: InboundHost, index: IndexBatch, reject: (rejection: Rejection) => void) {
    this.#host = host;
    this.#index = index;
    this.#reject = reject;
  }

  /**
   * Processes one page in order.
   * @throws {ForkAlarm} `FORK_ALARM`; StorageError codes of the local store.
   */
  async page(items: readonly Uint8Array[]): Promise<PageResult> {
    const result: PageResult = { records: [], held: [], issues: [], historyRequests: [], rejected: 0, ringChanged: false };
    const parsed: (Checkpoint | { envelope: ParsedEnvelope; bytes: Uint8Array } | null)[] = [];
    const ids: Uint8Array[] = [];
    for (const bytes of items) {
      try {
        if (isCheckpoint(bytes)) {
          const cp = decodeCheckpoint(this.#host.device().suite, this.#host.accountId, bytes);
          for (const c of cp.claims) ids.push(c.recordId);
          for (const p of cp.purges) ids.push(p.recordId);
          parsed.push(cp);
        } else {
          const envelope = parseEnvelope(bytes);
          ids.push(envelope.recordId);
          parsed.push({ envelope, bytes });
        }
      } catch (error) {
        this.#refuse(result, error);
        parsed.push(null);
      }
    }
    await this.#index.load(this.#host.store, ids);
    for (const item of parsed) {
      if (item === null) continue;
      try {
        if ('claims' in item) await this.#checkpoint(item, result);
        else await this.#envelope(item.envelope, item.bytes, result);
      } catch (error) {
        if (isMultikeySyncError(error, 'FORK_ALARM') || !(error instanceof MultikeySyncError)) throw error;
        this.#refuse(result, error, 'claims' in item ? { sender: item.sender } : { recordId: item.envelope.recordId, sender: item.envelope.sender });
      }
    }
    return result;
  }

  async #checkpoint(cp: Checkpoint, result: PageResult): Promise<void> {
    const host = this.#host;
    const me = host.device();
    await host.checkHead(cp.chainHead);
    const state = host.chainState();
    const auth = authorise(state, cp.sender, cp.position, host.clock());
    if (!auth.ok) {
      this.#refuse(result, new MultikeySyncError('LOG_UNAUTHORIZED', `a log checkpoint from a device that may not write there (${auth.reason})`), { sender: cp.sender });
      return;
    }
    verifyCheckpointSignature(me.suite, host.accountId, cp, auth.card.identityKey);
    if (auth.removed !== undefined && cp.position === auth.removed.cut.position && !equalBytes(cp.hash, auth.removed.cut.hash ?? new Uint8Array(32))) {
      result.issues.push({ device: cp.sender.slice(), kind: 'fork', position: cp.position });
      this.#refuse(result, new MultikeySyncError('LOG_FORKED', 'the checkpoint at a removed device\'s cut is not the one its removal names'), { sender: cp.sender });
      return;
    }
    const continuity = host.heads.continuity(cp);
    if (continuity === 'duplicate') return;
    if (continuity === 'fork') {
      result.issues.push({ device: cp.sender.slice(), kind: 'fork', position: cp.position });
      this.#refuse(result, new MultikeySyncError('LOG_FORKED', 'a second, different checkpoint at a log position already verified'), { sender: cp.sender });
      return;
    }
    if (continuity === 'gap') result.issues.push({ device: cp.sender.slice(), kind: 'gap', position: cp.position });
    result.issues.push(...host.heads.seenIssues(cp));
    if (cp.statement !== undefined) {
      const statement = verifyKeyStatement(me.suite, decodeKeyStatement(cp.statement), auth.card);
      const known = host.ring.statementOf(cp.sender)?.statement.epoch ?? chainStatement(state, cp.sender)?.epoch ?? 0;
      if (statement.epoch !== known + 1) {
        this.#refuse(result, new MultikeySyncError('KEY_STATEMENT_INVALID', `a key statement for epoch ${statement.epoch} after epoch ${known}`), { sender: cp.sender });
        return;
      }
      host.ring.noteStatement(cp.sender, statement, cp.time);
      result.ringChanged = true;
    }
    this.#newest.set(toHex(cp.sender), { position: cp.position, seen: cp.seen });
    for (const offer of cp.pairKeys) {
      const readers = [{ device: me, ring: host.ring }, ...host.readers];
      const reader = readers.find((r) => equalBytes(r.device.id, offer.recipient));
      if (reader === undefined) continue;
      // The sender made it for the card it saw on the chain at the head it names: an earlier
      // card of this reader when the sender had not yet seen the reader's rotation.
      const card = host.cardAt(reader.device.id, cp.chainHead) ?? reader.device.public;
      const current = equalBytes(card.encryptionKey, reader.device.public.encryptionKey);
      if (!current && !reader.device.keepsRetiredCard(card)) {
        // That card's secret is forgotten: no key here matches it. What is sealed under it is
        // held for a grant, without a tamper alarm (nothing was altered).
        reader.ring.markStale(cp.sender, offer.epoch, cp.position);
        result.ringChanged ||= reader.ring === host.ring;
        continue;
      }
      try {
        reader.ring.accept(reader.device, auth.card, offer.epoch, cp.position, offer.ciphertext, current ? undefined : card);
        result.ringChanged ||= reader.ring === host.ring;
      } catch (error) {
        if (!(error instanceof MultikeySyncError)) throw error;
        this.#refuse(result, error, { sender: cp.sender });
      }
    }
    for (const claim of cp.claims) {
      if (!this.#index.claim({ ...claim, sender: cp.sender.slice(), position: cp.position })) {
        this.#refuse(result, new MultikeySyncError('REVISION_JUMP', 'a claim jumps too far ahead of every known revision of its record'), { recordId: claim.recordId, sender: cp.sender });
      }
    }
    for (const purge of cp.purges) this.#index.purged(purge.recordId, purge.upToRevision);
    if (cp.historyRequest !== undefined && equalBytes(cp.historyRequest, me.id)) {
      const seenOfMine = cp.seen.find((h) => equalBytes(h.device, me.id))?.position ?? 0;
      result.historyRequests.push({ from: cp.sender.slice(), seenOfMine });
    }
    host.heads.advance(cp);
  }

  async #envelope(parsed: ParsedEnvelope, bytes: Uint8Array, result: PageResult): Promise<void> {
    const host = this.#host;
    const me = host.device();
    const entry = this.#index.entry(parsed.recordId);
    const claim = entry.claim;
    const hash = envelopeHash(me.suite, host.accountId, parsed.headerAndBody, parsed.stanzas);
    const logged = claim !== null && equalBytes(claim.sender, parsed.sender) && claim.revision === parsed.revision && equalBytes(claim.hash, hash);
    if (!logged) {
      // An older version than one already claimed was superseded meanwhile: nothing to do.
      if (claim !== null && compareVersions(parsed, claim) < 0) return;
      throw new MultikeySyncError('ENVELOPE_NOT_LOGGED', 'no verified log claims this envelope');
    }
    const auth = authorise(host.chainState(), parsed.sender, claim.position, host.clock());
    if (!auth.ok) throw new MultikeySyncError('LOG_UNAUTHORIZED', `an envelope logged where its sender may not write (${auth.reason})`);
    this.#index.received(parsed.recordId, parsed);
    // Only keys made under the card the sender had at this envelope's log position count: after
    // a rotation's cut, a key established with the old card writes nothing.
    const writer = chainDevice(host.chainState(), parsed.sender)!;
    const sameCard = (ref: number) => equalBytes(cardAtPosition(writer, ref).encryptionKey, cardAtPosition(writer, claim.position).encryptionKey);
    const opened = this.#open(me, host.ring, parsed, sameCard) ?? this.#openAsReader(parsed, sameCard);
    if (opened === 'unreadable' || opened === null) {
      // Sealed for one other device alone (a grant bundle for it): no grant will ever open it here.
      if (opened === null && parsed.recipientCount === 1 && !equalBytes(parsed.stanzas.subarray(0, 16), parsed.sender)) return;
      result.held.push({ recordId: parsed.recordId.slice(), bytes });
      host.wanted.held(parsed.sender, claim.position);
      return;
    }
    const body = bodyFromWire(opened.body);
    if (body.collection === GRANTS_COLLECTION) {
      opened.contentKey.fill(0);
      result.records.push(...(await this.#applyGrants(body.grants ?? [], result)));
      const checkpoint = this.#newest.get(toHex(parsed.sender));
      host.wanted.handedOver(parsed.sender, claim.position, checkpoint?.position === claim.position ? checkpoint.seen : []);
      return;
    }
    result.records.push(toLocalRecord(opened, body));
  }

  /**
   * Opens with `device`'s stanza under the newest key its sender established toward it; null
   * when the envelope is not for `device`; 'unreadable' when it is but does not open here
   * (reported, unless its key was made for a card `device` rotated away and has forgotten).
   */
  #open(device: Device, ring: KeyRing, parsed: ParsedEnvelope, sameCard: (ref: number) => boolean): (OpenedEnvelope & { contentKey: Uint8Array }) | null | 'unreadable' {
    // Only the newest key counts: a key its sender replaced seals nothing after the replacement.
    const newest: PairKeyLookup = { get: (sender, ref) => (ref === ring.newestFrom(sender) && sameCard(ref) ? ring.get(sender, ref) : undefined) };
    const stanza = findStanza(parsed.stanzas, device.id);
    if (stanza >= 0) {
      const ref = stanzaRef(parsed.stanzas, stanza);
      if (ref === ring.newestFrom(parsed.sender) && ring.isStale(parsed.sender, ref)) return 'unreadable';
    }
    try {
      // The ceiling, not this device's own collection limits: whatever any device may write.
      return openParsed(device, this.#host.accountId, newest, parsed, { cborLimits: BODY_LIMITS });
    } catch (error) {
      if (!(error instanceof MultikeySyncError)) throw error;
      this.#reject({ code: error.code, message: error.message, recordId: parsed.recordId.slice(), sender: parsed.sender.slice() });
      return 'unreadable';
    }
  }

  #openAsReader(parsed: ParsedEnvelope, sameCard: (ref: number) => boolean): (OpenedEnvelope & { contentKey: Uint8Array }) | null | 'unreadable' {
    for (const reader of this.#host.readers) {
      const opened = this.#open(reader.device, reader.ring, parsed, sameCard);
      if (opened !== null) return opened;
    }
    return null;
  }

  async #applyGrants(grants: Uint8Array[], result: PageResult): Promise<LocalRecord[]> {
    const byId = new Map<string, Uint8Array>();
    for (const g of grants) {
      try {
        byId.set(toHex(grantParts(g).recordId), g);
      } catch (error) {
        if (!(error instanceof MultikeySyncError)) throw error;
        this.#refuse(result, error);
      }
    }
    // Envelopes held earlier in this page are still in memory; the rest are in the store.
    const fromPage = new Map<string, Uint8Array>();
    result.held = result.held.filter((h) => {
      const hex = toHex(h.recordId);
      if (!byId.has(hex)) return true;
      fromPage.set(hex, h.bytes);
      return false;
    });
    const wanted = [...byId.keys()].filter((hex) => !fromPage.has(hex)).map((hex) => byId.get(hex)!.subarray(1, 17));
    const fromStore = wanted.length === 0 ? new Map<string, Uint8Array>() : await this.#host.store.takeHeld(wanted);
    const out: LocalRecord[] = [];
    const me = this.#host.device();
    for (const [hex, bytes] of [...fromPage, ...fromStore]) {
      try {
        const parsed = parseEnvelope(bytes);
        const opened = openWithGrantKeepingKey(me, this.#host.accountId, this.#host.ring, parsed, byId.get(hex)!, { cborLimits: BODY_LIMITS });
        const body = bodyFromWire(opened.body);
        // A grantor may pass on a bundle it once received itself: nothing to store from it.
        if (body.collection === GRANTS_COLLECTION) opened.contentKey.fill(0);
        else out.push(toLocalRecord(opened, body));
      } catch (error) {
        if (!(error instanceof MultikeySyncError)) throw error;
        this.#refuse(result, error);
        result.held.push({ recordId: byId.get(hex)!.slice(1, 17), bytes });
      }
    }
    return out;
  }

  #refuse(result: PageResult, error: unknown, about: { recordId?: Uint8Array; sender?: Uint8Array } = {}): void {
    if (!(error instanceof MultikeySyncError)) throw error;
    result.rejected++;
    this.#reject({
      code: error.code,
      message: error.message,
      ...(about.recordId === undefined ? {} : { recordId: about.recordId.slice() }),
      ...(about.sender === undefined ? {} : { sender: about.sender.slice() }),
    });
  }
}

function toLocalRecord(opened: OpenedEnvelope & { contentKey: Uint8Array }, body: RecordBody): LocalRecord {
  const deleted = opened.kind === 'tombstone';
  return {
    collection: body.collection,
    recordId: opened.recordId,
    revision: opened.revision,
    sender: opened.sender,
    deleted,
    value: deleted ? null : (body.value ?? null),
    key: deleted ? null : (body.key ?? null),
    sortTime: body.sortTime,
    expiresAt: body.expiresAt ?? null,
    // bodyFromWire requires a clock in every collection but $grants, which never gets here.
    clock: body.clock!,
    base: body.base ?? null,
    contentKey: opened.contentKey,
    envelopeHash: opened.hash,
  };
}
