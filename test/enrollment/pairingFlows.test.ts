/** Pairing flows over an in-memory server: the joining side's own checks. */
import { describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { Account } from '../../src/enrollment/account.js';
import { makeAdd, signConsent } from '../../src/enrollment/chainOps.js';
import { PAIRING_STEPS, pairingMailboxId, sealPairingMessage } from '../../src/enrollment/pairingChannel.js';
import { createPairingOffer, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
import { MemoryTransport } from '../support/memoryTransport.js';

const FAST = { pollMs: 2, timeoutMs: 2000 };

async function setUp() {
  const phone = await Device.generate();
  const server = new MemoryTransport(phone.suite);
  const { account, recoveryWords } = await Account.create({ device: phone, transport: server });
  return { phone, server, account, recoveryWords };
}

describe('pairing flows', () => {
  it('QR: the new device joins and holds the same verified chain', async () => {
    const { server, account, recoveryWords } = await setUp();
    expect(recoveryWords?.split(' ')).toHaveLength(24);
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, 'https://sync.example');
    let shown: unknown;
    const [joined, added] = await Promise.all([
      Account.joinWithOffer({ device: laptop, offer, transport: server, connect: () => server, ...FAST }),
      account.approveOffer(encodePairingOffer(offer), { confirm: async (o) => ((shown = o.device.id), true), ...FAST }),
    ]);
    expect(shown).toEqual(laptop.id);
    expect(added.id).toEqual(laptop.id);
    expect(joined.accountId).toEqual(account.accountId);
    expect(joined.chain.head).toEqual(account.chain.head);
    expect(joined.device).toBe(laptop);
    expect(server.mailbox.size).toBe(1); // only the "used" marker is left
  });

  it('the joining device refuses a welcome that does not name its own add', async () => {
    const { phone, server, account } = await setUp();
    const laptop = await Device.generate();
    const stranger = await Device.generate();
    const offer = createPairingOffer(laptop, 'https://sync.example');
    const slot = (step: 1 | 2 | 3) => pairingMailboxId(phone.suite, offer.secret, step);
    const joining = Account.joinWithOffer({ device: laptop, offer, transport: server, connect: () => server, ...FAST });
    // A dishonest approver: it invites the laptop, but adds a stranger and welcomes the laptop.
    await server.mailboxPut(slot(1), sealPairingMessage(phone.suite, offer.secret, PAIRING_STEPS.invite, {
      a: account.accountId, h: account.chain.head, dev: encodeDevicePublic(phone.public),
    }));
    const add = makeAdd(phone, account.chain.state, stranger.public, signConsent(stranger, account.accountId));
    server.push(add);
    await server.mailboxPut(slot(3), sealPairingMessage(phone.suite, offer.secret, PAIRING_STEPS.welcome, { h: add.hash, l: 2 }));
    await expect(joining).rejects.toMatchObject({ code: 'PAIRING_NOT_ADDED' });
  });

  it('a message the wrong shape is refused', async () => {
    const { phone, server } = await setUp();
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, 'https://sync.example');
    const joining = Account.joinWithOffer({ device: laptop, offer, transport: server, connect: () => server, ...FAST });
    await server.mailboxPut(
      pairingMailboxId(phone.suite, offer.secret, PAIRING_STEPS.invite),
      sealPairingMessage(phone.suite, offer.secret, PAIRING_STEPS.invite, { a: new Uint8Array(32), h: new Uint8Array(31), dev: encodeDevicePublic(phone.public) }),
    );
    await expect(joining).rejects.toMatchObject({ code: 'PAIRING_MESSAGE_INVALID' });
  });

  it('a joiner nobody approves times out, and an offer for another device is refused', async () => {
    const { server } = await setUp();
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, 'https://sync.example');
    await expect(Account.joinWithOffer({ device: laptop, offer, transport: server, connect: () => server, pollMs: 2, timeoutMs: 20 })).rejects.toMatchObject({
      code: 'PAIRING_TIMEOUT',
    });
    const other = await Device.generate();
    await expect(Account.joinWithOffer({ device: other, offer, transport: server, connect: () => server, ...FAST })).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
    });
    const controller = new AbortController();
    const waiting = Account.joinWithOffer({ device: laptop, offer, transport: server, connect: () => server, ...FAST, signal: controller.signal });
    controller.abort(new Error('user left'));
    await expect(waiting).rejects.toThrow('user left');
  });
});
