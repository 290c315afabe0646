/**
 * The replica's view of its account for reading and writing envelopes: which device it is now
 * (and was, before a key rotation), and whose key was in force at the chain head an envelope
 * names. An unknown head makes the chain refresh; a head the server cannot justify is a fork.
 */
import type { Device } from '../core/device.js';
import type { DeviceLookup } from '../core/deviceDirectory.js';
import { idKey, type DevicePublic } from '../core/devicePublic.js';
import { ChainHistory } from '../enrollment/chainHistory.js';
import type { ChainState } from '../enrollment/chainState.js';
import { ForkAlarm } from '../enrollment/forkAlarm.js';
import type { EnrollmentTransport } from '../enrollment/transport.js';

/** The verified device chain, as the replica uses it (an enrollment `DeviceChain`). */
export interface SyncChain {
  readonly state: ChainState;
  /** The verified chain's encoded entries, genesis first. */
  readonly entries: readonly Uint8Array[];
  /** Fetches and verifies new chain entries. */
  refresh(transport: EnrollmentTransport): Promise<unknown>;
  /** Makes sure `head` is part of the verified chain; throws `FORK_ALARM` when it cannot be. */
  checkHead(head: Uint8Array, transport: EnrollmentTransport): Promise<unknown>;
  /** The chain's saved form (DeviceChain has it): kept in the local store after each change. */
  toBytes?(): Uint8Array;
}

/** What the view needs of an enrollment `Account`. */
export interface ViewedAccount {
  /** This device (it changes after a key rotation, so it is read on every use). */
  readonly device: Device;
  readonly accountId: Uint8Array;
  readonly chain: SyncChain;
  readonly transport: EnrollmentTransport;
}

export class AccountView {
  readonly #account: ViewedAccount;
  readonly #clock: () => number;
  readonly #history = new ChainHistory();
  /**
   * Devices this replica ran as before a key rotation: their keys still open its own queued
   * envelopes, until {@link AccountView.forgetPastDevices} (docs/decisions.md, "Enrollment").
   */
  readonly #past: Device[] = [];
  #last: Device;

  constructor(account: ViewedAccount, clock: () => number) {
    this.#account = account;
    this.#clock = clock;
    this.#last = account.device;
  }

  /** The account's device now, remembering the one before a key rotation. */
  device(): Device {
    const device = this.#account.device;
    if (device !== this.#last) {
      this.#past.unshift(this.#last);
      this.#last = device;
    }
    return device;
  }

  /** The device now, then the ones it was before key rotations and still remembers, newest first. */
  devicesNewestFirst(): Device[] {
    return [this.device(), ...this.#past];
  }

  /**
   * Drops the devices this replica ran as before a key rotation. The replica calls it whenever its
   * outbox is empty: every envelope sealed under an old key has then been pushed or sealed again,
   * so nothing it holds needs the old key. It only lets go of them: the app owns those objects
   * (its HTTP client may still sign with one, the identity key being unchanged) and wipes them.
   */
  forgetPastDevices(): void {
    this.device(); // a rotation since the last call would otherwise be remembered later
    this.#past.length = 0;
  }

  /** The verified chain's current state. */
  state(): ChainState {
    return this.#account.chain.state;
  }

  /** The devices active now: the recipients of a seal. */
  recipients(): DevicePublic[] {
    const now = this.#clock();
    const out: DevicePublic[] = [];
    for (const d of this.state().devices.values()) if (d.effectiveAt <= now) out.push(d.card);
    return out;
  }

  /** The devices on the list now (a grant's grantor must be one of them). */
  currentDevices(): DeviceLookup {
    const devices = this.state().devices;
    return { get: (id) => devices.get(idKey(id))?.card };
  }

  /**
   * The chain index of `head`, refreshing the chain if it is not known yet.
   * @throws {ForkAlarm} `FORK_ALARM` when the server cannot show a chain that contains it.
   */
  async headIndex(head: Uint8Array): Promise<number> {
    let index = this.#caughtUp().headIndex(head);
    if (index === undefined) {
      await this.#account.chain.checkHead(head, this.#account.transport);
      index = this.#caughtUp().headIndex(head);
    }
    if (index === undefined) throw new ForkAlarm('unknown-head', 'the envelope names a chain head this device cannot verify');
    return index;
  }

  /** The senders' cards as of chain index `index`. */
  sendersAt(index: number): DeviceLookup {
    return this.#caughtUp().sendersAt(index, this.#clock());
  }

  /** The chain index at which this device joined (envelopes sealed before need a grant). */
  joinedAt(): number {
    return this.#caughtUp().firstIndex(this.device().id) ?? 0;
  }

  /** Key timelines of the verified chain, caught up with any entries it verified since. */
  #caughtUp(): ChainHistory {
    const entries = this.#account.chain.entries;
    if (this.#history.length < entries.length) this.#history.catchUp(this.device().suite, entries);
    return this.#history;
  }
}
