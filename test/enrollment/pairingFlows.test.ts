/** Pairing flows over an in-memory server: the joining side's own checks. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { Device } from '../../src/core/device.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { Account } from '../../src/enrollment/account.js';
import { deviceKeys, makeAdd, signConsent } from '../../src/enrollment/chainOps.js';
import { PAIRING_STEPS, pairingMailboxId, sealPairingMessage, type PairingStep } from '../../src/enrollment/pairingChannel.js';
import { pairingCodeSecret } from '../../src/enrollment/pairingCode.js';
import { createPairingOffer, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
import type { SecurityWarning } from '../../src/enrollment/securityWarning.js';
import { MemoryTransport } from '../support/memoryTransport.js';
import { approving, sasScreens } from '../support/sasScreens.js';

const FAST = { pollMs: 2, timeoutMs: 2000 };

async function setUp() {
  const phone = await Device.generate();
  const server = new MemoryTransport(phone.suite);
  const { account, recoveryWords } = await Account.create({ device: phone, transport: server });
  return { phone, server, account, recoveryWords };
}

/** What sits in the mailbox slot of `step` (without taking it). */
function peek(server: MemoryTransport, suite: Device['suite'], secret: Uint8Array, step: PairingStep): Uint8Array | undefined {
  return server.mailbox.get(toHex(pairingMailboxId(suite, secret, step)));
}

