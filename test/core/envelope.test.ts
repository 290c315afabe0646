import { describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/core/cbor.js';
import { Device } from '../../src/core/device.js';
import { HEADER_BYTES, STANZA_BYTES, parseEnvelope } from '../../src/core/envelopeFormat.js';
import { envelopeHash, keyCommitment } from '../../src/core/envelopeHash.js';
import { derivePairKey } from '../../src/core/pairKey.js';
import { open, unwrapContentKey } from '../../src/core/open.js';
import { pad } from '../../src/core/padding.js';
import { BODY_NONCE, bodyAad, seal, sealEnvelope } from '../../src/core/seal.js';
import { ACCOUNT, BACKENDS, makeDevices, sampleCall } from '../support/devices.js';
import { TestKeys } from '../support/pairKeys.js';
import { codeOf } from '../support/codeOf.js';

describe.each(BACKENDS)('envelopes on the %s backend', (backend) => {
  it('a record sealed for three devices opens on each, and a fourth device gets null', async () => {
    const [phone, laptop, tablet, stranger] = await makeDevices(4, backend);
    const keys = TestKeys.among([phone!, laptop!, tablet!, stranger!]);
    const env = seal(phone!, ACCOUNT, keys.recipients(phone!, [phone!, laptop!, tablet!]), { body: sampleCall, revision: 1, expiryDay: 20_000 });
    for (const d of [phone!, laptop!, tablet!]) {
      const opened = open(d, ACCOUNT, keys.lookup(d), env);
      expect(opened?.body).toEqual(sampleCall);
      expect(opened?.revision).toBe(1);
      expect(opened?.expiryDay).toBe(20_000);
      expect(opened?.sender).toEqual(phone!.id);
    }
    expect(open(stranger!, ACCOUNT, keys.lookup(stranger!), env)).toBeNull();
  });

  it('costs the padded body plus 91 bytes plus 68 bytes per device', async () => {
    const devs = await makeDevices(5, backend);
    const keys = TestKeys.among(devs);
    const env = seal(devs[0]!, ACCOUNT, keys.recipients(devs[0]!, devs), { body: sampleCall, revision: 0 });
    const padded = pad(encodeValue(sampleCall)).length;
    expect(env.length).toBe(padded + HEADER_BYTES + 16 + 68 * 5);
    // The design budget: padded body + 120 + 64 per device.
    expect(env.length).toBeLessThanOrEqual(padded + 120 + 64 * 5);
  });

  it('keeps the record id across revisions and draws a fresh one otherwise', async () => {
    const [a, b] = await makeDevices(2, backend);
    const to = TestKeys.among([a!, b!]).recipients(a!, [a!, b!]);
    const first = parseEnvelope(seal(a!, ACCOUNT, to, { body: 1, revision: 0 }));
    const again = parseEnvelope(seal(a!, ACCOUNT, to, { body: 2, revision: 1, recordId: first.recordId }));
    const other = parseEnvelope(seal(a!, ACCOUNT, to, { body: 3, revision: 0 }));
    expect(again.recordId).toEqual(first.recordId);
    expect(other.recordId).not.toEqual(first.recordId);
  });

  it('needs the pair key the stanza names: another reference or an unknown sender is ENVELOPE_KEY_UNKNOWN', async () => {
    const [a, b] = await makeDevices(2, backend);
    const keys = TestKeys.among([a!, b!]);
    keys.establish(a!, b!, 7);
    const env = seal(a!, ACCOUNT, keys.recipients(a!, [b!]), { body: 'x', revision: 0 });
    expect(open(b!, ACCOUNT, keys.lookup(b!), env)?.body).toBe('x');
    expect(codeOf(() => open(b!, ACCOUNT, { get: (s, ref) => (ref === 1 ? keys.lookup(b!).get(s, ref) : undefined) }, env))).toBe('ENVELOPE_KEY_UNKNOWN');
    expect(codeOf(() => open(b!, ACCOUNT, { get: () => undefined }, env))).toBe('ENVELOPE_KEY_UNKNOWN');
  });

  it('does not open in another account', async () => {
    const [a, b] = await makeDevices(2, backend);
    const keys = TestKeys.among([a!, b!]);
    const env = seal(a!, ACCOUNT, keys.recipients(a!, [a!, b!]), { body: 'x', revision: 0 });
    expect(codeOf(() => open(b!, new Uint8Array(32), keys.lookup(b!), env))).toBe('ENVELOPE_TAMPERED');
  });

  it("detects a flipped bit in the header, the body, any stanza's id or key reference, and the reader's own wrapped key", async () => {
    const [a, b] = await makeDevices(2, backend);
    const keys = TestKeys.among([a!, b!]);
    const env = seal(a!, ACCOUNT, keys.recipients(a!, [a!, b!]), { body: sampleCall, revision: 3 });
    const aStanza = env.length - 2 * STANZA_BYTES;
    const bStanza = env.length - STANZA_BYTES;
    // Header fields, body, the other recipient's id and reference, the reader's own reference, its wrap.
    for (const at of [2, 3, 19, 30, 50, 72, 74, HEADER_BYTES + 5, aStanza + 3, aStanza + 18, bStanza + 30]) {
      const bad = env.slice();
      bad[at] = bad[at]! ^ 0x01;
      const code = codeOf(() => open(b!, ACCOUNT, keys.lookup(b!), bad));
      expect(['ENVELOPE_TAMPERED', 'ENVELOPE_KEY_UNKNOWN', 'ENVELOPE_MALFORMED'], `byte ${at}: ${code}`).toContain(code);
    }
    // The other recipient's wrap is outside H: invisible to this reader, fatal to its owner.
    const other = env.slice();
    other[aStanza + 40] = other[aStanza + 40]! ^ 1;
    expect(open(b!, ACCOUNT, keys.lookup(b!), other)?.body).toEqual(sampleCall);
    expect(codeOf(() => open(a!, ACCOUNT, keys.lookup(a!), other))).toBe('ENVELOPE_TAMPERED');
  });

  it('H covers every recipient id: relabelling a stanza changes the hash a log would name', async () => {
    const [a, b, c] = await makeDevices(3, backend);
    const keys = TestKeys.among([a!, b!, c!]);
    const env = seal(a!, ACCOUNT, keys.recipients(a!, [a!, b!]), { body: 1, revision: 1 });
    const parsed = parseEnvelope(env);
    const relabelled = env.slice();
    relabelled.set(c!.id, env.length - STANZA_BYTES); // b's stanza now names c
    const again = parseEnvelope(relabelled);
    expect(envelopeHash(a!.suite, ACCOUNT, again.headerAndBody, again.stanzas)).not.toEqual(
      envelopeHash(a!.suite, ACCOUNT, parsed.headerAndBody, parsed.stanzas),
    );
  });

  it('a co-recipient who knows the content key cannot forge or alter a record for another device', async () => {
    const [alice, mallory, carol] = await makeDevices(3, backend);
    const keys = TestKeys.among([alice!, mallory!, carol!]);
    const suite = mallory!.suite;
    const env = seal(alice!, ACCOUNT, keys.recipients(alice!, [alice!, mallory!, carol!]), { body: { peer: '+14155550123' }, revision: 1 });
    const parsed = parseEnvelope(env);
    const { contentKey } = unwrapContentKey(mallory!, ACCOUNT, keys.lookup(mallory!), parsed)!;

    // She re-encrypts a different body under K, keeping Alice's header and stanzas.
    const forgedBody = suite.aeadEncrypt(contentKey, BODY_NONCE, pad(encodeValue({ peer: '+19995550000' })), bodyAad(ACCOUNT, parsed.headerBytes));
    expect(forgedBody.length).toBe(parsed.body.length);
    const forged = env.slice();
    forged.set(forgedBody, HEADER_BYTES);
    expect(codeOf(() => open(carol!, ACCOUNT, keys.lookup(carol!), forged))).toBe('ENVELOPE_TAMPERED');

    // Nor can she re-wrap K for Carol under her own pair key while the header names Alice.
    const forgedParsed = parseEnvelope(forged);
    const forgedHash = envelopeHash(suite, ACCOUNT, forgedParsed.headerAndBody, forgedParsed.stanzas);
    const mine = keys.recipients(mallory!, [carol!])[0]!;
    const rewrap = suite.aeadEncrypt(mine.key, forgedHash.subarray(0, 24), contentKey, forgedHash);
    forged.set(rewrap, env.length - STANZA_BYTES + 20);
    expect(codeOf(() => open(carol!, ACCOUNT, keys.lookup(carol!), forged))).toBe('ENVELOPE_TAMPERED');

    expect(open(carol!, ACCOUNT, keys.lookup(carol!), env)?.body).toEqual({ peer: '+14155550123' });
  });

  it('commits to its content key: a sender cannot give two recipients two plaintexts under one envelope', async () => {
    const [mallory, bob, carol] = await makeDevices(3, backend);
    const keys = TestKeys.among([mallory!, bob!, carol!]);
    const suite = mallory!.suite;
    // Mallory seals honestly for Bob and Carol, then swaps Carol's stanza for a wrap of another key K2
    // under which the same body ciphertext is not what Bob reads (the key is what differs).
    const sealed = sealEnvelope(mallory!, ACCOUNT, keys.recipients(mallory!, [bob!, carol!]), { body: 'for bob', revision: 1 });
    const otherKey = new Uint8Array(32).fill(7);
    const carolKey = keys.recipients(mallory!, [carol!])[0]!.key;
    const swapped = sealed.bytes.slice();
    swapped.set(suite.aeadEncrypt(carolKey, sealed.hash.subarray(0, 24), otherKey, sealed.hash), swapped.length - STANZA_BYTES + 20);
    expect(open(bob!, ACCOUNT, keys.lookup(bob!), swapped)?.body).toBe('for bob');
    expect(codeOf(() => open(carol!, ACCOUNT, keys.lookup(carol!), swapped))).toBe('ENVELOPE_KEY_COMMITMENT');
    expect(keyCommitment(suite, otherKey)).not.toEqual(parseEnvelope(swapped).keyCommitment);
  });

  it('rejects bad seal input with typed errors', async () => {
    const [a] = await makeDevices(1, backend);
    const to = TestKeys.among([a!]).recipients(a!, [a!]);
    const base = { body: 1, revision: 0 };
    expect(codeOf(() => seal(a!, ACCOUNT, [], base))).toBe('RECIPIENTS_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, [to[0]!, to[0]!], base))).toBe('RECIPIENT_DUPLICATE');
    expect(codeOf(() => seal(a!, ACCOUNT, [{ ...to[0]!, ref: 0 }], base))).toBe('RECIPIENTS_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, [{ ...to[0]!, key: new Uint8Array(31) }], base))).toBe('RECIPIENTS_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, to, { ...base, revision: -1 }))).toBe('SEAL_INPUT_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, to, { ...base, revision: 2 ** 32 }))).toBe('SEAL_INPUT_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, to, { ...base, expiryDay: 70_000 }))).toBe('SEAL_INPUT_INVALID');
    expect(codeOf(() => seal(a!, new Uint8Array(3), to, base))).toBe('ACCOUNT_ID_INVALID');
    expect(codeOf(() => seal(a!, ACCOUNT, to, { ...base, recordId: new Uint8Array(15) }))).toBe('SEAL_INPUT_INVALID');
  });

  it('carries tombstones', async () => {
    const [a] = await makeDevices(1, backend);
    const keys = TestKeys.among([a!]);
    const env = seal(a!, ACCOUNT, keys.recipients(a!, [a!]), { kind: 'tombstone', body: null, revision: 4 });
    expect(parseEnvelope(env).kind).toBe('tombstone');
    expect(open(a!, ACCOUNT, keys.lookup(a!), env)?.kind).toBe('tombstone');
  });
});

