/**
 * The approving side of a pairing, shared by QR and code pairing: leave the invite, read the
 * new device's reveal and consent, append its `add`, leave the welcome. Failures that point at
 * someone else in the pairing are also raised as security warnings.
 */
import { isMultikeySyncError, RemoteError, UsageError } from '../errors.js';
import type { Device } from '../core/device.js';
import type { DevicePublic } from '../core/devicePublic.js';
import { makeAdd } from './chainOps.js';
import type { DeviceChain } from './deviceChain.js';
import { PAIRING_MESSAGE_TTL_MS, takeWhenReady, type Deadline } from './mailboxWait.js';
import { PAIRING_STEPS, pairingMailboxId } from './pairingChannel.js';
import { openConsent, sealMessage } from './pairingMessages.js';
import type { SecurityWarning } from './securityWarning.js';
import type { EnrollmentTransport } from './transport.js';

/** An enrolled device ready to approve another. */
export interface ApproverContext {
  device: Device;
  chain: DeviceChain;
  transport: EnrollmentTransport;
  clock: () => number;
  /** Where security warnings go (the account's listeners); none by default. */
  warn?: (warning: SecurityWarning) => void;
}

/**
 * Leaves the invite; a slot already taken means someone used this offer or code before.
 * @throws {UsageError} `PAIRING_OFFER_USED`. @throws {RemoteError} from the transport.
 */
export async function putInvite(ctx: ApproverContext, secret: Uint8Array, message: Record<string, unknown>, ttlMs: number): Promise<void> {
  const { suite } = ctx.device;
  try {
    await ctx.transport.mailboxPut(pairingMailboxId(suite, secret, PAIRING_STEPS.invite), sealMessage(suite, secret, PAIRING_STEPS.invite, message), ttlMs);
  } catch (error) {
    if (error instanceof RemoteError && error.code === 'MAILBOX_FULL') {
      throw new UsageError('PAIRING_OFFER_USED', 'this pairing offer or code was already used: make a new one', { cause: error });
    }
    throw error;
  }
}

/**
 * Runs `approve`, raising a security warning for `PAIRING_OFFER_USED` and
 * `SAS_COMMITMENT_MISMATCH` before the error goes on to the caller.
 */
export async function withWarnings<R>(ctx: ApproverContext, flow: 'qr' | 'code', device: DevicePublic | undefined, approve: () => Promise<R>): Promise<R> {
  try {
    return await approve();
  } catch (error) {
    for (const code of ['PAIRING_OFFER_USED', 'SAS_COMMITMENT_MISMATCH'] as const) {
      if (isMultikeySyncError(error, code)) ctx.warn?.({ code, flow, ...(device === undefined ? {} : { device }), at: ctx.clock() });
    }
    throw error;
  }
}

/**
 * Waits for the consent (the new device sends it once its user confirmed the codes), appends
 * the `add` of `card` with the consent and the key statement it carries, then leaves the
 * welcome naming the new head.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`; a `CHAIN_*` code (e.g. `CHAIN_CONSENT_INVALID`,
 *   `CHAIN_KEY_STATEMENT_INVALID`, `CHAIN_DEVICE_EXISTS`).
 * @throws {UsageError} `PAIRING_TIMEOUT`. @throws {ForkAlarm} `FORK_ALARM`. @throws {RemoteError} from the transport.
 */
export async function addAndWelcome(ctx: ApproverContext, secret: Uint8Array, card: DevicePublic, until: Deadline): Promise<void> {
  const { device, chain, transport, clock } = ctx;
  const { suite } = device;
  const consent = openConsent(suite, secret, await takeWhenReady(transport, pairingMailboxId(suite, secret, PAIRING_STEPS.consent), until));
  const joiner = { card, keyStatement: consent.keyStatement };
  const { entry } = await chain.append(transport, (state) => makeAdd(device, state, joiner, consent.consent, { now: clock() }));
  const welcome = sealMessage(suite, secret, PAIRING_STEPS.welcome, { h: entry!.hash, l: entry!.entry.i + 1 });
  await transport.mailboxPut(pairingMailboxId(suite, secret, PAIRING_STEPS.welcome), welcome, PAIRING_MESSAGE_TTL_MS);
}
