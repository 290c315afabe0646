/**
 * The frozen core vectors in test/vectors/, run table-driven on both backends: every device, key
 * statement, pair key, envelope, log checkpoint and passphrase blob is re-derived from the
 * recorded inputs and randomness and compared byte for byte; every must-fail case must fail with
 * exactly its code. The vectors are read only; scripts/make-vectors.ts made them once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { loadSuite } from '../../src/crypto/suite.js';
import { decodeValue, encodeCanonical, encodeValue, type CborLimits } from '../../src/core/cbor.js';
import { Device } from '../../src/core/device.js';
import {
  bindingMessage,
  decodeDevicePublic,
  deviceIdOf,
  encodeDevicePublic,
  idKey,
  type DevicePublic,
} from '../../src/core/devicePublic.js';
import { parseEnvelope, stanzaRef, type EnvelopeKind } from '../../src/core/envelopeFormat.js';
import { envelopeHash, keyCommitment } from '../../src/core/envelopeHash.js';
import { decodeKeyStatement, makeKeyStatement, verifyKeyStatement } from '../../src/core/keyStatement.js';
import { checkpointHash, decodeCheckpoint, signCheckpoint, verifyCheckpointSignature, type CheckpointFields } from '../../src/core/logCheckpoint.js';
import { open, type OpenOptions, type PairKeyLookup } from '../../src/core/open.js';
import { isPaddedLength, pad, paddedLength, unpad } from '../../src/core/padding.js';
import { pairKeyMessage } from '../../src/core/pairKey.js';
import { seal, type SealInput, type SealRecipient } from '../../src/core/seal.js';
import { BACKENDS } from '../support/devices.js';
import { expectHex, load, outcome, outcomeAsync, replay, revive, type Versioned } from '../support/vectorFiles.js';

// ---------------------------------------------------------------------------------------------
// The vector files' shapes


interface StatementVector {
  epoch: number;
  xwingPublicKey: string;
  signedBytes: string;
  signature: string;
  statement: string;
}

interface DeviceVector {
  name: string;
  random: string;
  identitySeed: string;
  encryptionSecret: string;
  xwingSeed: string;
  identityKey: string;
  encryptionKey: string;
  deviceIdInput: string;
  deviceId: string;
  bindingMessage: string;
  binding: string;
  card: string;
  secrets: string;
  keyStatement: StatementVector;
}

interface DevicesFile extends Versioned {
  labels: Record<string, { text: string; prefix: string }>;
  devices: DeviceVector[];
  specialCards: Array<{ name: string; identitySeed: string; deviceId: string; card: string; error: string }>;
  signatures: Array<{ device: number; label: string; message: string; signedBytes: string; signature: string }>;
  reservedLabels: Array<{ label: string; error: string }>;
  invalidCards: Array<{ name: string; card: string; error: string }>;
  invalidSecrets: Array<{ name: string; secrets: string; error: string }>;
  laterStatements: Array<StatementVector & { device: number; xwingSeed: string }>;
  invalidStatements: Array<{ name: string; why: string; statement: string; card: number; error: string }>;
}

interface PairVector {
  sender: number;
  recipient: number;
  epoch: number;
  ref: number;
  eseed: string;
  ciphertext: string;
  xwingSharedSecret: string;
  x25519SharedSecret: string;
  kdfMessage: string;
  kek: string;
}

type PairKeyCase =
  | { name: string; why: string; op: 'establish'; sender: number; recipient: number; recipientEncryptionKey?: string; statement: string; ref: number; eseed: string; error: string }
  | { name: string; why: string; op: 'accept'; recipient: number; sender: number; senderEncryptionKey?: string; epoch: number; ref: number; ciphertext: string; error: string };

interface PairKeysFile extends Versioned {
  label: { text: string; prefix: string };
  refs: Array<{ device: number; name: string; ref: number }>;
  pairs: PairVector[];
  laterEpochs: PairVector[];
  implicitRejection: Array<{ name: string; sender: number; recipient: number; epoch: number; ref: number; ciphertext: string; xwingSharedSecret: string; kek: string }>;
  lowOrderPoints: Array<{ name: string; u: string }>;
  invalid: PairKeyCase[];
}

interface EnvelopeVector {
  name: string;
  sender: number;
  recipients: number[];
  account: string;
  input: {
    kind: EnvelopeKind;
    revision: number;
    expiryDay: number;
    recordId: string | null;
  };
  body: unknown;
  bodyCbor: string;
  bodyCborIsCanonical: boolean;
  random: string;
  contentKey: string;
  recordId: string;
  keyCommitmentInput: string;
  keyCommitment: string;
  paddedLength: number;
  padded: string;
  header: string;
  bodyAad: string;
  bodyCiphertext: string;
  hashInput: string;
  hash: string;
  wrapNonce: string;
  stanzas: Array<{ recipient: number; deviceId: string; ref: number; refBytes: string; kek: string; wrap: string; stanza: string }>;
  size: number;
  envelope: string;
}

interface SealRefusal {
  name: string;
  why: string;
  sender: number;
  account: string;
  recipients: Array<{ device: number; ref?: number; kek?: string; deviceId?: string }> | { count: number; rule: string };
  input: { body: unknown; kind?: string; revision: number; expiryDay?: number; recordId?: string };
  error: string;
}

interface EnvelopesFile extends Versioned {
  labels: Record<string, { text: string; prefix: string }>;
  envelopes: EnvelopeVector[];
  sealRefusals: SealRefusal[];
}

interface HeldKeyVector {
  sender: number | null;
  senderId: string;
  ref: number;
  kek: string;
}

interface OpenCase {
  name: string;
  why: string;
  opener: number;
  account: string;
  keys: HeldKeyVector[];
  openOptions?: OpenOptions;
  envelope: string;
}

interface InvalidEnvelopesFile extends Versioned {
  baseEnvelope: number;
  cases: Array<OpenCase & { error: string | null }>;
  stillOpens: Array<OpenCase & { body: unknown }>;
}

interface CheckpointFieldsVector {
  sender: number | null;
  senderId: string;
  position: number;
  prev: string;
  chainHead: string;
  time: number;
  historyRequest: { device: number | null; deviceId: string } | null;
  statement: string | null;
  claims: Array<{ recordId: string; revision: number; kind: EnvelopeKind; expiryDay: number; hash: string }>;
  purges: Array<{ recordId: string; upToRevision: number }>;
  pairKeys: Array<{ recipient: number | null; recipientId: string; epoch: number; ciphertext: string }>;
  seen: Array<{ device: number | null; deviceId: string; position: number; hash: string }>;
}

interface LogsFile extends Versioned {
  labels: Record<string, { text: string; prefix: string }>;
  account: string;
  maxCheckpointBytes: number;
  checkpoints: Array<{
    name: string;
    fields: CheckpointFieldsVector;
    length: number;
    unsigned: string;
    signingInput: string;
    signature: string;
    checkpoint: string;
    hashInput: string;
    hash: string;
  }>;
  malformed: Array<{ name: string; why: string; checkpoint: string; zeroFilledTo?: number; error: string }>;
  badSignatures: Array<{ name: string; why: string; account: string; identityKey: string; checkpoint: string; error: string }>;
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
const pairKeysFile = load<PairKeysFile>('pairkeys.json');
const envelopesFile = load<EnvelopesFile>('envelopes.json');
const invalidFile = load<InvalidEnvelopesFile>('envelopes-invalid.json');
const logsFile = load<LogsFile>('logs.json');
const paddingFile = load<PaddingFile>('padding.json');
const passphraseFile = load<PassphraseFile>('passphrase.json');
const cborFile = load<CborFile>('cbor.json');

// ---------------------------------------------------------------------------------------------
// Helpers (the shared ones are in test/support/vectorFiles.ts)

/** pairkeys.json's kek(sender→recipient) by device indices. */
function pairOf(sender: number, recipient: number): PairVector {
  const p = pairKeysFile.pairs.find((x) => x.sender === sender && x.recipient === recipient);
  if (p === undefined) throw new Error(`pairkeys.json has no pair ${sender}→${recipient}`);
  return p;
}

