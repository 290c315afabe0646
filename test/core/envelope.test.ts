import { describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { DeviceDirectory } from '../../src/core/deviceDirectory.js';
import { HEADER_BYTES, STANZA_BYTES, parseEnvelope } from '../../src/core/envelopeFormat.js';
import { envelopeHash } from '../../src/core/envelopeHash.js';
import { open } from '../../src/core/open.js';
import { BODY_NONCE, seal } from '../../src/core/seal.js';
import { encodeValue } from '../../src/core/cbor.js';
import { pad } from '../../src/core/padding.js';
import { isMultikeySyncError } from '../../src/errors.js';
import { ACCOUNT, BACKENDS, HEAD, makeDevices, sampleCall } from '../support/devices.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!isMultikeySyncError(e)) throw e;
    return e.code;
  }
}

describe.each(BACKENDS)('envelopes on the %s backend', (backend) => {
  it('a record sealed for three devices opens on each, and a fourth device gets null', async () => {
    const [phone, laptop, tablet, stranger] = await makeDevices(4, backend);
    const devices = new DeviceDirectory([phone!.public, laptop!.public, tablet!.public]);
    const env = seal(phone!, ACCOUNT, devices, { body: sampleCall, revision: 1, sequence: 7, chainHead: HEAD, expiryDay: 20_000 });
    for (const d of [phone!, laptop!, tablet!]) {
      const opened = open(d, ACCOUNT, devices, env);
      expect(opened?.body).toEqual(sampleCall);
      expect(opened?.revision).toBe(1);
      expect(opened?.sequence).toBe(7);
      expect(opened?.expiryDay).toBe(20_000);
      expect(opened?.sender).toEqual(phone!.id);
      expect(opened?.chainHead).toEqual(HEAD);
    }
    expect(open(stranger!, ACCOUNT, devices, env)).toBeNull();
  });

  it('costs the padded body plus 95 bytes plus 64 bytes per device', async () => {
    const devs = await makeDevices(5, backend);
    const env = seal(devs[0]!, ACCOUNT, devs.map((d) => d.public), { body: sampleCall, revision: 0, sequence: 0, chainHead: HEAD });
    const padded = pad(encodeValue(sampleCall)).length;
    expect(env.length).toBe(padded + HEADER_BYTES + 16 + 64 * 5);
    expect(env.length).toBeLessThanOrEqual(padded + 120 + 64 * 5);
  });

  it('keeps the record id across revisions and draws a fresh one otherwise', async () => {
    const [a, b] = await makeDevices(2, backend);
    const to = [a!.public, b!.public];
    const first = parseEnvelope(seal(a!, ACCOUNT, to, { body: 1, revision: 0, sequence: 0, chainHead: HEAD }));
    const again = parseEnvelope(seal(a!, ACCOUNT, to, { body: 2, revision: 1, sequence: 1, chainHead: HEAD, recordId: first.recordId }));
    const other = parseEnvelope(seal(a!, ACCOUNT, to, { body: 3, revision: 0, sequence: 2, chainHead: HEAD }));
    expect(again.recordId).toEqual(first.recordId);
    expect(other.recordId).not.toEqual(first.recordId);
  });

  it('refuses an envelope whose sender is not in the device list', async () => {
    const [a, b, c] = await makeDevices(3, backend);
    const env = seal(a!, ACCOUNT, [a!.public, b!.public], { body: 'x', revision: 0, sequence: 0, chainHead: HEAD });
    expect(codeOf(() => open(b!, ACCOUNT, new DeviceDirectory([b!.public, c!.public]), env))).toBe('ENVELOPE_UNKNOWN_SENDER');
  });

  it('does not open in another account', async () => {
    const [a, b] = await makeDevices(2, backend);
    const dir = new DeviceDirectory([a!.public, b!.public]);
    const env = seal(a!, ACCOUNT, dir, { body: 'x', revision: 0, sequence: 0, chainHead: HEAD });
    expect(codeOf(() => open(b!, new Uint8Array(32), dir, env))).toBe('ENVELOPE_TAMPERED');
  });

  it('detects a flipped bit in the header, the body and the reader\'s own wrapped key', async () => {
    const [a, b] = await makeDevices(2, backend);
    const dir = new DeviceDirectory([a!.public, b!.public]);
    const env = seal(a!, ACCOUNT, dir, { body: sampleCall, revision: 3, sequence: 9, chainHead: HEAD });
    const bStanza = env.length - STANZA_BYTES; // b is the second recipient
    for (const at of [3, 19, 40, 60, 76, HEADER_BYTES + 5, bStanza - STANZA_BYTES - 1, bStanza + 20]) {
      const bad = env.slice();
      bad[at]! ^= 0x01;
      expect(codeOf(() => open(b!, ACCOUNT, dir, bad)), `byte ${at}`).toBe('ENVELOPE_TAMPERED');
    }
  });

  it('a co-recipient who knows the content key cannot forge or alter a record for another device', async () => {
    const [alice, mallory, carol] = await makeDevices(3, backend);
    const dir = new DeviceDirectory([alice!.public, mallory!.public, carol!.public]);
    const suite = mallory!.suite;
    const env = seal(alice!, ACCOUNT, dir, { body: { peer: '+14155550123' }, revision: 1, sequence: 1, chainHead: HEAD });
    const parsed = parseEnvelope(env);
    // Mallory unwraps her own stanza, so she learns the content key K.
    const hash = envelopeHash(suite, ACCOUNT, parsed.headerAndBody);
    const mStanza = parsed.stanzas.subarray(STANZA_BYTES + 16, 2 * STANZA_BYTES);
    const contentKey = suite.aeadDecrypt(mallory!.pairwiseKey(alice!.public, 'from'), hash.subarray(0, 24), mStanza, hash);
    expect(contentKey).not.toBeNull();

    // She re-encrypts a different body under K, keeping Alice's header and Carol's stanza.
    const forgedBody = suite.aeadEncrypt(
      contentKey!,
      BODY_NONCE,
      pad(encodeValue({ peer: '+19995550000' })),
      new Uint8Array([...ACCOUNT, ...parsed.headerBytes]),
    );
    expect(forgedBody.length).toBe(parsed.body.length);
    const forged = env.slice();
    forged.set(forgedBody, HEADER_BYTES);
    expect(codeOf(() => open(carol!, ACCOUNT, dir, forged))).toBe('ENVELOPE_TAMPERED');

    // Nor can she re-wrap K for Carol under her own pairwise key while the header names Alice.
    const forgedHash = envelopeHash(suite, ACCOUNT, new Uint8Array([...parsed.headerBytes, ...forgedBody]));
    const rewrap = suite.aeadEncrypt(mallory!.pairwiseKey(carol!.public, 'to'), forgedHash.subarray(0, 24), contentKey!, forgedHash);
    forged.set(rewrap, HEADER_BYTES + parsed.body.length + 2 * STANZA_BYTES + 16);
    expect(codeOf(() => open(carol!, ACCOUNT, dir, forged))).toBe('ENVELOPE_TAMPERED');

    // Carol still opens Alice's original.
    expect(open(carol!, ACCOUNT, dir, env)?.body).toEqual({ peer: '+14155550123' });
  });

  it('rejects bad seal input with typed errors', async () => {
    const [a] = await makeDevices(1, backend);
    const to = [a!.public];
    const base = { body: 1, revision: 0, sequence: 0, chainHead: HEAD };
    expect(codeOf(() => seal(a!, ACCOUNT, [], base))).toBe('RECIPIENTS_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, [a!.public, a!.public], base))).toBe('RECIPIENT_DUPLICATE');
    expect(codeOf(() => seal(a!, ACCOUNT, to, { ...base, revision: -1 }))).toBe('SEAL_INPUT_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, to, { ...base, sequence: 2 ** 32 }))).toBe('SEAL_INPUT_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, to, { ...base, expiryDay: 70_000 }))).toBe('SEAL_INPUT_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, to, { ...base, chainHead: new Uint8Array(31) }))).toBe('SEAL_INPUT_INVALID');
    expect(codeOf(() => seal(a!, new Uint8Array(3), to, base))).toBe('ACCOUNT_ID_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, to, { ...base, recordId: new Uint8Array(15) }))).toBe('SEAL_INPUT_INVALID');
  });

  it('carries tombstones', async () => {
    const [a] = await makeDevices(1, backend);
    const env = seal(a!, ACCOUNT, [a!.public], { kind: 'tombstone', body: null, revision: 4, sequence: 1, chainHead: HEAD });
    expect(parseEnvelope(env).kind).toBe('tombstone');
    expect(open(a!, ACCOUNT, new DeviceDirectory([a!.public]), env)?.kind).toBe('tombstone');
  });

  it('after a key rotation, old pairwise keys are not reused', async () => {
    const [a, b] = await makeDevices(2, backend);
    const b2 = b!.rotateEncryptionKey();
    const env = seal(a!, ACCOUNT, [b!.public], { body: 'old', revision: 0, sequence: 0, chainHead: HEAD });
    const env2 = seal(a!, ACCOUNT, [b2.public], { body: 'new', revision: 0, sequence: 1, chainHead: HEAD });
    const senders = new DeviceDirectory([a!.public]);
    expect(open(b!, ACCOUNT, senders, env)?.body).toBe('old');
    expect(open(b2, ACCOUNT, senders, env2)?.body).toBe('new');
    expect(codeOf(() => open(b!, ACCOUNT, senders, env2))).toBe('ENVELOPE_TAMPERED');
    expect(b2.id).toEqual(b!.id);
  });
});

describe('across backends', () => {
  it('whatever one backend seals the other opens', async () => {
    const sodiumA = await Device.generate({ backend: 'sodium' });
    const nobleA = await Device.fromSecrets(sodiumA.exportSecrets(), { backend: 'noble' });
    const sodiumB = await Device.generate({ backend: 'sodium' });
    const nobleB = await Device.fromSecrets(sodiumB.exportSecrets(), { backend: 'noble' });
    expect(nobleA.public).toEqual(sodiumA.public);
    const dir = new DeviceDirectory([sodiumA.public, sodiumB.public]);
    const bySodium = seal(sodiumA, ACCOUNT, dir, { body: sampleCall, revision: 0, sequence: 0, chainHead: HEAD });
    const byNoble = seal(nobleA, ACCOUNT, dir, { body: sampleCall, revision: 0, sequence: 1, chainHead: HEAD });
    expect(open(nobleB, ACCOUNT, dir, bySodium)?.body).toEqual(sampleCall);
    expect(open(sodiumB, ACCOUNT, dir, byNoble)?.body).toEqual(sampleCall);
  });
});
