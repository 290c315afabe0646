/**
 * Recovery when every device is lost. The 24 words derive the recovery pseudo-device, which is
 * on the chain since genesis; it signs the new device's `add` (with the new device's consent).
 * The chain rules make that add wait `recoveryDelayMs` (72 h by default) before it takes effect,
 * and any active device that sees it meanwhile (a `recovery-started` event) can veto it.
 */
import { RemoteError, ValidationError } from '../errors.js';
import type { Device } from '../core/device.js';
import { idKey } from '../core/devicePublic.js';
import { deviceKeys, makeAdd, signConsent } from './chainOps.js';
import { DeviceChain } from './deviceChain.js';
import { deviceTime } from './deviceTime.js';
import { recoveryDevice } from './recoveryWords.js';
import type { EnrollmentTransport, TransportFactory } from './transport.js';

/** Options of {@link recoverAccount}. */
export interface RecoverOptions<T extends EnrollmentTransport> {
  /** The 24 recovery words as the person typed them. */
  words: string;
  /** The device to add (fresh keys; the caller keeps its secrets). */
  newDevice: Device;
  /** The account to recover (keep its id with the words: the words do not name it). */
  accountId: Uint8Array;
  /** Makes a transport signing as a device on the account (used for the recovery key, then the new device). */
  connect: TransportFactory<T>;
  /** The device clock, ms since the epoch; `Date.now` by default. Corrected by the transport's learned offset. */
  clock?: () => number;
}

/** What a recovery produced. */
export interface Recovery<T extends EnrollmentTransport> {
  transport: T;
  chain: DeviceChain;
  /** When the new device becomes active (the server refuses it until then). */
  effectiveAt: number;
  /** Hash of the recovery's `add`: what a veto names. */
  entryHash: Uint8Array;
  /**
   * The pseudo-device the words derive. Records are wrapped to it, so the sync engine can use
   * it to hand the history to the new device; `wipe()` it as soon as that is done.
   */
  recoveryDevice: Device;
}

/**
 * Adds `newDevice` to the account with the recovery key.
 * @throws {ValidationError} `RECOVERY_WORDS_INVALID`; `RECOVERY_NOT_ENROLLED` when these words
 *   are not (or no longer) the account's recovery key.
 * @throws {UsageError} `KEY_STATEMENT_MISSING` when `newDevice` holds no epoch-0 key statement.
 * @throws {ForkAlarm} `FORK_ALARM`. @throws {CryptoError} `CHAIN_*`.
 * @throws {RemoteError} from the transport.
 */
export async function recoverAccount<T extends EnrollmentTransport>(options: RecoverOptions<T>): Promise<Recovery<T>> {
  const { newDevice, accountId, connect } = options;
  const joiner = deviceKeys(newDevice);
  const clock = options.clock ?? Date.now;
  const recovery = await recoveryDevice(options.words, { backend: newDevice.suite.name });
  try {
    const notEnrolled = (cause?: unknown) =>
      new ValidationError('RECOVERY_NOT_ENROLLED', 'these recovery words do not (or no longer) belong to this account', cause === undefined ? undefined : { cause });
    const recoveryTransport = connect(recovery, accountId);
    let chain: DeviceChain;
    try {
      chain = await DeviceChain.fetch(newDevice.suite, recoveryTransport, { accountId, self: recovery.id, clock });
    } catch (error) {
      if (error instanceof RemoteError && (error.code === 'DEVICE_UNKNOWN' || error.code === 'DEVICE_REVOKED')) throw notEnrolled(error);
      throw error;
    }
    if (chain.state.devices.get(idKey(recovery.id))?.role !== 'recovery') throw notEnrolled();
    const consent = signConsent(newDevice, accountId);
    const now = deviceTime(clock, recoveryTransport);
    const { entry } = await chain.append(recoveryTransport, (state) => makeAdd(recovery, state, joiner, consent, { now: now() }));
    const effectiveAt = chain.state.devices.get(idKey(newDevice.id))!.effectiveAt;
    const mine = DeviceChain.fromEntries(newDevice.suite, chain.entries, { self: newDevice.id, clock });
    return { transport: connect(newDevice, accountId), chain: mine, effectiveAt, entryHash: entry!.hash, recoveryDevice: recovery };
  } catch (error) {
    recovery.wipe();
    throw error;
  }
}
