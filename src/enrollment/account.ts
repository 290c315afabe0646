/**
 * `Account`: one device's membership in an account — the device, the account id, its verified
 * device chain and its transport — and every way the device list changes: create, pair a new
 * device (QR or code), remove, rotate, recover, veto. The sync engine reads `device`,
 * `accountId`, `chain.activeDevices(now)`, `chain.checkHead` and the chain's events from it.
 */
import { RemoteError, UsageError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { RandomSource } from '../crypto/random.js';
import { Device } from '../core/device.js';
import { decodeDevicePublic, idKey, type DevicePublic } from '../core/devicePublic.js';
import { decodeEntry } from './chainEntry.js';
import type { ChainEvent } from './chainEvent.js';
import { createGenesis, makeAdd, makeRemove, makeRotate, makeVeto, signConsent } from './chainOps.js';
import type { ChainState } from './chainState.js';
import { approveCode, startCodePairing, type SasOptions, type StartCodePairingOptions } from './codePairing.js';
import { DeviceChain } from './deviceChain.js';
import type { ApproverContext } from './approverContext.js';
import { deviceTime, offsetOf } from './deviceTime.js';
import { approveOffer, joinWithOffer, type ApproveOfferOptions, type JoinWithOfferOptions } from './qrPairing.js';
import { recoverAccount, type RecoverOptions } from './recovery.js';
import { createRecoveryWords, recoveryDevice } from './recoveryWords.js';
import type { EnrollmentTransport, TransportFactory } from './transport.js';

/** Options of {@link Account.create}. */
export interface CreateAccountOptions<T extends EnrollmentTransport> {
  /** The first device. */
  device: Device;
  /** Its transport; after `createAccount` it must act on the new account (HttpClient does). */
  transport: T;
  /** Make recovery words (default true). Without them, losing every device loses the account. */
  recovery?: boolean;
  /** How long a recovery waits before it takes effect; default 72 h. */
  recoveryDelayMs?: number;
  /** The device clock, ms since the epoch; `Date.now` by default. Corrected by the transport's learned offset (deviceTime.ts). */
  clock?: () => number;
  /** Randomness for the recovery words (tests only). */
  random?: RandomSource;
}

/** A code pairing in progress on the joining device. */
export interface CodePairing {
  /** What the user types on the approving device, e.g. "4096-2231-57". */
  code: string;
  /** Waits for the approver, shows the SAS, verifies the chain, and returns the account. */
  complete<T extends EnrollmentTransport>(connect: TransportFactory<T>, options: SasOptions): Promise<Account<T>>;
}

/** What {@link Account.recover} returns. */
export interface RecoveredAccount<T extends EnrollmentTransport> {
  account: Account<T>;
  /** When the new device becomes active (the server refuses it until then). */
  effectiveAt: number;
  /** The words' pseudo-device, for the sync engine's history handoff; `wipe()` it when done. */
  recoveryDevice: Device;
}

/** A device's membership in an account. */
export class Account<T extends EnrollmentTransport = EnrollmentTransport> {
  /** The account id: the hash of the chain's genesis entry. */
  readonly accountId: Uint8Array;
  /** This device's verified copy of the device chain. */
  readonly chain: DeviceChain;
  /** This device's transport to the server. */
  readonly transport: T;
  readonly #clock: () => number;
  #device: Device;

  private constructor(device: Device, chain: DeviceChain, transport: T, clock: () => number) {
    this.#device = device;
    this.chain = chain;
    this.accountId = chain.accountId;
    this.transport = transport;
    this.#clock = clock;
  }

  /** This device (after {@link Account.rotateKey}, the rotated one). */
  get device(): Device {
    return this.#device;
  }

  /**
   * Creates an account with `device` as its first device, and (by default) recovery words.
   * Show the words once; they are not kept anywhere.
   * @throws {RemoteError} from the transport (`ACCOUNT_EXISTS`, …); `RESPONSE_INVALID` when the
   *   server names an account other than the genesis hash.
   */
  static async create<T extends EnrollmentTransport>(options: CreateAccountOptions<T>): Promise<{ account: Account<T>; recoveryWords?: string }> {
    const { device, transport } = options;
    if (!(device instanceof Device)) throw new UsageError('ARGUMENT_INVALID', 'create needs a Device');
    const clock = options.clock ?? Date.now;
    let words: string | undefined;
    let recoveryCard: DevicePublic | undefined;
    if (options.recovery ?? true) {
      words = createRecoveryWords(options.random);
      const recovery = await recoveryDevice(words, { backend: device.suite.name });
      recoveryCard = recovery.public;
      recovery.wipe();
    }
    const now = deviceTime(clock, transport);
    const makeGenesis = () => createGenesis(device, { recovery: recoveryCard, recoveryDelayMs: options.recoveryDelayMs, now: now() });
    const offsetBefore = offsetOf(transport);
    let genesis = makeGenesis();
    let created: { account: Uint8Array; head: Uint8Array };
    try {
      created = await transport.createAccount(genesis.bytes);
    } catch (error) {
      // Refused as dated off the server's clock, whose answer taught the transport that clock:
      // date the genesis again, once, by the corrected clock (the account does not exist yet).
      const retry = isTimeSkew(error) && offsetOf(transport) !== offsetBefore;
      if (!retry) throw error;
      genesis = makeGenesis();
      created = await transport.createAccount(genesis.bytes);
    }
    if (!equalBytes(created.account, genesis.hash)) {
      throw new RemoteError('RESPONSE_INVALID', 'the server named another account than the one this genesis defines', 200);
    }
    const chain = DeviceChain.fromGenesis(device.suite, genesis, { self: device.id, clock });
    const account = new Account(device, chain, transport, clock);
    return words === undefined ? { account } : { account, recoveryWords: words };
  }

  /** The device clock corrected by the offset the transport learned from the server: what this account dates entries and checks times by. */
  #now(): number {
    return deviceTime(this.#clock, this.transport)();
  }

  /**
   * An account from what the device persisted: its `Device` and its chain (`DeviceChain.fromBytes`).
   * @throws {UsageError} `ARGUMENT_INVALID` when the chain belongs to another device.
   */
  static restore<T extends EnrollmentTransport>(options: { device: Device; chain: DeviceChain; transport: T; clock?: () => number }): Account<T> {
    if (!equalBytes(options.chain.self, options.device.id)) throw new UsageError('ARGUMENT_INVALID', 'this chain was saved by another device');
    return new Account(options.device, options.chain, options.transport, options.clock ?? Date.now);
  }

  /**
   * The joining side of QR pairing: `offer` is the offer this device made and shows.
   * @throws see {@link joinWithOffer} in qrPairing.ts: `PAIRING_OFFER_EXPIRED`, `PAIRING_OFFER_USED`,
   *   `PAIRING_TIMEOUT`, `PAIRING_MESSAGE_INVALID`, `PAIRING_NOT_ADDED`, `FORK_ALARM`, RemoteError.
   */
  static async joinWithOffer<T extends EnrollmentTransport>(options: JoinWithOfferOptions<T>): Promise<Account<T>> {
    const { transport, chain } = await joinWithOffer(options);
    return new Account(options.device, chain, transport, options.clock ?? Date.now);
  }

  /**
   * The joining side of code pairing: shows `code`, then `complete` finishes it.
   * `complete` throws `PAIRING_DECLINED` (the user saw different codes), `PAIRING_TIMEOUT`,
   * `PAIRING_MESSAGE_INVALID`, `PAIRING_NOT_ADDED`, `FORK_ALARM`, RemoteError.
   * @throws {RemoteError} from the transport.
   */
  static async startCodePairing(options: StartCodePairingOptions): Promise<CodePairing> {
    const started = await startCodePairing(options);
    const clock = options.clock ?? Date.now;
    return {
      code: started.code,
      async complete(connect, sasOptions) {
        const { transport, chain } = await started.complete(connect, sasOptions);
        return new Account(options.device, chain, transport, clock);
      },
    };
  }

  /**
   * Recovery with the words after every device is lost: adds `newDevice`, active after the delay.
   * @throws {ValidationError} `RECOVERY_WORDS_INVALID`, `RECOVERY_NOT_ENROLLED`.
   * @throws {ForkAlarm} `FORK_ALARM`. @throws {CryptoError} `CHAIN_*`. @throws {RemoteError}.
   */
  static async recover<T extends EnrollmentTransport>(options: RecoverOptions<T>): Promise<RecoveredAccount<T>> {
    const recovered = await recoverAccount(options);
    const account = new Account(options.newDevice, recovered.chain, recovered.transport, options.clock ?? Date.now);
    return { account, effectiveAt: recovered.effectiveAt, recoveryDevice: recovered.recoveryDevice };
  }

  /**
   * Fetches and verifies the chain's new entries: `this.chain.refresh(this.transport)`.
   * @throws see {@link DeviceChain.refresh}.
   */
  refresh(): Promise<ChainEvent[]> {
    return this.chain.refresh(this.transport);
  }

  /**
   * Approves a scanned QR offer after `confirm`; returns the added device's card.
   * @throws see {@link approveOffer} in qrPairing.ts: `PAIRING_OFFER_INVALID`, `PAIRING_OFFER_EXPIRED`,
   *   `PAIRING_DECLINED`, `PAIRING_OFFER_USED`, `PAIRING_TIMEOUT`, `PAIRING_MESSAGE_INVALID`,
   *   `CHAIN_*`, `FORK_ALARM`, RemoteError.
   */
  approveOffer(uri: string, options: ApproveOfferOptions): Promise<DevicePublic> {
    return approveOffer(this.#approver(), uri, options);
  }

  /**
   * Approves a typed pairing code; appends only if `confirmSas` says both devices show the same SAS.
   * @throws see {@link approveCode} in codePairing.ts: `PAIRING_CODE_INVALID`, `PAIRING_DECLINED`,
   *   `PAIRING_OFFER_USED`, `PAIRING_TIMEOUT`, `PAIRING_MESSAGE_INVALID`, `SAS_COMMITMENT_MISMATCH`,
   *   `CHAIN_*`, `FORK_ALARM`, RemoteError.
   */
  approveCode(code: string, options: SasOptions): Promise<DevicePublic> {
    return approveCode(this.#approver(), code, options);
  }

  /**
   * Removes (revokes) a device: any device on the list, this one included. Nothing is sealed to
   * it afterwards and the server refuses it. Done already (by another device) is not an error.
   * @throws {UsageError} `ARGUMENT_INVALID`. @throws {CryptoError} `CHAIN_TARGET_INVALID` for a device not on the list.
   * @throws {ForkAlarm} `FORK_ALARM`. @throws {RemoteError}.
   */
  async remove(deviceId: Uint8Array): Promise<ChainEvent[]> {
    if (!(deviceId instanceof Uint8Array) || deviceId.length !== 16) throw new UsageError('ARGUMENT_INVALID', 'a device id is 16 bytes');
    const target = deviceId.slice();
    const { events } = await this.chain.append(this.transport, (state) =>
      state.removed.has(idKey(target)) ? null : makeRemove(this.#device, state, target, this.#now()),
    );
    return events;
  }

  /**
   * Gives this device a fresh encryption key and announces it on the chain. Returns the rotated
   * device, which {@link Account.device} becomes: persist its secrets. Keep the old `Device`
   * until the sync engine no longer needs it to open envelopes wrapped to the old key; the
   * transport keeps signing with the unchanged identity key.
   * @throws {ForkAlarm} `FORK_ALARM`. @throws {CryptoError} `CHAIN_*`. @throws {RemoteError}.
   */
  async rotateKey(random?: RandomSource): Promise<Device> {
    const rotated = this.#device.rotateEncryptionKey(random);
    await this.chain.append(this.transport, (state) => makeRotate(rotated, state, this.#now()));
    this.#device = rotated;
    return rotated;
  }

  /**
   * Vetoes a pending recovery (named by the `entryHash` of its `recovery-started` event). Done
   * already (by another device) is not an error.
   * @throws {UsageError} `ARGUMENT_INVALID`. @throws {CryptoError} `CHAIN_TARGET_INVALID` when no
   *   such recovery is pending (unknown, or already in effect).
   * @throws {ForkAlarm} `FORK_ALARM`. @throws {RemoteError}.
   */
  async vetoRecovery(entryHash: Uint8Array): Promise<ChainEvent[]> {
    if (!(entryHash instanceof Uint8Array) || entryHash.length !== 32) throw new UsageError('ARGUMENT_INVALID', 'an entry hash is 32 bytes');
    const target = entryHash.slice();
    const { events } = await this.chain.append(this.transport, (state) =>
      this.#alreadyCancelled(state, target) ? null : makeVeto(this.#device, state, target, this.#now()),
    );
    return events;
  }

  /**
   * Replaces the recovery words: adds a new recovery pseudo-device, then removes the old one(s).
   * Do it after a veto (someone else knows the words) or when the paper may have been seen.
   * Returns the new words, to show once.
   * @throws {ForkAlarm} `FORK_ALARM`. @throws {CryptoError} `CHAIN_*`. @throws {RemoteError}.
   */
  async replaceRecoveryWords(random?: RandomSource): Promise<string> {
    const words = createRecoveryWords(random);
    const recovery = await recoveryDevice(words, { backend: this.#device.suite.name });
    try {
      const consent = signConsent(recovery, this.accountId);
      await this.chain.append(this.transport, (state) =>
        state.devices.has(idKey(recovery.id)) ? null : makeAdd(this.#device, state, recovery.public, consent, { role: 'recovery', now: this.#now() }),
      );
    } finally {
      recovery.wipe();
    }
    // Added first, removed second: a failure in between leaves two recovery keys, never none.
    const old = [...this.chain.state.devices.values()].filter((d) => d.role === 'recovery' && !equalBytes(d.card.id, recovery.id));
    for (const d of old) await this.remove(d.card.id);
    return words;
  }

  #approver(): ApproverContext {
    return { device: this.#device, chain: this.chain, transport: this.transport, clock: () => this.#now() };
  }

  /** True when the recovery added by entry `hash` was already vetoed or removed. */
  #alreadyCancelled(state: ChainState, hash: Uint8Array): boolean {
    const at = this.chain.indexOf(hash);
    if (at === undefined) return false;
    const add = decodeEntry(this.#device.suite, this.chain.entryAt(at)!).entry;
    if (add.t !== 'add' || add.dev === undefined) return false;
    return state.removed.has(idKey(decodeDevicePublic(this.#device.suite, add.dev).id));
  }
}

/** True for the server's refusal of an entry dated too far from its clock. */
function isTimeSkew(error: unknown): boolean {
  return error instanceof RemoteError && error.code === 'CHAIN_ENTRY_REJECTED' && error.message.startsWith('CHAIN_TIME_SKEW');
}
