/** What the approving side of a pairing uses: its device, its verified chain, its transport. */
import { RemoteError, UsageError } from '../errors.js';
import type { Device } from '../core/device.js';
import type { DevicePublic } from '../core/devicePublic.js';
import { makeAdd } from './chainOps.js';
import type { DeviceChain } from './deviceChain.js';
import { PAIRING_MESSAGE_TTL_MS } from './mailboxWait.js';
import { PAIRING_STEPS, pairingMailboxId } from './pairingChannel.js';
import { sealMessage } from './pairingMessages.js';
import type { EnrollmentTransport } from './transport.js';

/** An enrolled device ready to approve another. */
export interface ApproverContext {
  device: Device;
  chain: DeviceChain;
  transport: EnrollmentTransport;
  clock: () => number;
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
 * Appends the `add` of `card` with its consent, then leaves the welcome naming the new head.
 * @throws {CryptoError} a `CHAIN_*` code (e.g. `CHAIN_CONSENT_INVALID`, `CHAIN_DEVICE_EXISTS`).
 * @throws {ForkAlarm} `FORK_ALARM`. @throws {RemoteError} from the transport.
 */
export async function addAndWelcome(ctx: ApproverContext, secret: Uint8Array, card: DevicePublic, consent: Uint8Array): Promise<void> {
  const { device, chain, transport, clock } = ctx;
  const { entry } = await chain.append(transport, (state) => makeAdd(device, state, card, consent, { now: clock() }));
  const welcome = sealMessage(device.suite, secret, PAIRING_STEPS.welcome, { h: entry!.hash, l: entry!.entry.i + 1 });
  await transport.mailboxPut(pairingMailboxId(device.suite, secret, PAIRING_STEPS.welcome), welcome, PAIRING_MESSAGE_TTL_MS);
}