describe.each(BACKENDS)('pair keys on the %s backend', (backend) => {
  it('both sides derive the same key; another epoch, reference or ciphertext gives another key', async () => {
    const [a, b] = await makeDevices(2, backend);
    const statement = b!.epochs.current!.statement;
    const one = a!.establishPairKey(b!.public, statement, 1);
    expect(b!.acceptPairKey(a!.public, statement.epoch, 1, one.ciphertext)).toEqual(one.key);
    expect(b!.acceptPairKey(a!.public, statement.epoch, 2, one.ciphertext)).not.toEqual(one.key);
    const two = a!.establishPairKey(b!.public, statement, 1);
    expect(two.key).not.toEqual(one.key);
    expect(codeOf(() => b!.acceptPairKey(a!.public, 5, 1, one.ciphertext))).toBe('EPOCH_KEY_UNKNOWN');
  });

  it('is hybrid: with only the KEM secret, or only the X25519 secret, the key comes out different', async () => {
    const [a, b, eve] = await makeDevices(3, backend);
    const suite = a!.suite;
    const statement = b!.epochs.current!.statement;
    const made = a!.establishPairKey(b!.public, statement, 1);
    const context = { sender: a!.public, recipient: b!.public, epoch: statement.epoch, ref: 1, ciphertext: made.ciphertext };
    const bStatic = b!.exportSecrets().subarray(33, 65);
    const eveStatic = eve!.exportSecrets().subarray(33, 65);
    const kem = () => suite.xwingDecapsulate(made.ciphertext, b!.epochs.current!.seed)!;
    const dh = (secret: Uint8Array) => suite.x25519(secret, a!.public.encryptionKey);
    // Both secrets: the key itself (so the derivation below is the real one).
    expect(derivePairKey(suite, dh(bStatic), kem(), context)).toEqual(made.key);
    // Someone who broke X25519 but not ML-KEM: right X25519 secret, wrong KEM secret.
    expect(derivePairKey(suite, dh(bStatic), suite.xwingDecapsulate(made.ciphertext, new Uint8Array(32).fill(1))!, context)).not.toEqual(made.key);
    // Someone holding the epoch secret but neither static key.
    expect(derivePairKey(suite, dh(eveStatic), kem(), context)).not.toEqual(made.key);
  });

  it('after the recipient forgets an epoch, keys toward it cannot be derived again', async () => {
    const [a, b] = await makeDevices(2, backend);
    const e0 = b!.epochs.current!.statement;
    const made = a!.establishPairKey(b!.public, e0, 1);
    b!.epochs.begin(b!, new Uint8Array(32).fill(9), Date.now());
    expect(b!.acceptPairKey(a!.public, 0, 1, made.ciphertext)).toEqual(made.key);
    b!.epochs.forget(0);
    expect(codeOf(() => b!.acceptPairKey(a!.public, 0, 1, made.ciphertext))).toBe('EPOCH_KEY_UNKNOWN');
  });
});

