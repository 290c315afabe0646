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
import { createGenesis, deviceKeys, makeAdd, makeRemove, makeRotate, makeVeto, signConsent, type DeviceKeys } from './chainOps.js';
import type { ChainState } from './chainState.js';
import { approveCode, startCodePairing, type SasOptions, type StartCodePairingOptions } from './codePairing.js';
import { DeviceChain } from './deviceChain.js';
import type { ApproverContext } from './approverContext.js';
import { deviceTime, offsetOf } from './deviceTime.js';
import { approveOffer, joinWithOffer, type ApproveOfferOptions, type JoinWithOfferOptions } from './qrPairing.js';
import { recoverAccount, type RecoverOptions } from './recovery.js';
import { SecurityWarnings, type SecurityWarningListener } from './securityWarning.js';
import { createRecoveryWords, recoveryDevice } from './recoveryWords.js';
import { NO_LOG_HEADS, serverLogHeads, type LogHeads, type LogHeadTransport } from './logCut.js';
import type { EnrollmentTransport, TransportFactory } from './transport.js';

/** What every way of getting an `Account` accepts besides its own options. */
export interface AccountOptions {
  /**
   * Where the devices' logs stand: `remove` and `rotateKey` put the removed (or rotating)
   * device's log head in their entry. The sync layer provides it (it reads every device's log);
   * it may be an object that forwards to a replica opened after the account. Without it every
   * device counts as never having written (`{ position: 0, hash: null }`).
   */
  logHeads?: LogHeads;
}

/** Options of {@link Account.create}. */
export interface CreateAccountOptions<T extends EnrollmentTransport> extends AccountOptions {
  /** The first device. */
  device: Device;
  /** Its transport; after `createAccount` it must act on the new account (HttpClient does). */
  transport: T;
  /** Make recovery words (default true). Without them, losing every device loses the account. */
  recovery?: boolean;
  /** How long a recovery waits before it takes effect; default 72 h, at least 24 h. */
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
  /** The words' pseudo-device: pass it as `ReplicaOptions.readers` for the new device's first sync, which reads the history with it; `wipe()` it after. */
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
  readonly #logHeads: LogHeads;
  readonly #warnings = new SecurityWarnings();
  #device: Device;

  private constructor(device: Device, chain: DeviceChain, transport: T, clock: () => number, options: AccountOptions) {
    this.#device = device;
    this.chain = chain;
    this.accountId = chain.accountId;
    this.transport = transport;
    this.#clock = clock;
    // Without a provider, the server's word, checked against the device's signature.
    const reader = transport as Partial<LogHeadTransport>;
    this.#logHeads =
      options.logHeads ?? (typeof reader.logHead === 'function' ? serverLogHeads(device.suite, reader as LogHeadTransport, chain) : NO_LOG_HEADS);
  }

  /** This device (after {@link Account.rotateKey}, the rotated one). */
  get device(): Device {
    return this.#device;
  }

