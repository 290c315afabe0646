/**
 * Pairing without a camera: the new device shows a rendezvous code (pairingCode.ts), the user
 * types it on an enrolled device, and both devices then show a 6-digit short authentication
 * string (sas.ts) that the user compares. The order is commit-then-reveal:
 *
 *   joiner   → commit  {hash(joiner's card ‖ joiner's nonce)}
 *   approver → invite  {account, head, approver's card, approver's nonce}
 *   joiner   → reveal  {joiner's card, joiner's nonce}
 *   both show SAS(account, both cards, both nonces); the user compares on both devices
 *   joiner   → consent {consent signature, epoch-0 key statement}, only if its user said they match
 *   approver appends `add` only if its user said they match, then → welcome {head, length}
 *
 * The code is guessable offline from the mailbox ids, so a hostile server may read and rewrite
 * every message. It still loses: it must commit to a substitute card before it sees the
 * approver's nonce, and must send the joiner a nonce before it sees the joiner's, so the two
 * codes match with probability 10⁻⁶. The SAS is the security of this flow; the code is not. And
 * the joiner signs nothing for an account before its user has compared the codes.
 */
import { CryptoError, UsageError } from '../errors.js';
import type { Device } from '../core/device.js';
import { decodeDevicePublic, encodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { addAndWelcome, putInvite, withWarnings, type ApproverContext } from './approverContext.js';
import { deviceKeys } from './chainOps.js';
import type { DeviceChain } from './deviceChain.js';
import { revealAndConsent } from './joinerConsent.js';
import { joinChain } from './joinChain.js';
import { deadline, PAIRING_MESSAGE_TTL_MS, takeWhenReady, type WaitOptions } from './mailboxWait.js';
import { PAIRING_STEPS, pairingMailboxId, type PairingStep } from './pairingChannel.js';
import { createPairingCode, pairingCodeSecret } from './pairingCode.js';
import { openCommit, openInvite, openReveal, openWelcome, sealMessage } from './pairingMessages.js';
import { checkSasCommitment, sasCode, sasCommitment } from './sas.js';
import type { EnrollmentTransport, TransportFactory } from './transport.js';

/** How a side asks its user to compare the 6-digit codes. */
export interface SasOptions extends WaitOptions {
  /** Shows `sas` (e.g. "042 917"); resolves true when the user says both devices show it. */
  confirmSas: (sas: string) => Promise<boolean>;
}

/** Options of {@link startCodePairing}. */
export interface StartCodePairingOptions {
  device: Device;
  /** Any transport to the server: the mailbox needs no account. */
  transport: EnrollmentTransport;
  /** ms since the epoch; `Date.now` by default. */
  clock?: () => number;
  /** Randomness for the code and nonce (tests only). */
  random?: RandomSource;
}

/** A code pairing in progress on the joining device. */
export interface CodePairingStart {
  /** What the user types on the approving device, e.g. "4096-2231-57". */
  code: string;
  /** Waits for the approver, shows the SAS, and verifies the chain once added. */
  complete<T extends EnrollmentTransport>(connect: TransportFactory<T>, options: SasOptions): Promise<{ transport: T; chain: DeviceChain }>;
}

function declined(): UsageError {
  return new UsageError('PAIRING_DECLINED', 'the user said the two devices show different codes');
}

/**
 * The joining side's first step: make a code and leave the commitment.
 * `complete` throws {UsageError} `PAIRING_DECLINED`, `PAIRING_TIMEOUT`, `PAIRING_OFFER_USED`;
 * {CryptoError} `PAIRING_MESSAGE_INVALID`, `PAIRING_NOT_ADDED`; {ForkAlarm}; {RemoteError}.
 * @throws {UsageError} `KEY_STATEMENT_MISSING`. @throws {RemoteError} from the transport.
 */
export async function startCodePairing(options: StartCodePairingOptions): Promise<CodePairingStart> {
  const { device, transport } = options;
  const { suite } = device;
  const keys = deviceKeys(device);
  const random = options.random ?? systemRandom;
  const clock = options.clock ?? Date.now;
  const code = createPairingCode(random);
  const secret = pairingCodeSecret(suite, code);
  const slot = (step: PairingStep) => pairingMailboxId(suite, secret, step);
  const nonce = random(32);
  const commitment = sasCommitment(suite, encodeDevicePublic(device.public), nonce);
  await transport.mailboxPut(slot(PAIRING_STEPS.commit), sealMessage(suite, secret, PAIRING_STEPS.commit, { c: commitment }), PAIRING_MESSAGE_TTL_MS);
  return {
    code,
    async complete(connect, sasOptions) {
      const until = deadline(sasOptions);
      const invite = openInvite(suite, secret, await takeWhenReady(transport, slot(PAIRING_STEPS.invite), until));
      if (invite === 'used') throw new UsageError('PAIRING_OFFER_USED', 'this pairing code was already used: make a new one');
      await revealAndConsent(
        { device, transport, secret, nonce, usedTtlMs: PAIRING_MESSAGE_TTL_MS, confirmSas: sasOptions.confirmSas, revealCard: true },
        invite,
      );
      const welcome = openWelcome(suite, secret, await takeWhenReady(transport, slot(PAIRING_STEPS.welcome), deadline(sasOptions)));
      return joinChain(device, keys, invite, welcome, connect, clock);
    },
  };
}

/**
 * The approving side: returns the card of the device it added. `PAIRING_OFFER_USED` and
 * `SAS_COMMITMENT_MISMATCH` are also raised as security warnings (`ctx.warn`).
 * @throws {ValidationError} `PAIRING_CODE_INVALID`.
 * @throws {UsageError} `PAIRING_DECLINED`, `PAIRING_OFFER_USED`, `PAIRING_TIMEOUT`.
 * @throws {CryptoError} `PAIRING_MESSAGE_INVALID`, `SAS_COMMITMENT_MISMATCH`, `CHAIN_*`.
 * @throws {ForkAlarm} `FORK_ALARM`. @throws {RemoteError} from the transport.
 */
export async function approveCode(ctx: ApproverContext, code: string, options: SasOptions, random: RandomSource = systemRandom): Promise<DevicePublic> {
  const { device, chain, transport } = ctx;
  const { suite } = device;
  const secret = pairingCodeSecret(suite, code);
  return withWarnings(ctx, 'code', undefined, async () => {
    const slot = (step: PairingStep) => pairingMailboxId(suite, secret, step);
    const until = deadline(options);
    const commitment = openCommit(suite, secret, await takeWhenReady(transport, slot(PAIRING_STEPS.commit), until));
    const myCard = encodeDevicePublic(device.public);
    const nonce = random(32);
    await putInvite(ctx, secret, { a: chain.accountId, h: chain.head, dev: myCard, n: nonce }, PAIRING_MESSAGE_TTL_MS);
    const reveal = openReveal(suite, secret, await takeWhenReady(transport, slot(PAIRING_STEPS.reveal), until), true);
    checkSasCommitment(suite, commitment, reveal.card!, reveal.nonce);
    let joiner: DevicePublic;
    try {
      joiner = decodeDevicePublic(suite, reveal.card!);
    } catch (cause) {
      throw new CryptoError('PAIRING_MESSAGE_INVALID', 'the pairing message is not valid: the device card does not verify', { cause });
    }
    if (!(await options.confirmSas(sasCode(suite, chain.accountId, reveal.card!, myCard, reveal.nonce, nonce)))) throw declined();
    await addAndWelcome(ctx, secret, joiner, until);
    return joiner;
  });
}
