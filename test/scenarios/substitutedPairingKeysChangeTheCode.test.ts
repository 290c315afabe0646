/**
 * Pairing without a camera: the laptop shows a code, the user types it on the phone, and both
 * show a 6-digit code to compare. The rendezvous code is short enough for the operator to find
 * from the mailbox ids, so here it simply knows it, and its store hands the phone its own
 * device's messages instead of the laptop's. Having committed to its key before it saw the
 * phone's nonce, it cannot make the two 6-digit codes match; the user says they differ, and
 * nothing is added.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/client/httpClient.js';
import { equalBytes } from '../../src/crypto/bytes.js';
import { Device } from '../../src/core/device.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { Account } from '../../src/enrollment/account.js';
import { openPairingMessage, PAIRING_STEPS, pairingMailboxId, sealPairingMessage, type PairingStep } from '../../src/enrollment/pairingChannel.js';
import { pairingCodeSecret } from '../../src/enrollment/pairingCode.js';
import { sasCommitment } from '../../src/enrollment/sas.js';
import { accountWith, FAST, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { rewritingMailbox } from '../support/hostileOperator.js';

/** The operator's plan for a pairing whose code it learned. */
interface Interception {
  code: string;
  /** Returns what to hand out instead of `bytes`, the message under `step`. */
  rewrite: (secret: Uint8Array, step: PairingStep, bytes: Uint8Array) => Uint8Array;
}

let env: EnrollmentEnv;
let mitm: Device;
let intercept: Interception | undefined;
beforeEach(async () => {
  intercept = undefined;
  mitm = await Device.generate();
  env = await startEnrollmentServer({
    wrapStore: (store) =>
      rewritingMailbox(store, (id, bytes) => {
        if (intercept === undefined) return bytes;
        const secret = pairingCodeSecret(mitm.suite, intercept.code);
        const step = Object.values(PAIRING_STEPS).find((s) => equalBytes(id, pairingMailboxId(mitm.suite, secret, s)));
        return step === undefined ? bytes : intercept.rewrite(secret, step, bytes);
      }),
  });
});
afterEach(async () => env.stop());

/** Two users looking at two screens: each answers once both codes are shown. */
function twoScreens() {
  const show = { joiner: (_: string) => {}, approver: (_: string) => {} };
  const seen = {
    joiner: new Promise<string>((resolve) => (show.joiner = resolve)),
    approver: new Promise<string>((resolve) => (show.approver = resolve)),
  };
  return {
    seen,
    joiner: async (sas: string) => (show.joiner(sas), sas === (await seen.approver)),
    approver: async (sas: string) => (show.approver(sas), sas === (await seen.joiner)),
  };
}

async function setUp() {
  const { devices } = await accountWith(env, 1);
  const phone = devices[0] as Account<HttpClient>;
  const laptop = await Device.generate();
  const started = await Account.startCodePairing({ device: laptop, transport: env.anonymous(laptop), clock: env.clock.now });
  return { phone, laptop, started, screens: twoScreens() };
}

describe('substituted pairing keys change the code', () => {
  it('on an honest server both devices show the same code and the laptop joins', async () => {
    const { phone, laptop, started, screens } = await setUp();
    expect(started.code).toMatch(/^\d{4}-\d{4}-\d{2}$/);
    const [joined, added] = await Promise.all([
      started.complete(env.connect, { confirmSas: screens.joiner, ...FAST }),
      phone.approveCode(started.code, { confirmSas: screens.approver, ...FAST }),
    ]);
    expect(await screens.seen.joiner).toMatch(/^\d{3} \d{3}$/);
    expect(await screens.seen.joiner).toBe(await screens.seen.approver);
    expect(added.id).toEqual(laptop.id);
    expect(joined.chain.head).toEqual(phone.chain.head);
    expect(joined.chain.activeDevices().map((d) => d.id)).toContainEqual(laptop.id);
  });

  it('an operator that swaps in its own device makes the codes differ, and the phone adds nothing', async () => {
    const { phone, laptop, started, screens } = await setUp();
    const card = encodeDevicePublic(mitm.public);
    const nonce = new Uint8Array(32).fill(0x66);
    intercept = {
      code: started.code,
      rewrite(secret, step, bytes) {
        if (step === PAIRING_STEPS.commit) {
          return sealPairingMessage(mitm.suite, secret, step, { c: sasCommitment(mitm.suite, card, nonce) });
        }
        if (step === PAIRING_STEPS.reveal) {
          // The operator reads the laptop's reveal and replaces it with its own device's.
          expect(openPairingMessage(mitm.suite, secret, step, bytes).dev).toEqual(encodeDevicePublic(laptop.public));
          return sealPairingMessage(mitm.suite, secret, step, { dev: card, n: nonce });
        }
        if (step === PAIRING_STEPS.consent) throw new Error('the laptop consents only after its user saw matching codes');
        return bytes;
      },
    };
    const [joining, approving] = await Promise.allSettled([
      started.complete(env.connect, { confirmSas: screens.joiner, ...FAST }),
      phone.approveCode(started.code, { confirmSas: screens.approver, ...FAST }),
    ]);
    expect(await screens.seen.joiner).not.toBe(await screens.seen.approver);
    expect(approving).toMatchObject({ status: 'rejected', reason: { code: 'PAIRING_DECLINED' } });
    expect(joining).toMatchObject({ status: 'rejected', reason: { code: 'PAIRING_DECLINED' } });
    await phone.refresh();
    expect(phone.chain.length).toBe(1);
    expect(phone.chain.activeDevices().map((d) => d.id)).not.toContainEqual(mitm.id);
  });

  it('a reveal that does not match the commitment is refused before any code is shown', async () => {
    const { phone, started } = await setUp();
    intercept = {
      code: started.code,
      rewrite(secret, step, bytes) {
        if (step !== PAIRING_STEPS.reveal) return bytes;
        const nonce = new Uint8Array(32).fill(1);
        return sealPairingMessage(mitm.suite, secret, step, { dev: encodeDevicePublic(mitm.public), n: nonce });
      },
    };
    let approverShown = false;
    const [, approving] = await Promise.allSettled([
      started.complete(env.connect, { confirmSas: async () => false, ...FAST }),
      phone.approveCode(started.code, { confirmSas: async () => (approverShown = true), ...FAST }),
    ]);
    expect(approving).toMatchObject({ status: 'rejected', reason: { code: 'SAS_COMMITMENT_MISMATCH' } });
    expect(approverShown).toBe(false);
  });

  it('a mistyped code is refused at once', async () => {
    const { phone, started } = await setUp();
    const digits = started.code.replace(/-/g, '');
    const typo = `${digits.slice(0, 3)}${(Number(digits[3]) + 1) % 10}${digits.slice(4)}`;
    await expect(phone.approveCode(typo, { confirmSas: async () => true, ...FAST })).rejects.toMatchObject({ code: 'PAIRING_CODE_INVALID' });
  });
});
