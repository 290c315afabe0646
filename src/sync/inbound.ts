/**
 * The receiving side of sync: turns one pulled envelope into the local records it carries.
 * A record addressed to this device opens with the sender's key as of the chain head it names;
 * one sealed before this device joined is held until a history grant opens it; a `$grants`
 * bundle opens the held envelopes it grants. Anything that fails to open is reported and
 * skipped ("log and ignore"); a fork alarm stops the pull.
 */
import { isMultikeySyncError, MultikeySyncError } from '../errors.js';
import { toHex } from '../crypto/bytes.js';
import { parseEnvelope } from '../core/envelopeFormat.js';
import { grantRecordId, openWithGrant } from '../core/grant.js';
import { openParsed, type OpenedEnvelope } from '../core/open.js';
import type { AccountView } from './accountView.js';
import type { LocalRecord, LocalStore } from './localStore.js';
import { bodyFromWire, GRANTS_COLLECTION, type RecordBody } from './recordBody.js';

/** An envelope kept until its grant arrives. */
export interface HeldEnvelope {
  recordId: Uint8Array;
  bytes: Uint8Array;
}

/** A refused envelope, as the replica's `rejected` event reports it. */
export interface Rejection {
  code: string;
  message: string;
  recordId?: Uint8Array;
}

export class Inbound {
  readonly #view: AccountView;
  readonly #store: LocalStore;
  readonly #accountId: Uint8Array;
  readonly #reject: (rejection: Rejection) => void;

  constructor(view: AccountView, store: LocalStore, accountId: Uint8Array, reject: (rejection: Rejection) => void) {
    this.#view = view;
    this.#store = store;
    this.#accountId = accountId;
    this.#reject = reject;
  }

  /**
   * The records one pulled envelope carries (several for a grant bundle, none for one held or
   * not addressed here), or null when it was refused. Envelopes to hold are appended to `held`.
   * @throws {ForkAlarm} `FORK_ALARM`; StorageError codes of the local store.
   */
  async receive(bytes: Uint8Array, held: HeldEnvelope[]): Promise<LocalRecord[] | null> {
    let recordId: Uint8Array | undefined;
    try {
      const parsed = parseEnvelope(bytes);
      recordId = parsed.recordId;
      const index = await this.#view.headIndex(parsed.chainHead);
      const opened = openParsed(this.#view.device(), this.#accountId, this.#view.sendersAt(index), parsed);
      if (opened === null) {
        // Sealed before this device joined: keep it until a history grant opens it.
        if (index < this.#view.joinedAt()) held.push({ recordId: parsed.recordId.slice(), bytes });
        return [];
      }
      const body = bodyFromWire(opened.body);
      if (body.collection === GRANTS_COLLECTION) {
        // Envelopes held earlier in this page must be stored before the grants look for them.
        if (held.length > 0) await this.#store.holdEnvelopes(held.splice(0));
        return await this.#applyGrants(body.grants ?? []);
      }
      return [toLocalRecord(opened, body)];
    } catch (error) {
      if (isMultikeySyncError(error, 'FORK_ALARM') || !(error instanceof MultikeySyncError)) throw error;
      this.#reject({ code: error.code, message: error.message, ...(recordId === undefined ? {} : { recordId }) });
      return null;
    }
  }

  async #applyGrants(grants: Uint8Array[]): Promise<LocalRecord[]> {
    const byId = new Map<string, Uint8Array>();
    for (const g of grants) byId.set(toHex(grantRecordId(g)), g);
    const held = await this.#store.takeHeld([...byId.values()].map((g) => grantRecordId(g)));
    const grantors = this.#view.currentDevices();
    const out: LocalRecord[] = [];
    for (const [hex, envelope] of held) {
      try {
        const opened = openWithGrant(this.#view.device(), this.#accountId, grantors, envelope, byId.get(hex)!);
        const body = bodyFromWire(opened.body);
        // A grantor may pass on a bundle it once received itself: its grants were for records this
        // device is being granted directly, so the bundle carries nothing to store.
        if (body.collection !== GRANTS_COLLECTION) out.push(toLocalRecord(opened, body));
      } catch (error) {
        if (!(error instanceof MultikeySyncError)) throw error;
        this.#reject({ code: error.code, message: error.message });
      }
    }
    return out;
  }
}

function toLocalRecord(opened: OpenedEnvelope, body: RecordBody): LocalRecord {
  const deleted = opened.kind === 'tombstone';
  return {
    collection: body.collection,
    recordId: opened.recordId,
    revision: opened.revision,
    sender: opened.sender,
    deleted,
    value: deleted ? null : (body.value ?? null),
    sortTime: body.sortTime,
    expiresAt: body.expiresAt ?? null,
  };
}
