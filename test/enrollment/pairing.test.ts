import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../src/crypto/bytes.js';
import { Device } from '../../src/core/device.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { openPairingMessage, PAIRING_STEPS, pairingMailboxId, sealPairingMessage } from '../../src/enrollment/pairingChannel.js';
import { createPairingOffer, decodePairingOffer, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
import { checkSasCommitment, sasCode, sasCommitment } from '../../src/enrollment/sas.js';
import { FC_RUNS } from '../support/devices.js';

describe('pairing offer', () => {
  it('round-trips through its URI and expires', async () => {
    const laptop = await Device.generate();
    const offer = createPairingOffer(laptop, 'http://127.0.0.1:8787', { now: 1000, ttlMs: 60_000 });
    const uri = encodePairingOffer(offer);
    expect(uri).toMatch(/^multikey-sync:pair\?o=[A-Za-z0-9_-]+$/);
    const { nonce, ...shown } = offer;
    expect(nonce).toHaveLength(32);
    expect(decodePairingOffer(laptop.suite, uri, 2000)).toEqual(shown); // the nonce never leaves the device
    expect(() => decodePairingOffer(laptop.suite, uri, 61_000)).toThrowError(expect.objectContaining({ code: 'PAIRING_OFFER_EXPIRED' }));
  });

  it('refuses anything that is not an offer', async () => {
    const laptop = await Device.generate();
    const uri = encodePairingOffer(createPairingOffer(laptop, 'https://sync.example'));
    for (const bad of ['', 'https://example.com', uri.slice(0, -5), uri.replace('o=', 'o=AA'), `${uri}!`]) {
      expect(() => decodePairingOffer(laptop.suite, bad)).toThrowError(expect.objectContaining({ code: 'PAIRING_OFFER_INVALID' }));
    }
  });

  it('base64url round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }), { numRuns: FC_RUNS });
  });
});

describe('pairing channel', () => {
  it('a message opens only with the same secret and for the same step', async () => {
    const { suite } = await Device.generate();
    const secret = new Uint8Array(32).fill(7);
    const sealed = sealPairingMessage(suite, secret, PAIRING_STEPS.invite, { account: new Uint8Array(32) });
    expect(openPairingMessage(suite, secret, PAIRING_STEPS.invite, sealed)).toEqual({ account: new Uint8Array(32) });
    expect(() => openPairingMessage(suite, secret, PAIRING_STEPS.welcome, sealed)).toThrowError(expect.objectContaining({ code: 'PAIRING_MESSAGE_INVALID' }));
    expect(() => openPairingMessage(suite, new Uint8Array(32), PAIRING_STEPS.invite, sealed)).toThrowError(expect.objectContaining({ code: 'PAIRING_MESSAGE_INVALID' }));
    expect(pairingMailboxId(suite, secret, 1)).not.toEqual(pairingMailboxId(suite, secret, 2));
  });
});

describe('short authentication string', () => {
  it('both sides compute the same code; a substituted key or account changes it', async () => {
    const [laptop, phone, mitm] = [await Device.generate(), await Device.generate(), await Device.generate()];
    const suite = laptop.suite;
    const account = new Uint8Array(32).fill(0xac);
    const nNew = new Uint8Array(32).fill(1);
    const nApprover = new Uint8Array(32).fill(2);
    const card = encodeDevicePublic(laptop.public);
    const commitment = sasCommitment(suite, card, nNew);
    expect(() => checkSasCommitment(suite, commitment, card, nNew)).not.toThrow();
    expect(() => checkSasCommitment(suite, commitment, encodeDevicePublic(mitm.public), nNew)).toThrowError(
      expect.objectContaining({ code: 'SAS_COMMITMENT_MISMATCH' }),
    );
    const code = sasCode(suite, account, card, encodeDevicePublic(phone.public), nNew, nApprover);
    expect(code).toMatch(/^\d{3} \d{3}$/);
    expect(sasCode(suite, account, encodeDevicePublic(mitm.public), encodeDevicePublic(phone.public), nNew, nApprover)).not.toBe(code);
    expect(sasCode(suite, new Uint8Array(32), card, encodeDevicePublic(phone.public), nNew, nApprover)).not.toBe(code);
  });
});
