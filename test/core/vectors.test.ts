/**
 * The frozen vectors in test/vectors/, run table-driven on both backends: every device, pairwise
 * key, envelope and passphrase blob is re-derived from the recorded inputs and randomness and
 * compared byte for byte; every must-fail case must fail with exactly its code. The vectors are
 * read only; scripts/make-vectors.ts made them once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { loadSuite } from '../../src/crypto/suite.js';
import { decodeValue, encodeCanonical, encodeValue, type CborLimits } from '../../src/core/cbor.js';
import { Device } from '../../src/core/device.js';
import { DeviceDirectory } from '../../src/core/deviceDirectory.js';
import {
  bindingMessage,
  decodeDevicePublic,
  deviceIdOf,
  encodeDevicePublic,
  type DevicePublic,
} from '../../src/core/devicePublic.js';
import { parseEnvelope, type EnvelopeKind } from '../../src/core/envelopeFormat.js';
import { envelopeHash } from '../../src/core/envelopeHash.js';
import { open, type OpenOptions } from '../../src/core/open.js';
import { isPaddedLength, pad, paddedLength, unpad } from '../../src/core/padding.js';
import { seal } from '../../src/core/seal.js';
import { BACKENDS } from '../support/devices.js';
import { expectHex, load, outcome, outcomeAsync, replay, revive, V1_EPOCH0_SEED, type Versioned } from '../support/vectorFiles.js';

// ---------------------------------------------------------------------------------------------
// The vector files' shapes


interface DeviceVector {
  name: string;
  identitySeed: string;
  encryptionSecret: string;
  identityKey: string;
  encryptionKey: string;
  deviceIdInput: string;
  deviceId: string;
  bindingMessage: string;
  binding: string;
  card: string;
  secrets: string;
}

interface DevicesFile extends Versioned {
  labels: Record<string, { text: string; prefix: string }>;
  devices: DeviceVector[];
  specialCards: Array<{ name: string; identitySeed: string; deviceId: string; card: string; error: string }>;
  signatures: Array<{ device: number; label: string; message: string; signedBytes: string; signature: string }>;
  reservedLabels: Array<{ label: string; error: string }>;
  invalidCards: Array<{ name: string; card: string; error: string }>;
  invalidSecrets: Array<{ name: string; secrets: string; error: string }>;
}

interface PairwiseFile extends Versioned {
  label: string;
  pairs: Array<{ sender: number; recipient: number; sharedSecret: string; kdfMessage: string; kek: string }>;
  lowOrder: Array<{ name: string; device: number; peerEncryptionKey: string; error: string }>;
}

interface EnvelopeVector {
  name: string;
  sender: number;
  recipients: number[];
  account: string;
  input: {
    kind: EnvelopeKind;
    revision: number;
    sequence: number;
    expiryDay: number;
    chainHead: string;
    recordId: string | null;
  };
  body: unknown;
  bodyCbor: string;
  bodyCborIsCanonical: boolean;
  random: string;
  contentKey: string;
  recordId: string;
  paddedLength: number;
  padded: string;
  header: string;
  bodyAad: string;
  bodyCiphertext: string;
  hashInput: string;
  hash: string;
  wrapNonce: string;
  stanzas: Array<{ recipient: number; deviceId: string; kek: string; wrap: string }>;
  size: number;
  envelope: string;
}

interface EnvelopesFile extends Versioned {
  envelopes: EnvelopeVector[];
}

interface OpenCase {
  name: string;
  why: string;
  opener: number;
  account: string;
  directory: number[];
  extraCards?: string[];
  openOptions?: OpenOptions;
  envelope: string;
}

interface InvalidEnvelopesFile extends Versioned {
  baseEnvelope: number;
  cases: Array<OpenCase & { error: string | null }>;
  stillOpens: Array<OpenCase & { body: unknown }>;
}

interface PaddingFile extends Versioned {
  lengths: Array<{ dataLength: number; paddedLength: number }>;
  validLengths: Array<{ length: number; valid: boolean }>;
  examples: Array<{ data: string; padded: string }>;
  invalid: Array<{ name: string; padded: string; error: string }>;
}

interface PassphraseFile extends Versioned {
  cases: Array<{
    name: string;
    device: number;
    passphrase?: string;
    passphraseHex?: string;
    passphraseBytes: string;
    opsLimit: number;
    memLimitBytes: number;
    memKiB: number;
    salt: string;
    nonce: string;
    random: string;
    argon2Key: string;
    header: string;
    blob: string;
    secrets: string;
  }>;
  open: Array<{ name: string; blob: string; passphrase: string; error: string | null }>;
  seal: Array<{ name: string; opsLimit: number; memLimitBytes: number; error: string }>;
}

interface CborFile extends Versioned {
  canonical: Array<{ name: string; value: unknown; decoded?: unknown; canonical: string; compact: string }>;
  decodeAccepts: Array<{ name: string; cbor: string; value: unknown }>;
  decodeRejects: Array<{ name: string; cbor: string; limits?: Partial<CborLimits>; error: string }>;
  encodeRejects: Array<{ name: string; value: unknown; error: string }>;
}

const devicesFile = load<DevicesFile>('devices.json');
const pairwiseFile = load<PairwiseFile>('pairwise.json');
const envelopesFile = load<EnvelopesFile>('envelopes.json');
const invalidFile = load<InvalidEnvelopesFile>('envelopes-invalid.json');
const paddingFile = load<PaddingFile>('padding.json');
const passphraseFile = load<PassphraseFile>('passphrase.json');
const cborFile = load<CborFile>('cbor.json');

// ---------------------------------------------------------------------------------------------
// Helpers (the shared ones are in test/support/vectorFiles.ts)

/** Deep equality for decoded values; numbers compare with Object.is so -0 and NaN are exact. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.constructor === Uint8Array && equalBytes(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return sameValue(ka, kb) && ka.every((k) => sameValue(ra[k], rb[k]));
  }
  return a === b;
}

// ---------------------------------------------------------------------------------------------

describe('the vector files', () => {
  it('cover what docs/protocol.md promises', () => {
    const sizes = envelopesFile.envelopes.map((e) => e.recipients.length);
    expect(sizes).toEqual(expect.arrayContaining([1, 2, 5]));
    expect(envelopesFile.envelopes.some((e) => e.input.kind === 'tombstone')).toBe(true);
    expect(envelopesFile.envelopes.some((e) => e.paddedLength > 256)).toBe(true);
    expect(invalidFile.cases.some((c) => c.error === null)).toBe(true);
    for (const [name, label] of Object.entries(devicesFile.labels)) {
      expect(label.text).toBe(LABELS[name as keyof typeof LABELS]);
      expectHex(labelled(label.text), label.prefix);
    }
    expect(pairwiseFile.label).toBe(LABELS.pairwiseKey);
  });
});

describe.each(BACKENDS)('frozen vectors on the %s backend', (backend: BackendName) => {
  let suite: CryptoProvider;
  let devices: Device[];
  let cards: DevicePublic[];

  beforeAll(async () => {
    suite = await loadSuite(backend);
    devices = [];
    for (const v of devicesFile.devices) {
      devices.push(await Device.generate({ backend, random: replay(v.identitySeed + v.encryptionSecret + V1_EPOCH0_SEED).random }));
    }
    cards = devices.map((d) => d.public);
  });

  describe('devices.json', () => {
    it.each(devicesFile.devices.map((v, i) => [v.name, i] as const))('%s derives its keys, id, binding and card', async (_name, i) => {
      const v = devicesFile.devices[i]!;
      const source = replay(v.identitySeed + v.encryptionSecret + V1_EPOCH0_SEED);
      const d = await Device.generate({ backend, random: source.random });
      expect(source.exhausted()).toBe(true);
      expectHex(d.public.identityKey, v.identityKey);
      expectHex(d.public.encryptionKey, v.encryptionKey);
      expectHex(labelled(LABELS.deviceId, d.public.identityKey), v.deviceIdInput);
      expectHex(suite.blake2b(16, fromHex(v.deviceIdInput)), v.deviceId);
      expectHex(deviceIdOf(suite, d.public.identityKey), v.deviceId);
      expectHex(d.id, v.deviceId);
      expectHex(bindingMessage(d.public.identityKey, d.public.encryptionKey), v.bindingMessage);
      expectHex(d.public.binding, v.binding);
      expect(suite.ed25519Verify(fromHex(v.binding), fromHex(v.bindingMessage), fromHex(v.identityKey))).toBe(true);
      expectHex(encodeDevicePublic(d.public), v.card);
      expectHex(d.exportSecrets(), v.secrets);
      expect(decodeDevicePublic(suite, fromHex(v.card))).toEqual(d.public);
      expect(Device.fromSecretsWith(suite, fromHex(v.secrets)).public).toEqual(d.public);
    });

    it('labelled signatures', () => {
      for (const s of devicesFile.signatures) {
        expectHex(labelled(s.label, fromHex(s.message)), s.signedBytes);
        expectHex(devices[s.device]!.sign(s.label, fromHex(s.message)), s.signature);
        expect(suite.ed25519Verify(fromHex(s.signature), fromHex(s.signedBytes), cards[s.device]!.identityKey)).toBe(true);
      }
    });

    it('Device.sign refuses the protocol\'s own labels', () => {
      for (const r of devicesFile.reservedLabels) expect(outcome(() => devices[0]!.sign(r.label, new Uint8Array(1)))).toBe(r.error);
    });

        it('special cards carry their stated id and are still refused', () => {
      for (const c of devicesFile.specialCards) {
        const identityKey = suite.ed25519PublicKey(fromHex(c.identitySeed));
        expectHex(fromHex(c.card).subarray(1, 33), toHex(identityKey));
        expectHex(deviceIdOf(suite, identityKey), c.deviceId);
        expect(outcome(() => decodeDevicePublic(suite, fromHex(c.card)))).toBe(c.error);
      }
    });

    it.each(devicesFile.invalidCards.map((c) => [c.name, c] as const))('card "%s" is refused', (_name, c) => {
      expect(outcome(() => decodeDevicePublic(suite, fromHex(c.card)))).toBe(c.error);
    });

    it.each(devicesFile.invalidSecrets.map((c) => [c.name, c] as const))('secrets "%s" are refused', (_name, c) => {
      expect(outcome(() => Device.fromSecretsWith(suite, fromHex(c.secrets)))).toBe(c.error);
    });
  });

  describe('pairwise.json', () => {
    it('every ordered pair derives kek(S→R) on both sides', () => {
      for (const p of pairwiseFile.pairs) {
        const s = devices[p.sender]!;
        const r = devices[p.recipient]!;
        const where = `${p.sender}→${p.recipient}`;
        expect(toHex(suite.x25519(fromHex(devicesFile.devices[p.sender]!.encryptionSecret), r.public.encryptionKey)!), where).toBe(
          p.sharedSecret,
        );
        expect(toHex(suite.x25519(fromHex(devicesFile.devices[p.recipient]!.encryptionSecret), s.public.encryptionKey)!), where).toBe(
          p.sharedSecret,
        );
        expect(toHex(labelled(LABELS.pairwiseKey, s.id, r.id, s.public.encryptionKey, r.public.encryptionKey)), where).toBe(
          p.kdfMessage,
        );
        expect(toHex(suite.blake2b(32, fromHex(p.kdfMessage), fromHex(p.sharedSecret))), where).toBe(p.kek);
        expect(toHex(s.pairwiseKey(r.public, 'to')), where).toBe(p.kek);
        expect(toHex(r.pairwiseKey(s.public, 'from')), where).toBe(p.kek);
      }
    });

    it.each(pairwiseFile.lowOrder.map((c) => [c.name, c.peerEncryptionKey, c] as const))(
      'refuses the low-order peer key %s (%s)',
      (_name, _u, c) => {
        const peer: DevicePublic = {
          id: new Uint8Array(16).fill(0xee),
          identityKey: new Uint8Array(32),
          encryptionKey: fromHex(c.peerEncryptionKey),
          binding: new Uint8Array(64),
        };
        expect(outcome(() => devices[c.device]!.pairwiseKey(peer, 'to'))).toBe(c.error);
        expect(outcome(() => devices[c.device]!.pairwiseKey(peer, 'from'))).toBe(c.error);
      },
    );
  });

  describe('envelopes.json', () => {
    it.each(envelopesFile.envelopes.map((v, i) => [i, v.name] as const))('#%i %s: seals to the exact bytes', (i) => {
      const v = envelopesFile.envelopes[i]!;
      const body = v.body;
      expectHex(encodeValue(body), v.bodyCbor);
      expect(equalBytes(encodeCanonical(body), fromHex(v.bodyCbor))).toBe(v.bodyCborIsCanonical);
      expect(paddedLength(v.bodyCbor.length / 2)).toBe(v.paddedLength);
      expectHex(pad(fromHex(v.bodyCbor)), v.padded);
      const source = replay(v.random);
      const envelope = seal(
        devices[v.sender]!,
        fromHex(v.account),
        v.recipients.map((r) => cards[r]!),
        {
          body,
          kind: v.input.kind,
          revision: v.input.revision,
          sequence: v.input.sequence,
          expiryDay: v.input.expiryDay,
          chainHead: fromHex(v.input.chainHead),
          ...(v.input.recordId === null ? {} : { recordId: fromHex(v.input.recordId) }),
        },
        { random: source.random },
      );
      expect(source.exhausted()).toBe(true);
      expect(envelope.length).toBe(v.size);
      expect(v.size).toBe(v.paddedLength + 95 + 64 * v.recipients.length);
      expectHex(envelope, v.envelope);
    });

    it.each(envelopesFile.envelopes.map((v, i) => [i, v.name] as const))('#%i %s: intermediate values', (i) => {
      const v = envelopesFile.envelopes[i]!;
      const account = fromHex(v.account);
      const parsed = parseEnvelope(fromHex(v.envelope));
      expectHex(parsed.headerBytes, v.header);
      expectHex(parsed.recordId, v.recordId);
      expect(parsed.kind).toBe(v.input.kind);
      expect(parsed.revision).toBe(v.input.revision);
      expect(parsed.sequence).toBe(v.input.sequence);
      expect(parsed.expiryDay).toBe(v.input.expiryDay);
      expectHex(parsed.chainHead, v.input.chainHead);
      expectHex(parsed.sender, devicesFile.devices[v.sender]!.deviceId);
      expect(parsed.recipientCount).toBe(v.recipients.length);
      expectHex(parsed.body, v.bodyCiphertext);
      expect(v.random.slice(0, 64)).toBe(v.contentKey);
      if (v.input.recordId === null) expect(v.random.slice(64)).toBe(v.recordId);
      expect(v.bodyAad).toBe(v.account + v.header);
      expectHex(suite.aeadEncrypt(fromHex(v.contentKey), new Uint8Array(24), fromHex(v.padded), fromHex(v.bodyAad)), v.bodyCiphertext);
      expectHex(labelled(LABELS.envelopeHash, account, parsed.headerBytes, parsed.body), v.hashInput);
      expectHex(suite.blake2b(32, fromHex(v.hashInput)), v.hash);
      expectHex(envelopeHash(suite, account, parsed.headerAndBody), v.hash);
      expect(v.wrapNonce).toBe(v.hash.slice(0, 48));
      v.stanzas.forEach((s, k) => {
        const stanza = parsed.stanzas.subarray(k * 64, (k + 1) * 64);
        expect(s.recipient).toBe(v.recipients[k]);
        expectHex(stanza.subarray(0, 16), s.deviceId);
        expectHex(stanza.subarray(16), s.wrap);
        expectHex(devices[v.sender]!.pairwiseKey(cards[s.recipient]!, 'to'), s.kek);
        expectHex(suite.aeadEncrypt(fromHex(s.kek), fromHex(v.wrapNonce), fromHex(v.contentKey), fromHex(v.hash)), s.wrap);
      });
    });

    it.each(envelopesFile.envelopes.map((v, i) => [i, v.name] as const))('#%i %s: opens for each recipient only', (i) => {
      const v = envelopesFile.envelopes[i]!;
      const directory = new DeviceDirectory(cards.slice(0, 6));
      for (let d = 0; d < 6; d++) {
        const opened = open(devices[d]!, fromHex(v.account), directory, fromHex(v.envelope));
        if (!v.recipients.includes(d)) {
          expect(opened, `device ${d}`).toBeNull();
          continue;
        }
        expect(opened, `device ${d}`).not.toBeNull();
        expect(opened!.body).toEqual(v.body);
        expectHex(opened!.hash, v.hash);
        expectHex(opened!.sender, devicesFile.devices[v.sender]!.deviceId);
        expectHex(opened!.recordId, v.recordId);
        expect(opened!.kind).toBe(v.input.kind);
        expect(opened!.revision).toBe(v.input.revision);
        expect(opened!.sequence).toBe(v.input.sequence);
        expect(opened!.expiryDay).toBe(v.input.expiryDay);
      }
    });
  });

  describe('envelopes-invalid.json', () => {
    const directoryOf = (c: OpenCase): DeviceDirectory =>
      new DeviceDirectory([...c.directory.map((i) => cards[i]!), ...(c.extraCards ?? []).map((h) => decodeDevicePublic(suite, fromHex(h)))]);

    it.each(invalidFile.cases.map((c) => [c.name, c.error, c] as const))('%s → %s', (_name, _error, c) => {
      const got = outcome(() => open(devices[c.opener]!, fromHex(c.account), directoryOf(c), fromHex(c.envelope), c.openOptions));
      expect(got, c.why).toBe(c.error);
    });

    it.each(invalidFile.stillOpens.map((c) => [c.name, c] as const))('%s still opens', (_name, c) => {
      const opened = open(devices[c.opener]!, fromHex(c.account), directoryOf(c), fromHex(c.envelope));
      expect(opened?.body, c.why).toEqual(c.body);
    });
  });

  describe('passphrase.json', () => {
    it.each(passphraseFile.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const passphrase = c.passphrase ?? fromHex(c.passphraseHex!);
      const params = { opsLimit: c.opsLimit, memLimitBytes: c.memLimitBytes };
      expect(c.memKiB * 1024).toBe(c.memLimitBytes);
      expect(c.random).toBe(c.salt + c.nonce);
      expect(c.blob.slice(0, 108)).toBe(c.header);
      expectHex(await suite.argon2id(fromHex(c.passphraseBytes), fromHex(c.salt), params, 32), c.argon2Key);
      const device = Device.fromSecretsWith(suite, fromHex(c.secrets));
      expectHex(device.public.identityKey, devicesFile.devices[c.device]!.identityKey);
      const source = replay(c.random);
      expectHex(await device.exportWithPassphrase(passphrase, params, source.random), c.blob);
      expect(source.exhausted()).toBe(true);
      expectHex(suite.aeadDecrypt(fromHex(c.argon2Key), fromHex(c.nonce), fromHex(c.blob).subarray(54), fromHex(c.header))!, c.secrets);
      const restored = await Device.fromPassphraseBlob(fromHex(c.blob), passphrase, { backend });
      expectHex(restored.exportSecrets(), c.secrets);
    });

    it.each(passphraseFile.open.map((c) => [c.name, c.error, c] as const))('%s → %s', async (_name, _error, c) => {
      expect(await outcomeAsync(() => Device.fromPassphraseBlob(fromHex(c.blob), c.passphrase, { backend }))).toBe(c.error ?? 'ok');
    });

    it.each(passphraseFile.seal.map((c) => [c.name, c.error, c] as const))('sealing at %s → %s', async (_name, _error, c) => {
      const device = devices[0]!;
      expect(await outcomeAsync(() => device.exportWithPassphrase('', { opsLimit: c.opsLimit, memLimitBytes: c.memLimitBytes }))).toBe(c.error);
    });
  });
});

describe('padding.json', () => {
  it.each(paddingFile.lengths.map((c) => [c.dataLength, c.paddedLength] as const))('%i data bytes pad to %i', (n, expected) => {
    expect(paddedLength(n)).toBe(expected);
    expect(isPaddedLength(expected)).toBe(true);
  });

  it('recognises padded lengths', () => {
    for (const c of paddingFile.validLengths) expect(isPaddedLength(c.length), `length ${c.length}`).toBe(c.valid);
  });

  it('pads and unpads the examples', () => {
    for (const e of paddingFile.examples) {
      expectHex(pad(fromHex(e.data)), e.padded);
      expectHex(unpad(fromHex(e.padded)), e.data);
    }
  });

  it.each(paddingFile.invalid.map((c) => [c.name, c] as const))('refuses %s', (_name, c) => {
    expect(outcome(() => unpad(fromHex(c.padded)))).toBe(c.error);
  });
});

describe('cbor.json', () => {
  it.each(cborFile.canonical.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const value = revive(c.value);
    expectHex(encodeCanonical(value), c.canonical);
    expectHex(encodeValue(value), c.compact);
    const expected = c.decoded === undefined ? value : revive(c.decoded);
    expect(sameValue(decodeValue(fromHex(c.canonical)), expected)).toBe(true);
    expect(sameValue(decodeValue(fromHex(c.compact)), expected)).toBe(true);
  });

  it.each(cborFile.decodeAccepts.map((c) => [c.name, c] as const))('accepts %s', (_name, c) => {
    expect(sameValue(decodeValue(fromHex(c.cbor)), revive(c.value))).toBe(true);
  });

  it.each(cborFile.decodeRejects.map((c) => [c.name, c.error, c] as const))('rejects %s with %s', (_name, _error, c) => {
    expect(outcome(() => decodeValue(fromHex(c.cbor), c.limits))).toBe(c.error);
  });

  it.each(cborFile.encodeRejects.map((c) => [c.name, c] as const))('refuses to encode %s', (_name, c) => {
    const value = revive(c.value);
    expect(outcome(() => encodeCanonical(value))).toBe(c.error);
    expect(outcome(() => encodeValue(value))).toBe(c.error);
  });
});