/** `open`'s view of the pair keys a case says its reader holds. */
function lookupOf(keys: readonly HeldKeyVector[]): PairKeyLookup {
  const map = new Map(keys.map((k) => [`${k.senderId}:${k.ref}`, fromHex(k.kek)]));
  return { get: (sender, ref) => map.get(`${toHex(sender)}:${ref}`) };
}

/** The keys `reader` holds from each of the six devices (pairkeys.json). */
function heldFromAll(reader: number): HeldKeyVector[] {
  return [0, 1, 2, 3, 4, 5].map((s) => ({ sender: s, senderId: devicesFile.devices[s]!.deviceId, ref: pairOf(s, reader).ref, kek: pairOf(s, reader).kek }));
}

function checkpointFields(v: CheckpointFieldsVector): CheckpointFields {
  return {
    sender: fromHex(v.senderId),
    position: v.position,
    prev: fromHex(v.prev),
    chainHead: fromHex(v.chainHead),
    time: v.time,
    claims: v.claims.map((c) => ({ recordId: fromHex(c.recordId), revision: c.revision, kind: c.kind, expiryDay: c.expiryDay, hash: fromHex(c.hash) })),
    purges: v.purges.map((p) => ({ recordId: fromHex(p.recordId), upToRevision: p.upToRevision })),
    pairKeys: v.pairKeys.map((k) => ({ recipient: fromHex(k.recipientId), epoch: k.epoch, ciphertext: fromHex(k.ciphertext) })),
    seen: v.seen.map((x) => ({ device: fromHex(x.deviceId), position: x.position, hash: fromHex(x.hash) })),
    ...(v.statement === null ? {} : { statement: fromHex(v.statement) }),
    ...(v.historyRequest === null ? {} : { historyRequest: fromHex(v.historyRequest.deviceId) }),
  };
}

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
    expect(pairKeysFile.label.text).toBe(LABELS.pairKey);
    expectHex(labelled(pairKeysFile.label.text), pairKeysFile.label.prefix);
    expect(pairKeysFile.pairs).toHaveLength(devicesFile.devices.length ** 2);
    for (const [name, label] of [...Object.entries(envelopesFile.labels), ...Object.entries(logsFile.labels)]) {
      expect(Object.values(LABELS), name).toContain(label.text);
      expectHex(labelled(label.text), label.prefix);
    }
    // Every row of §8's table has a case.
    const codes = new Set(invalidFile.cases.map((c) => c.error));
    for (const code of [
      'ACCOUNT_ID_INVALID',
      'ENVELOPE_TOO_LARGE',
      'ENVELOPE_TRUNCATED',
      'ENVELOPE_VERSION_UNSUPPORTED',
      'ENVELOPE_SUITE_UNSUPPORTED',
      'ENVELOPE_MALFORMED',
      null,
      'ENVELOPE_KEY_UNKNOWN',
      'ENVELOPE_TAMPERED',
      'ENVELOPE_KEY_COMMITMENT',
      'PADDING_INVALID',
      'CBOR_TRUNCATED',
      'CBOR_LIMITS_INVALID',
    ]) {
      expect(codes.has(code), String(code)).toBe(true);
    }
    // Every refusal of §25.1 has a case, and the seal refusals every code of §5.6 step 1.
    expect(logsFile.malformed.length).toBeGreaterThanOrEqual(15);
    expect(new Set(envelopesFile.sealRefusals.map((r) => r.error))).toEqual(
      new Set(['ACCOUNT_ID_INVALID', 'SEAL_INPUT_INVALID', 'RECIPIENTS_INVALID', 'RECIPIENT_DUPLICATE', 'CBOR_UNSUPPORTED_VALUE']),
    );
  });
});