describe('pairing flows', () => {
  it('QR: the new device joins once its user saw the same code on both screens, and holds the same verified chain', async () => {
    const { server, account, recoveryWords } = await setUp();
    expect(recoveryWords?.split(' ')).toHaveLength(24);
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, 'https://sync.example');
    const screens = sasScreens();
    let shown: unknown;
    const [joined, added] = await Promise.all([
      Account.joinWithOffer({ device: laptop, offer, transport: server, connect: () => server, confirmSas: screens.confirmSas, ...FAST }),
      approving(screens, account.approveOffer(encodePairingOffer(offer), { confirm: async (o) => ((shown = o.device.id), true), showSas: screens.showSas, ...FAST })),
    ]);
    expect(shown).toEqual(laptop.id);
    expect(await screens.shown).toMatch(/^\d{3} \d{3}$/);
    expect(added.id).toEqual(laptop.id);
    expect(joined.accountId).toEqual(account.accountId);
    expect(joined.chain.head).toEqual(account.chain.head);
    expect(joined.device).toBe(laptop);
    expect(joined.chain.state.devices.get(String.fromCharCode(...laptop.id))?.keyStatement.bytes).toEqual(laptop.epochs.get(0)!.statement.bytes);
    expect(server.mailbox.size).toBe(1); // only the "used" marker is left
  });

  it('QR: an invite the user does not confirm gets a reveal and nothing signed', async () => {
    const { phone, server, account } = await setUp();
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, 'https://sync.example');
    let asked: string | undefined;
    const joining = Account.joinWithOffer({
      device: laptop, offer, transport: server, connect: () => server, confirmSas: async (sas) => ((asked = sas), false), ...FAST,
    });
    await server.mailboxPut(pairingMailboxId(phone.suite, offer.secret, PAIRING_STEPS.invite), sealPairingMessage(phone.suite, offer.secret, PAIRING_STEPS.invite, {
      a: account.accountId, h: account.chain.head, dev: encodeDevicePublic(phone.public), n: new Uint8Array(32).fill(5),
    }));
    await expect(joining).rejects.toMatchObject({ code: 'PAIRING_DECLINED' });
    expect(asked).toMatch(/^\d{3} \d{3}$/);
    expect(peek(server, phone.suite, offer.secret, PAIRING_STEPS.reveal)).toBeDefined();
    expect(peek(server, phone.suite, offer.secret, PAIRING_STEPS.consent)).toBeUndefined();
  });

  it('the joining device refuses a welcome that does not name its own add', async () => {
    const { phone, server, account } = await setUp();
    const laptop = await Device.generate();
    const stranger = await Device.generate();
    const offer = createPairingOffer(laptop, 'https://sync.example');
    const slot = (step: PairingStep) => pairingMailboxId(phone.suite, offer.secret, step);
    const joining = Account.joinWithOffer({ device: laptop, offer, transport: server, connect: () => server, confirmSas: async () => true, ...FAST });
    // A dishonest approver: it invites the laptop, but adds a stranger and welcomes the laptop.
    await server.mailboxPut(slot(PAIRING_STEPS.invite), sealPairingMessage(phone.suite, offer.secret, PAIRING_STEPS.invite, {
      a: account.accountId, h: account.chain.head, dev: encodeDevicePublic(phone.public), n: new Uint8Array(32),
    }));
    const add = makeAdd(phone, account.chain.state, deviceKeys(stranger), signConsent(stranger, account.accountId));
    server.push(add);
    await server.mailboxPut(slot(PAIRING_STEPS.welcome), sealPairingMessage(phone.suite, offer.secret, PAIRING_STEPS.welcome, { h: add.hash, l: 2 }));
    await expect(joining).rejects.toMatchObject({ code: 'PAIRING_NOT_ADDED' });
  });

  it('a message the wrong shape is refused, and so is a used marker other than {used: 1}', async () => {
    const { phone, server } = await setUp();
    const laptop = await Device.generate();
    for (const invite of [{ a: new Uint8Array(32), h: new Uint8Array(31), dev: encodeDevicePublic(phone.public), n: new Uint8Array(32) }, { used: 2 }]) {
      const offer = createPairingOffer(laptop, 'https://sync.example');
      const joining = Account.joinWithOffer({ device: laptop, offer, transport: server, connect: () => server, confirmSas: async () => true, ...FAST });
      await server.mailboxPut(pairingMailboxId(phone.suite, offer.secret, PAIRING_STEPS.invite), sealPairingMessage(phone.suite, offer.secret, PAIRING_STEPS.invite, invite));
      await expect(joining).rejects.toMatchObject({ code: 'PAIRING_MESSAGE_INVALID' });
    }
  });

  it('a joiner nobody approves times out, and an offer for another device (or without its nonce) is refused', async () => {
    const { server } = await setUp();
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, 'https://sync.example');
    const join = { device: laptop, offer, transport: server, connect: () => server, confirmSas: async () => true };
    await expect(Account.joinWithOffer({ ...join, pollMs: 2, timeoutMs: 20 })).rejects.toMatchObject({ code: 'PAIRING_TIMEOUT' });
    const other = await Device.generate();
    await expect(Account.joinWithOffer({ ...join, device: other, ...FAST })).rejects.toMatchObject({ code: 'ARGUMENT_INVALID' });
    const { nonce: _nonce, ...scanned } = offer;
    await expect(Account.joinWithOffer({ ...join, offer: scanned, ...FAST })).rejects.toMatchObject({ code: 'ARGUMENT_INVALID' });
    const controller = new AbortController();
    const waiting = Account.joinWithOffer({ ...join, ...FAST, signal: controller.signal });
    controller.abort(new Error('user left'));
    await expect(waiting).rejects.toThrow('user left');
  });

  it('an approver that finds the offer used warns the app, besides throwing', async () => {
    const { server, account } = await setUp();
    const warnings: SecurityWarning[] = [];
    const stop = account.onSecurityWarning((w) => warnings.push(w));
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, 'https://sync.example');
    await server.mailboxPut(pairingMailboxId(laptop.suite, offer.secret, PAIRING_STEPS.invite), new Uint8Array(48)); // someone was first
    await expect(account.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: () => undefined, ...FAST })).rejects.toMatchObject({
      code: 'PAIRING_OFFER_USED',
    });
    expect(warnings).toMatchObject([{ code: 'PAIRING_OFFER_USED', flow: 'qr' }]);
    expect(warnings[0]!.device?.id).toEqual(laptop.id);
    stop();
  });

  it('code pairing: the joiner sends its consent only after its user confirmed the codes', async () => {
    const { server, account } = await setUp();
    const laptop = await Device.generate();
    const started = await Account.startCodePairing({ device: laptop, transport: server });
    const secret = pairingCodeSecret(laptop.suite, started.code);
    let consentBeforeConfirm: Uint8Array | undefined;
    const joinerSaw: string[] = [];
    const approverSaw: string[] = [];
    const [joined] = await Promise.all([
      started.complete(() => server, {
        confirmSas: async (sas) => {
          joinerSaw.push(sas);
          consentBeforeConfirm = peek(server, laptop.suite, secret, PAIRING_STEPS.consent);
          return true;
        },
        ...FAST,
      }),
      account.approveCode(started.code, { confirmSas: async (sas) => (approverSaw.push(sas), true), ...FAST }),
    ]);
    expect(consentBeforeConfirm).toBeUndefined();
    expect(joinerSaw).toEqual(approverSaw);
    expect(joined.chain.head).toEqual(account.chain.head);

    // The user says the codes differ: nothing is consented to, nothing is added.
    const tablet = await Device.generate();
    const again = await Account.startCodePairing({ device: tablet, transport: server });
    const head = account.chain.head;
    const results = await Promise.allSettled([
      again.complete(() => server, { confirmSas: async () => false, ...FAST }),
      account.approveCode(again.code, { confirmSas: async () => true, pollMs: 2, timeoutMs: 200 }),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'))).toEqual(['PAIRING_DECLINED', 'PAIRING_TIMEOUT']);
    expect(peek(server, tablet.suite, pairingCodeSecret(tablet.suite, again.code), PAIRING_STEPS.consent)).toBeUndefined();
    expect(account.chain.head).toEqual(head);
  });
});
