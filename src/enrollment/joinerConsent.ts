/**
 * The joining side of a pairing once the invite is in, shared by QR and code pairing: mark the
 * invite slot used, reveal the nonce the new device committed to, show the short
 * authentication string, and send the consent (with the epoch-0 key statement) only if the
 * user says both devices show the same code. Until then the new device has signed nothing for
 * the account the invite names: an invite from whoever photographed the QR code, or guessed
 * the digits, gets a reveal and nothing else.
 */
import { RemoteError, UsageError } from '../errors.js';
import type { Device } from '../core/device.js';
import { encodeDevicePublic } from '../core/devicePublic.js';
import { deviceKeys, signConsent } from './chainOps.js';
import { PAIRING_MESSAGE_TTL_MS } from './mailboxWait.js';
import { PAIRING_STEPS, pairingMailboxId, type PairingStep } from './pairingChannel.js';
import { sealMessage, usedMarker, type Invite } from './pairingMessages.js';
import { sasCode } from './sas.js';
import type { EnrollmentTransport } from './transport.js';

/** What the joining side needs for these steps. */
export interface JoinerStep {
  device: Device;
  transport: EnrollmentTransport;
  secret: Uint8Array;
  /** The nonce the new device committed to. */
  nonce: Uint8Array;
  /** How long the used marker stays (until the offer expires, for QR). */
  usedTtlMs: number;
  /** Shows the code; resolves true when the user says the approving device shows the same. */
  confirmSas: (sas: string) => Promise<boolean>;
  /** Code pairing: the reveal carries the card too (it did not come through a camera). */
  revealCard: boolean;
}

/**
 * @throws {UsageError} `PAIRING_DECLINED` when the user says the codes differ; `PAIRING_OFFER_USED`
 *   when someone else already wrote the reveal or the consent. @throws {RemoteError} from the transport.
 */
export async function revealAndConsent(step: JoinerStep, invite: Invite): Promise<void> {
  const { device, transport, secret, nonce } = step;
  const { suite } = device;
  const slot = (s: PairingStep) => pairingMailboxId(suite, secret, s);
  const put = async (s: PairingStep, message: Record<string, unknown>) => {
    try {
      await transport.mailboxPut(slot(s), sealMessage(suite, secret, s, message), PAIRING_MESSAGE_TTL_MS);
    } catch (error) {
      if (error instanceof RemoteError && error.code === 'MAILBOX_FULL') {
        throw new UsageError('PAIRING_OFFER_USED', 'someone else is answering this pairing: make a new one', { cause: error });
      }
      throw error;
    }
  };
  // Best effort: a second approver now finds the invite slot taken.
  await transport.mailboxPut(slot(PAIRING_STEPS.invite), usedMarker(suite, secret), step.usedTtlMs).catch(() => undefined);
  const card = encodeDevicePublic(device.public);
  await put(PAIRING_STEPS.reveal, step.revealCard ? { dev: card, n: nonce } : { n: nonce });
  const sas = sasCode(suite, invite.account, card, encodeDevicePublic(invite.approver), nonce, invite.nonce);
  if (!(await step.confirmSas(sas))) throw new UsageError('PAIRING_DECLINED', 'the user said the two devices show different codes');
  await put(PAIRING_STEPS.consent, { ok: signConsent(device, invite.account), xk: deviceKeys(device).keyStatement.bytes });
}