describe.each(BACKENDS)('frozen vectors on the %s backend', (backend: BackendName) => {
  let suite: CryptoProvider;
  let devices: Device[];
  let cards: DevicePublic[];

  beforeAll(async () => {
    suite = await loadSuite(backend);
    devices = [];
    for (const v of devicesFile.devices) devices.push(await Device.generate({ backend, random: replay(v.random).random }));
    cards = devices.map((d) => d.public);
  });

  /** The phone with its epoch 1 begun (devices.json → laterStatements), a fresh object. */
  const phoneAtEpoch1 = async (): Promise<Device> => {
    const later = devicesFile.laterStatements[0]!;
    const d = await Device.generate({ backend, random: replay(devicesFile.devices[later.device]!.random).random, now: 0 });
    d.epochs.begin(d, fromHex(later.xwingSeed), 1);
    return d;
  };

  describe('devices.json', () => {
    it.each(devicesFile.devices.map((v, i) => [v.name, i] as const))('%s derives its keys, id, binding, card and epoch-0 statement', async (_name, i) => {
      const v = devicesFile.devices[i]!;
      expect(v.random).toBe(v.identitySeed + v.encryptionSecret + v.xwingSeed);
      const source = replay(v.random);
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
      // The epoch-0 statement: made from the third draw, signed over its first 1237 bytes.
      const s = v.keyStatement;
      const statement = d.epochs.current!.statement;
      expect(statement.epoch).toBe(0);
      expectHex(statement.bytes, s.statement);
      expectHex(suite.xwingPublicKey(fromHex(v.xwingSeed)), s.xwingPublicKey);
      expect(s.statement).toBe(`01${v.deviceId}${'00000000'}${s.xwingPublicKey}${s.signature}`);
      expectHex(labelled(LABELS.keyStatement, fromHex(s.statement).subarray(0, 1237)), s.signedBytes);
      expect(suite.ed25519Verify(fromHex(s.signature), fromHex(s.signedBytes), d.public.identityKey)).toBe(true);
      expectHex(makeKeyStatement(d, 0, fromHex(v.xwingSeed)).bytes, s.statement);
      expect(verifyKeyStatement(suite, decodeKeyStatement(fromHex(s.statement)), d.public).epoch).toBe(0);
    });

    it('a later epoch\'s statement', async () => {
      for (const l of devicesFile.laterStatements) {
        const d = devices[l.device]!;
        const statement = makeKeyStatement(d, l.epoch, fromHex(l.xwingSeed));
        expectHex(statement.bytes, l.statement);
        expectHex(statement.publicKey, l.xwingPublicKey);
        expectHex(labelled(LABELS.keyStatement, statement.bytes.subarray(0, 1237)), l.signedBytes);
        expectHex(statement.signature, l.signature);
        verifyKeyStatement(suite, decodeKeyStatement(fromHex(l.statement)), d.public);
      }
      expectHex((await phoneAtEpoch1()).epochs.current!.statement.bytes, devicesFile.laterStatements[0]!.statement);
    });

    it.each(devicesFile.invalidStatements.map((c) => [c.name, c.error, c] as const))('statement "%s" → %s', (_name, _error, c) => {
      expect(outcome(() => verifyKeyStatement(suite, decodeKeyStatement(fromHex(c.statement)), cards[c.card]!)), c.why).toBe(c.error);
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

  describe('pairkeys.json', () => {
    const checkPair = (p: PairVector, s: Device, r: Device, rSeed: string) => {
      const where = `${p.sender}→${p.recipient} at epoch ${p.epoch}`;
      const statement = r.epochs.get(p.epoch)!.statement;
      expect(p.ref, where).toBe(p.epoch === 0 ? pairKeysFile.refs[p.sender]!.ref : p.ref);
      const kem = suite.xwingEncapsulate(statement.publicKey, fromHex(p.eseed))!;
      expect(toHex(kem.ciphertext), where).toBe(p.ciphertext);
      expect(toHex(kem.sharedSecret), where).toBe(p.xwingSharedSecret);
      expect(toHex(suite.xwingDecapsulate(fromHex(p.ciphertext), fromHex(rSeed))!), where).toBe(p.xwingSharedSecret);
      const sSecret = s.exportSecrets().subarray(33);
      const rSecret = r.exportSecrets().subarray(33);
      expect(toHex(suite.x25519(sSecret, r.public.encryptionKey)!), where).toBe(p.x25519SharedSecret);
      expect(toHex(suite.x25519(rSecret, s.public.encryptionKey)!), where).toBe(p.x25519SharedSecret);
      const context = { sender: s.public, recipient: r.public, epoch: p.epoch, ref: p.ref, ciphertext: fromHex(p.ciphertext) };
      expect(toHex(pairKeyMessage(context)), where).toBe(p.kdfMessage);
      expect(p.kdfMessage, where).toBe(
        toHex(labelled(LABELS.pairKey)) + toHex(s.id) + toHex(r.id) + toHex(s.public.encryptionKey) + toHex(r.public.encryptionKey) +
          p.epoch.toString(16).padStart(8, '0') + p.ref.toString(16).padStart(8, '0') + p.ciphertext,
      );
      expect(toHex(suite.blake2b(32, fromHex(p.kdfMessage), fromHex(p.x25519SharedSecret + p.xwingSharedSecret))), where).toBe(p.kek);
      const made = s.establishPairKey(r.public, statement, p.ref, fromHex(p.eseed));
      expect(toHex(made.ciphertext), where).toBe(p.ciphertext);
      expect(toHex(made.key), where).toBe(p.kek);
      expect(made.epoch).toBe(p.epoch);
      expect(toHex(r.acceptPairKey(s.public, p.epoch, p.ref, fromHex(p.ciphertext))), where).toBe(p.kek);
    };

    it('every ordered pair derives kek(S→R, ref) on both sides, from every stated part', () => {
      for (const p of pairKeysFile.pairs) checkPair(p, devices[p.sender]!, devices[p.recipient]!, devicesFile.devices[p.recipient]!.xwingSeed);
    });

    it('a pair key toward a later epoch', async () => {
      const phone1 = await phoneAtEpoch1();
      for (const p of pairKeysFile.laterEpochs) checkPair(p, phone1, phone1, devicesFile.laterStatements[0]!.xwingSeed);
    });

    it('a tampered ML-KEM part yields another key, the same on both backends (implicit rejection)', () => {
      for (const c of pairKeysFile.implicitRejection) {
        expectHex(suite.xwingDecapsulate(fromHex(c.ciphertext), fromHex(devicesFile.devices[c.recipient]!.xwingSeed))!, c.xwingSharedSecret);
        expectHex(devices[c.recipient]!.acceptPairKey(cards[c.sender]!, c.epoch, c.ref, fromHex(c.ciphertext)), c.kek);
        expect(c.kek).not.toBe(pairOf(c.sender, c.recipient).kek);
      }
    });

    it.each(pairKeysFile.invalid.map((c) => [c.name, c.error, c] as const))('%s → %s', (_name, _error, c) => {
      const withKey = (card: DevicePublic, key: string | undefined): DevicePublic => (key === undefined ? card : { ...card, encryptionKey: fromHex(key) });
      const got =
        c.op === 'establish'
          ? outcome(() => devices[c.sender]!.establishPairKey(withKey(cards[c.recipient]!, c.recipientEncryptionKey), decodeKeyStatement(fromHex(c.statement)), c.ref, fromHex(c.eseed)))
          : outcome(() => devices[c.recipient]!.acceptPairKey(withKey(cards[c.sender]!, c.senderEncryptionKey), c.epoch, c.ref, fromHex(c.ciphertext)));
      expect(got, c.why).toBe(c.error);
    });

    it('the low-order points give X25519 no output on this backend', () => {
      for (const p of pairKeysFile.lowOrderPoints) expect(suite.x25519(fromHex(devicesFile.devices[0]!.encryptionSecret), fromHex(p.u)), p.name).toBeNull();
    });
  });

  describe('envelopes.json', () => {
    const recipientsOf = (sender: number, to: readonly number[]): SealRecipient[] =>
      to.map((r) => ({ card: cards[r]!, ref: pairOf(sender, r).ref, key: fromHex(pairOf(sender, r).kek) }));

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
        recipientsOf(v.sender, v.recipients),
        {
          body,
          kind: v.input.kind,
          revision: v.input.revision,
          expiryDay: v.input.expiryDay,
          ...(v.input.recordId === null ? {} : { recordId: fromHex(v.input.recordId) }),
        },
        { random: source.random },
      );
      expect(source.exhausted()).toBe(true);
      expect(envelope.length).toBe(v.size);
      expect(v.size).toBe(v.paddedLength + 91 + 68 * v.recipients.length);
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
      expect(parsed.expiryDay).toBe(v.input.expiryDay);
      expectHex(parsed.sender, devicesFile.devices[v.sender]!.deviceId);
      expect(parsed.recipientCount).toBe(v.recipients.length);
      expectHex(parsed.keyCommitment, v.keyCommitment);
      expectHex(parsed.body, v.bodyCiphertext);
      expect(v.random.slice(0, 64)).toBe(v.contentKey);
      if (v.input.recordId === null) expect(v.random.slice(64)).toBe(v.recordId);
      else expect(v.random.length).toBe(64);
      expectHex(labelled(LABELS.keyCommitment), v.keyCommitmentInput);
      expectHex(suite.blake2b(32, fromHex(v.keyCommitmentInput), fromHex(v.contentKey)), v.keyCommitment);
      expectHex(keyCommitment(suite, fromHex(v.contentKey)), v.keyCommitment);
      expect(v.bodyAad).toBe(v.account + v.header);
      expectHex(suite.aeadEncrypt(fromHex(v.contentKey), new Uint8Array(24), fromHex(v.padded), fromHex(v.bodyAad)), v.bodyCiphertext);
      expect(v.hashInput).toBe(toHex(labelled(LABELS.envelopeHashV2)) + v.account + v.header + v.bodyCiphertext + v.stanzas.map((s) => s.deviceId + s.refBytes).join(''));
      expectHex(suite.blake2b(32, fromHex(v.hashInput)), v.hash);
      expectHex(envelopeHash(suite, account, parsed.headerAndBody, parsed.stanzas), v.hash);
      expect(v.wrapNonce).toBe(v.hash.slice(0, 48));
      expect(v.envelope).toBe(v.header + v.bodyCiphertext + v.stanzas.map((s) => s.stanza).join(''));
      v.stanzas.forEach((s, k) => {
        const stanza = parsed.stanzas.subarray(k * 68, (k + 1) * 68);
        expect(s.recipient).toBe(v.recipients[k]);
        expectHex(stanza, s.stanza);
        expect(s.stanza).toBe(s.deviceId + s.refBytes + s.wrap);
        expect(stanzaRef(parsed.stanzas, k * 68)).toBe(s.ref);
        expect(s.refBytes).toBe(s.ref.toString(16).padStart(8, '0'));
        expect(s.deviceId).toBe(devicesFile.devices[s.recipient]!.deviceId);
        expect(s.ref).toBe(pairOf(v.sender, s.recipient).ref);
        expect(s.kek).toBe(pairOf(v.sender, s.recipient).kek);
        expectHex(suite.aeadEncrypt(fromHex(s.kek), fromHex(v.wrapNonce), fromHex(v.contentKey), fromHex(v.hash)), s.wrap);
      });
    });

    it.each(envelopesFile.envelopes.map((v, i) => [i, v.name] as const))('#%i %s: opens for each recipient only', (i) => {
      const v = envelopesFile.envelopes[i]!;
      for (let d = 0; d < 6; d++) {
        const opened = open(devices[d]!, fromHex(v.account), lookupOf(heldFromAll(d)), fromHex(v.envelope));
        if (!v.recipients.includes(d)) {
          expect(opened, `device ${d}`).toBeNull();
          continue;
        }
        expect(opened, `device ${d}`).not.toBeNull();
        expect(opened!.body).toEqual(v.body);
        expectHex(opened!.hash, v.hash);
        expectHex(opened!.sender, devicesFile.devices[v.sender]!.deviceId);
        expectHex(opened!.recordId, v.recordId);
        expectHex(opened!.keyCommitment, v.keyCommitment);
        expect(opened!.kind).toBe(v.input.kind);
        expect(opened!.revision).toBe(v.input.revision);
        expect(opened!.expiryDay).toBe(v.input.expiryDay);
        expect(opened!.recipientCount).toBe(v.recipients.length);
      }
    });

    it.each(envelopesFile.sealRefusals.map((r) => [r.name, r.error, r] as const))('sealing with %s → %s', (_name, _error, r) => {
      const recipients: SealRecipient[] = Array.isArray(r.recipients)
        ? r.recipients.map((x) => ({
            card: x.deviceId === undefined ? cards[x.device]! : { ...cards[x.device]!, id: fromHex(x.deviceId) },
            ref: x.ref ?? pairOf(r.sender, x.device).ref,
            key: fromHex(x.kek ?? pairOf(r.sender, x.device).kek),
          }))
        : Array.from({ length: r.recipients.count }, (_, i) => ({
            card: { ...cards[1]!, id: Uint8Array.from({ length: 16 }, (_, k) => (k === 0 ? i >> 8 : k === 1 ? i & 0xff : 0x77)) },
            ref: pairOf(r.sender, 1).ref,
            key: fromHex(pairOf(r.sender, 1).kek),
          }));
      const input = { ...r.input, ...(r.input.recordId === undefined ? {} : { recordId: fromHex(r.input.recordId) }) } as SealInput;
      expect(outcome(() => seal(devices[r.sender]!, fromHex(r.account), recipients, input)), r.why).toBe(r.error);
    });
  });

  describe('envelopes-invalid.json', () => {
    it.each(invalidFile.cases.map((c) => [c.name, c.error, c] as const))('%s → %s', (_name, _error, c) => {
      const got = outcome(() => open(devices[c.opener]!, fromHex(c.account), lookupOf(c.keys), fromHex(c.envelope), c.openOptions));
      expect(got, c.why).toBe(c.error);
    });

    it.each(invalidFile.stillOpens.map((c) => [c.name, c] as const))('%s still opens', (_name, c) => {
      const opened = open(devices[c.opener]!, fromHex(c.account), lookupOf(c.keys), fromHex(c.envelope));
      expect(opened?.body, c.why).toEqual(c.body);
    });
  });

  describe('logs.json', () => {
    const account = fromHex(logsFile.account);

    it.each(logsFile.checkpoints.map((c) => [c.name, c] as const))('%s: signs to the exact bytes and decodes to its fields', (_name, c) => {
      const fields = checkpointFields(c.fields);
      const sender = devices.find((d) => idKey(d.id) === idKey(fields.sender))!;
      const signed = signCheckpoint(sender, account, fields);
      expectHex(signed.bytes, c.checkpoint);
      expect(signed.bytes.length).toBe(c.length);
      expect(c.checkpoint).toBe(c.unsigned + c.signature);
      expectHex(labelled(LABELS.logCheckpoint, account, fromHex(c.unsigned)), c.signingInput);
      expect(suite.ed25519Verify(fromHex(c.signature), fromHex(c.signingInput), sender.public.identityKey)).toBe(true);
      expectHex(labelled(LABELS.logCheckpointHash, account, fromHex(c.checkpoint)), c.hashInput);
      expectHex(suite.blake2b(32, fromHex(c.hashInput)), c.hash);
      expectHex(checkpointHash(suite, account, fromHex(c.checkpoint)), c.hash);
      const decoded = decodeCheckpoint(suite, account, fromHex(c.checkpoint));
      expectHex(decoded.hash, c.hash);
      expectHex(decoded.signature, c.signature);
      expect({ ...decoded, bytes: undefined, hash: undefined, signature: undefined }).toEqual({ ...fields, bytes: undefined, hash: undefined, signature: undefined });
      verifyCheckpointSignature(suite, account, decoded, sender.public.identityKey);
    });

    it('the checkpoints link: position 1 has a zero prev, each later one the hash of the one before', () => {
      const [first, ...rest] = logsFile.checkpoints;
      expect(first!.fields.position).toBe(1);
      expect(first!.fields.prev).toBe('00'.repeat(32));
      rest.forEach((c, i) => {
        expect(c.fields.position).toBe(i + 2);
        expect(c.fields.prev).toBe(logsFile.checkpoints[i]!.hash);
      });
      // What the checkpoints publish is what pairkeys.json and devices.json derive.
      for (const c of logsFile.checkpoints) {
        for (const k of c.fields.pairKeys) {
          const pair = [...pairKeysFile.pairs, ...pairKeysFile.laterEpochs].find((p) => p.sender === c.fields.sender && p.recipient === k.recipient && p.epoch === k.epoch && p.ref === c.fields.position);
          expect(pair?.ciphertext).toBe(k.ciphertext);
        }
        if (c.fields.statement !== null) expect(devicesFile.laterStatements.map((l) => l.statement)).toContain(c.fields.statement);
      }
    });

    it.each(logsFile.malformed.map((c) => [c.name, c] as const))('refuses to decode %s', (_name, c) => {
      const bytes = c.zeroFilledTo === undefined ? fromHex(c.checkpoint) : (() => {
        const out = new Uint8Array(c.zeroFilledTo!);
        out.set(fromHex(c.checkpoint));
        return out;
      })();
      expect(outcome(() => decodeCheckpoint(suite, account, bytes)), c.why).toBe(c.error);
    });

    it.each(logsFile.badSignatures.map((c) => [c.name, c] as const))('the signature does not verify %s', (_name, c) => {
      const other = fromHex(c.account);
      const decoded = decodeCheckpoint(suite, other, fromHex(c.checkpoint));
      expect(outcome(() => verifyCheckpointSignature(suite, other, decoded, fromHex(c.identityKey))), c.why).toBe(c.error);
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