describe('across backends', () => {
  it('whatever one backend seals the other opens, and both derive the same pair keys', async () => {
    const sodiumA = await Device.generate({ backend: 'sodium' });
    const sodiumB = await Device.generate({ backend: 'sodium' });
    const nobleA = await Device.fromSecrets(sodiumA.exportSecrets(), { backend: 'noble' });
    const nobleB = await Device.fromSecrets(sodiumB.exportSecrets(), { backend: 'noble' });
    nobleA.epochs.restore(nobleA, sodiumA.epochs.toBytes());
    nobleB.epochs.restore(nobleB, sodiumB.epochs.toBytes());
    expect(nobleA.public).toEqual(sodiumA.public);
    const bySodium = new TestKeys();
    bySodium.establish(sodiumA, nobleB, 1);
    const byNoble = new TestKeys();
    byNoble.establish(nobleA, sodiumB, 1);
    const one = seal(sodiumA, ACCOUNT, bySodium.recipients(sodiumA, [nobleB]), { body: sampleCall, revision: 0 });
    const two = seal(nobleA, ACCOUNT, byNoble.recipients(nobleA, [sodiumB]), { body: sampleCall, revision: 0 });
    expect(open(nobleB, ACCOUNT, bySodium.lookup(nobleB), one)?.body).toEqual(sampleCall);
    expect(open(sodiumB, ACCOUNT, byNoble.lookup(sodiumB), two)?.body).toEqual(sampleCall);
  });
});