  /**
   * Creates an account with `device` as its first device, and (by default) recovery words.
   * Show the words once; they are not kept anywhere.
   * @throws {ValidationError} `RECOVERY_DELAY_TOO_SHORT` for a recovery delay under 24 h.
   * @throws {UsageError} `ARGUMENT_INVALID`; `KEY_STATEMENT_MISSING` for a device without its epoch-0 statement.
   * @throws {RemoteError} from the transport (`ACCOUNT_EXISTS`, …); `RESPONSE_INVALID` when the
   *   server names an account other than the genesis hash.
   */
  static async create<T extends EnrollmentTransport>(options: CreateAccountOptions<T>): Promise<{ account: Account<T>; recoveryWords?: string }> {
    const { device, transport } = options;
    if (!(device instanceof Device)) throw new UsageError('ARGUMENT_INVALID', 'create needs a Device');
    const clock = options.clock ?? Date.now;
    let words: string | undefined;
    let recoveryKeys: DeviceKeys | undefined;
    if (options.recovery ?? true) {
      words = createRecoveryWords(options.random);
      const recovery = await recoveryDevice(words, { backend: device.suite.name });
      recoveryKeys = deviceKeys(recovery);
      recovery.wipe();
    }
    const now = deviceTime(clock, transport);
    const makeGenesis = () => createGenesis(device, { recovery: recoveryKeys, recoveryDelayMs: options.recoveryDelayMs, now: now() });
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
    const account = new Account(device, chain, transport, clock, options);
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
  static restore<T extends EnrollmentTransport>(
    options: { device: Device; chain: DeviceChain; transport: T; clock?: () => number } & AccountOptions,
  ): Account<T> {
    if (!equalBytes(options.chain.self, options.device.id)) throw new UsageError('ARGUMENT_INVALID', 'this chain was saved by another device');
    return new Account(options.device, options.chain, options.transport, options.clock ?? Date.now, options);
  }

  /**
   * The joining side of QR pairing: `offer` is the offer this device made and shows. The device
   * consents to the inviting account only once `confirmSas` says the approving device shows the
   * same code.
   * @throws see {@link joinWithOffer} in qrPairing.ts: `PAIRING_OFFER_EXPIRED`, `PAIRING_DECLINED`,
   *   `PAIRING_OFFER_USED`, `PAIRING_TIMEOUT`, `PAIRING_MESSAGE_INVALID`, `PAIRING_NOT_ADDED`,
   *   `KEY_STATEMENT_MISSING`, `FORK_ALARM`, RemoteError.
   */
  static async joinWithOffer<T extends EnrollmentTransport>(options: JoinWithOfferOptions<T> & AccountOptions): Promise<Account<T>> {
    const { transport, chain } = await joinWithOffer(options);
    return new Account(options.device, chain, transport, options.clock ?? Date.now, options);
  }

  /**
   * The joining side of code pairing: shows `code`, then `complete` finishes it.
   * `complete` throws `PAIRING_DECLINED` (the user saw different codes), `PAIRING_TIMEOUT`,
   * `PAIRING_MESSAGE_INVALID`, `PAIRING_NOT_ADDED`, `FORK_ALARM`, RemoteError.
   * @throws {UsageError} `KEY_STATEMENT_MISSING` for a device without its epoch-0 statement.
   * @throws {RemoteError} from the transport.
   */
  static async startCodePairing(options: StartCodePairingOptions & AccountOptions): Promise<CodePairing> {
    const started = await startCodePairing(options);
    const clock = options.clock ?? Date.now;
    return {
      code: started.code,
      async complete(connect, sasOptions) {
        const { transport, chain } = await started.complete(connect, sasOptions);
        return new Account(options.device, chain, transport, clock, options);
      },
    };
  }

  /**
   * Recovery with the words after every device is lost: adds `newDevice`, active after the delay.
   * @throws {ValidationError} `RECOVERY_WORDS_INVALID`, `RECOVERY_NOT_ENROLLED`.
   * @throws {UsageError} `KEY_STATEMENT_MISSING` for a new device without its epoch-0 statement.
   * @throws {ForkAlarm} `FORK_ALARM`. @throws {CryptoError} `CHAIN_*`. @throws {RemoteError}.
   */
  static async recover<T extends EnrollmentTransport>(options: RecoverOptions<T> & AccountOptions): Promise<RecoveredAccount<T>> {
    const recovered = await recoverAccount(options);
    const account = new Account(options.newDevice, recovered.chain, recovered.transport, options.clock ?? Date.now, options);
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
   * Calls `listener` for each security warning a pairing on this device raises (today
   * `PAIRING_OFFER_USED` and `SAS_COMMITMENT_MISMATCH`: someone else answered the offer or code
   * this device is approving). The pairing call still throws; the event is for the person.
   * @returns the unsubscribe.
   */
  onSecurityWarning(listener: SecurityWarningListener): () => void {
    return this.#warnings.subscribe(listener);
  }

  /**
   * Approves a scanned QR offer after `confirm`, shows the code (`showSas`) the user must find
   * on the new device, and adds the device once it consents; returns the added device's card.
   * @throws see {@link approveOffer} in qrPairing.ts: `PAIRING_OFFER_INVALID`, `PAIRING_OFFER_EXPIRED`,
   *   `PAIRING_DECLINED`, `PAIRING_OFFER_USED` (also a security warning), `PAIRING_TIMEOUT`,
   *   `PAIRING_MESSAGE_INVALID`, `SAS_COMMITMENT_MISMATCH` (also a security warning), `CHAIN_*`,
   *   `FORK_ALARM`, RemoteError.
   */
  approveOffer(uri: string, options: ApproveOfferOptions): Promise<DevicePublic> {
    return approveOffer(this.#approver(), uri, options);
  }

  /**
   * Approves a typed pairing code; appends only if `confirmSas` says both devices show the same SAS.
   * @throws see {@link approveCode} in codePairing.ts: `PAIRING_CODE_INVALID`, `PAIRING_DECLINED`,
   *   `PAIRING_OFFER_USED` (also a security warning), `PAIRING_TIMEOUT`, `PAIRING_MESSAGE_INVALID`,
   *   `SAS_COMMITMENT_MISMATCH` (also a security warning), `CHAIN_*`, `FORK_ALARM`, RemoteError.
   */
  approveCode(code: string, options: SasOptions): Promise<DevicePublic> {
    return approveCode(this.#approver(), code, options);
  }

  /**
   * Removes (revokes) a device: any device on the list, this one included, as long as an active
   * real device remains. Nothing is sealed to it afterwards, the server refuses it, and what it
   * writes after its log head (from `logHeads`) counts for nothing. Done already (by another
   * device) is not an error.
   * @throws {UsageError} `ARGUMENT_INVALID` (also for a malformed log head).
   * @throws {CryptoError} `CHAIN_TARGET_INVALID` for a device not on the list; `CHAIN_LAST_DEVICE`
   *   when no other active real device would remain; `CHAIN_CUT_INVALID` for a log head before
   *   the device's last rotation.
   * @throws {ForkAlarm} `FORK_ALARM`. @throws {RemoteError}; whatever `logHeads` throws.
   */
  async remove(deviceId: Uint8Array): Promise<ChainEvent[]> {
    if (!(deviceId instanceof Uint8Array) || deviceId.length !== 16) throw new UsageError('ARGUMENT_INVALID', 'a device id is 16 bytes');
    const target = deviceId.slice();
    const cut = await this.#logHeads.logHead(target.slice());
    const { events } = await this.chain.append(this.transport, (state) =>
      state.removed.has(idKey(target)) ? null : makeRemove(this.#device, state, target, cut, this.#now()),
    );
    return events;
  }

  /**
   * Gives this device a fresh encryption key and announces it on the chain. Returns the rotated
   * device, which {@link Account.device} becomes: persist its secrets. Keep the old `Device`
   * until the sync engine no longer needs it to open envelopes wrapped to the old key; the
   * transport keeps signing with the unchanged identity key. The entry names this device's log
   * head (from `logHeads`): checkpoints after it must use the new key.
   * @throws {ForkAlarm} `FORK_ALARM`. @throws {CryptoError} `CHAIN_*`. @throws {RemoteError}.
   * @throws {UsageError} `ARGUMENT_INVALID` for a malformed log head; whatever `logHeads` throws.
   */
  async rotateKey(random?: RandomSource): Promise<Device> {
    const cut = await this.#logHeads.logHead(this.#device.id.slice());
    const rotated = this.#device.rotateEncryptionKey(random);
    await this.chain.append(this.transport, (state) => makeRotate(rotated, state, cut, this.#now()));
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
        state.devices.has(idKey(recovery.id)) ? null : makeAdd(this.#device, state, deviceKeys(recovery), consent, { role: 'recovery', now: this.#now() }),
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
    return { device: this.#device, chain: this.chain, transport: this.transport, clock: () => this.#now(), warn: (w) => this.#warnings.emit(w) };
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
