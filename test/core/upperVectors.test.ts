/**
 * The upper layers' frozen vectors (chain, pairing, recovery, requests, records), run
 * table-driven on both backends: every entry, message, derivation, signature and envelope is
 * rebuilt from the recorded inputs and randomness and compared byte for byte, and every
 * must-fail case must fail with exactly its code. scripts/make-vectors.ts made them once;
 * docs/protocol.md §18–§24 explains their bytes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, equalBytes, fromHex, toBase64Url, toHex, utf8 } from '../../src/crypto/bytes.js';
import { deriveKey, labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { loadSuite } from '../../src/crypto/suite.js';
import { decodeValue, encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import { decodeKeyStatement, makeKeyStatement } from '../../src/core/keyStatement.js';
import { Device, signAsProtocol } from '../../src/core/device.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { parseEnvelope, type EnvelopeKind } from '../../src/core/envelopeFormat.js';
import { envelopeHash } from '../../src/core/envelopeHash.js';
import { grantEnvelope, makeGrant, openWithGrant } from '../../src/core/grant.js';
import { open, type PairKeyLookup } from '../../src/core/open.js';
import { seal, type SealRecipient } from '../../src/core/seal.js';
import {
  CHAIN_LABELS,
  consentBytes,
  decodeEntry,
  encodeEntry,
  entrySigningBytes,
  type ChainEntry,
} from '../../src/enrollment/chainEntry.js';
import { deviceKeys, signConsent } from '../../src/enrollment/chainOps.js';
import { encodeChainSnapshot } from '../../src/enrollment/chainSnapshot.js';
import { DEFAULT_RECOVERY_DELAY_MS, MIN_RECOVERY_DELAY_MS, replayChain, type ChainDevice, type ChainState } from '../../src/enrollment/chainState.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import { ForkAlarm, type ForkAlarmReason } from '../../src/enrollment/forkAlarm.js';
import { verifyJoin } from '../../src/enrollment/joinChain.js';
import {
  MAX_PAIRING_PLAINTEXT_BYTES,
  openPairingMessage,
  PAIRING_STEPS,
  pairingMailboxId,
  sealPairingMessage,
  type PairingStep,
} from '../../src/enrollment/pairingChannel.js';
import { createPairingCode, PAIRING_CODE_LABEL, pairingCodeSecret, parsePairingCode } from '../../src/enrollment/pairingCode.js';
import { openCommit, openConsent, openInvite, openReveal, openWelcome } from '../../src/enrollment/pairingMessages.js';
import { createPairingOffer, decodePairingOffer, encodePairingOffer, PAIRING_OFFER_VERSION } from '../../src/enrollment/pairingOffer.js';
import { createRecoveryWords, normaliseWords, recoveryDevice } from '../../src/enrollment/recoveryWords.js';
import { checkSasCommitment, sasCode, sasCommitment } from '../../src/enrollment/sas.js';
import {
  readAuthHeaders,
  REQUEST_BODY_LABEL,
  REQUEST_LABEL,
  requestBodyHash,
  requestOrigin,
  requestSigningMessage,
  signRequest,
  verifyRequestSignature,
} from '../../src/http/signing.js';
import { bodyFromWire, bodyToWire, checkCollectionName, GRANTS_COLLECTION, type RecordBody } from '../../src/sync/recordBody.js';
import { BACKENDS } from '../support/devices.js';
import { expectHex, load, outcome, outcomeAsync, replay, revive, type Versioned } from '../support/vectorFiles.js';

// ---------------------------------------------------------------------------------------------
// The files' shapes

type Labels = Record<string, { text: string; prefix: string }>;

interface DeviceVector {
  id: string;
  role: string;
  addedAt: number;
  effectiveAt: number;
  pendingEntry: string | null;
  card: string;
  /** The `device` name of the statement's row in `keyStatements`. */
  keyStatement: string;
  rotations: Array<{ card: string; untilPosition: number }>;
}

interface StateVector {
  accountId: string;
  head: string;
  length: number;
  lastTs: number;
  recoveryDelayMs: number;
  devices: DeviceVector[];
  removed: string[];
  removedDevices: Array<DeviceVector & { cut: { position: number; hash: string | null }; removedAt: number; vetoed: boolean }>;
}

interface ChainFile extends Versioned {
  labels: Labels;
  entryVersion: number;
  defaultRecoveryDelayMs: number;
  minRecoveryDelayMs: number;
  maxEntryBytes: number;
  keyStatementLabel: { text: string; prefix: string };
  keyStatements: Array<{ device: string; epoch: number; xwingSeed: string; xwingPublicKey: string; signingBytes: string; statement: string }>;
  genesisVariants: Array<{ name: string; why: string; fields: unknown; entry: string; stateAfter: StateVector }>;
  accountId: string;
  entries: Array<{
    index: number;
    type: string;
    signer: string;
    fields: unknown;
    unsignedCbor: string;
    signingAccount: string;
    signingBytes: string;
    consent?: { device: string; signedBytes: string; signature: string };
    signature: string;
    entry: string;
    hashInput: string;
    hash: string;
    stateAfter: StateVector;
  }>;
  invalid: Array<{ name: string; why: string; prefix: number; append: string[]; error: string }>;
  snapshots: Array<{ name: string; self: string; verifiedAt: number; entries: number; alarm: ForkAlarmReason | null; head: string; snapshot: string }>;
  invalidSnapshots: Array<{ name: string; snapshot: string; error: string }>;
}

type Opener = 'commit' | 'invite' | 'reveal-qr' | 'reveal-code' | 'consent' | 'welcome' | 'used';

interface PairingFile extends Versioned {
  labels: Labels;
  steps: Record<string, number>;
  offer: {
    device: string;
    serverUrl: string;
    createdAt: number;
    ttlMs: number;
    random: string;
    secret: string;
    nonce: string;
    commitment: string;
    expiresAt: number;
    cbor: string;
    uri: string;
    decode: Array<{ name: string; uri: string; now: number; error: string | null }>;
  };
  maxPlaintextBytes: number;
  channelLimit: Array<{ name: string; secret: 'qr'; step: number; plaintext: string; plaintextLength: number; nonce: string; sealedLength: number; error: string | null }>;
  welcomeChecks: Array<{
    name: string;
    entries: number;
    append: string[];
    joiner: string;
    keyStatement: string;
    invite: { account: string; head: string; approver: string };
    welcome: { head: string; length: number };
    error: string | null;
    reason: ForkAlarmReason | null;
  }>;
  code: {
    random: string;
    digits: string;
    checkDigit: number;
    display: string;
    secretInput: string;
    secret: string;
    parse: Array<{ name: string; typed: string; digits: string | null; error: string | null }>;
  };
  channels: Array<{ name: string; secret: string; keyInput: string; key: string; mailboxes: Array<{ step: string; byte: number; idInput: string; id: string }> }>;
  codePairingAdd: { entry: string; hash: string };
  messages: Array<{
    name: string;
    flow: 'qr' | 'code';
    step: number;
    open: Opener;
    mailboxId: string;
    message: unknown;
    plaintext: string;
    nonce: string;
    aad: string;
    sealed: string;
  }>;
  invalidMessages: Array<{ name: string; why: string; secret: 'qr' | 'code'; open: Exclude<Opener, 'used'>; sealed: string; error: string }>;
  sas: {
    commitments: Array<{ name: string; device: string; nonce: string; input: string; commitment: string }>;
    codes: Array<{
      name: string;
      account: string;
      newDevice: string;
      approver: string;
      newNonce: string;
      approverNonce: string;
      input: string;
      hash: string;
      first40Bits: number;
      value: number;
      sas: string;
    }>;
    commitmentMismatch: Array<{ name: string; commitment: number; device: string; nonce: string; error: string }>;
  };
}

interface RecoveryFile extends Versioned {
  labels: Labels;
  cases: Array<{
    name: string;
    entropy: string;
    words: string;
    identitySeedInput: string;
    identitySeed: string;
    encryptionSecretInput: string;
    encryptionSecret: string;
    secrets: string;
    identityKey: string;
    encryptionKey: string;
    deviceId: string;
    card: string;
    xwingSeedInput: string;
    xwingSeed: string;
    xwingPublicKey: string;
    keyStatement: string;
  }>;
  spellings: Array<{ name: string; typed: string; normalised: string }>;
  invalid: Array<{ name: string; typed: string; error: string }>;
}

interface RequestsFile extends Versioned {
  labels: Labels;
  origins: Array<{ url: string; origin: string }>;
  requests: Array<{
    name: string;
    signer: string;
    method: string;
    origin: string;
    pathAndQuery: string;
    body: string;
    bodyHashInput: string;
    bodyHash: string;
    accountId: string;
    deviceId: string;
    time: number;
    random: string;
    nonce: string;
    signingMessage: string;
    signedBytes: string;
    signature: string;
    headers: Record<string, string>;
  }>;
  verify: Array<{
    name: string;
    method: string;
    origin: string;
    pathAndQuery: string;
    bodyHash: string;
    accountId: string;
    deviceId: string;
    time: number;
    nonce: string;
    identityKey: string;
    signature: string;
    valid: boolean;
  }>;
  headers: Array<{ name: string; headers: Record<string, string>; result: 'ok' | 'missing' | 'malformed'; serverError: string | null }>;
}

interface RecordsFile extends Versioned {
  grantsCollection: string;
  bodies: Array<{ name: string; body: unknown; wire: unknown; compact: string; canonical: string }>;
  envelopes: Array<{
    name: string;
    sender: string;
    recipients: string[];
    input: { kind: EnvelopeKind; revision: number; expiryDay: number; recordId: string | null };
    stanzas: Array<{ recipient: string; ref: number; kek: string }>;
    bodyCbor: string;
    random: string;
    recordId: string;
    hash: string;
    envelope: string;
  }>;
  grant: {
    grantor: string;
    recipient: string;
    envelope: number;
    recordId: string;
    hash: string;
    grantorId: string;
    ref: number;
    refBytes: string;
    contentKey: string;
    kek: string;
    nonceInput: string;
    nonce: string;
    wrappedKey: string;
    grant: string;
  };
  bodyDecodes: Array<{ name: string; cbor: string; error: string | null }>;
  collectionNames: Array<{ name: string; error: string | null }>;
  invalidGrants: Array<{
    name: string;
    why: string;
    opener: string;
    account?: string;
    keys: HeldKeyVector[];
    envelope: 'record' | 'tombstone' | 'truncated';
    grant: string;
    error: string;
  }>;
}

interface HeldKeyVector {
  sender: string | null;
  senderId: string;
  ref: number;
  kek: string;
}

interface DevicesFile extends Versioned {
  devices: Array<{ name: string; random: string; deviceId: string }>;
}

interface PairKeysFile extends Versioned {
  pairs: Array<{ sender: number; recipient: number; ref: number; kek: string }>;
}

const devicesFile = load<DevicesFile>('devices.json');
const pairKeysFile = load<PairKeysFile>('pairkeys.json');
const chainFile = load<ChainFile>('chain.json');
const pairingFile = load<PairingFile>('pairing.json');
const recoveryFile = load<RecoveryFile>('recovery.json');
const requestsFile = load<RequestsFile>('requests.json');
const recordsFile = load<RecordsFile>('records.json');

// ---------------------------------------------------------------------------------------------
// Helpers (the shared ones are in test/support/vectorFiles.ts)

/** chain.json names each statement in its states by the `device` of its row in `keyStatements`. */
const statementNames = new Map(chainFile.keyStatements.map((k) => [k.statement, k.device]));

function deviceVector(d: ChainDevice): DeviceVector {
  return {
    id: toHex(d.card.id),
    role: d.role,
    addedAt: d.addedAt,
    effectiveAt: d.effectiveAt,
    pendingEntry: d.pendingEntry === undefined ? null : toHex(d.pendingEntry),
    card: toHex(encodeDevicePublic(d.card)),
    keyStatement: statementNames.get(toHex(d.keyStatement.bytes)) ?? toHex(d.keyStatement.bytes),
    rotations: d.rotations.map((r) => ({ card: toHex(encodeDevicePublic(r.card)), untilPosition: r.untilPosition })),
  };
}

/** A chain state in the vectors' form: devices and removed devices sorted by id, removed ids sorted. */
function stateVector(s: ChainState): StateVector {
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
  const devices = [...s.devices.values()].map(deviceVector).sort(byId);
  const removed = [...s.removed].map((k) => toHex(Uint8Array.from(k, (c) => c.charCodeAt(0)))).sort();
  const removedDevices = [...s.removedDevices.values()]
    .map((d) => ({ ...deviceVector(d), cut: { position: d.cut.position, hash: d.cut.hash === null ? null : toHex(d.cut.hash) }, removedAt: d.removedAt, vetoed: d.vetoed }))
    .sort(byId);
  return { accountId: toHex(s.accountId), head: toHex(s.head), length: s.length, lastTs: s.lastTs, recoveryDelayMs: s.recoveryDelayMs, devices, removed, removedDevices };
}

function labelsMatch(labels: Labels, expected: Record<string, string>): void {
  expect(Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v.text]))).toEqual(expected);
  for (const l of Object.values(labels)) expectHex(labelled(l.text), l.prefix);
}

const chainBytes = chainFile.entries.map((e) => fromHex(e.entry));
const account = fromHex(chainFile.accountId);

// ---------------------------------------------------------------------------------------------

describe('the upper-layer vector files', () => {
  it('cover what docs/protocol.md promises', () => {
    expect(chainFile.entries.map((e) => e.type)).toEqual(['genesis', 'add', 'rotate', 'remove', 'add', 'veto', 'add', 'add', 'add', 'add', 'veto', 'remove', 'remove']);
    expect(chainFile.entries.filter((e) => e.signer === 'recovery')).toHaveLength(3);
    expect([chainFile.entryVersion, chainFile.defaultRecoveryDelayMs, chainFile.minRecoveryDelayMs]).toEqual([2, DEFAULT_RECOVERY_DELAY_MS, MIN_RECOVERY_DELAY_MS]);
    expect(chainFile.keyStatementLabel.text).toBe(LABELS.keyStatement);
    const codes = new Set(chainFile.invalid.map((c) => c.error));
    for (const code of [
      'CHAIN_KEY_STATEMENT_INVALID',
      'CHAIN_CUT_INVALID',
      'CHAIN_LAST_DEVICE',
      'CHAIN_RECOVERY_DELAY_TOO_SHORT',
      'CBOR_TOO_DEEP',
      'CBOR_TOO_MANY_ITEMS',
      'CBOR_TRAILING_BYTES',
      'CHAIN_BROKEN_LINK',
      'CHAIN_SIGNATURE_INVALID',
      'CHAIN_SIGNER_NOT_ACTIVE',
      'CHAIN_CONSENT_INVALID',
      'CHAIN_DEVICE_REMOVED',
      'CHAIN_DEVICE_EXISTS',
      'CHAIN_ENTRY_INVALID',
      'CHAIN_ENTRY_MALFORMED',
      'CHAIN_GENESIS_INVALID',
      'CHAIN_TARGET_INVALID',
      'CHAIN_TIME_INVALID',
      'CHAIN_CARD_INVALID',
    ]) {
      expect(codes, code).toContain(code);
    }
    expect(new Set(pairingFile.messages.map((m) => m.open))).toEqual(new Set(['invite', 'used', 'reveal-qr', 'reveal-code', 'consent', 'welcome', 'commit']));
    expect(pairingFile.maxPlaintextBytes).toBe(MAX_PAIRING_PLAINTEXT_BYTES);
    expect(recordsFile.grantsCollection).toBe(GRANTS_COLLECTION);
    expect(pairingFile.steps).toEqual(PAIRING_STEPS);
    labelsMatch(chainFile.labels, CHAIN_LABELS);
    labelsMatch(pairingFile.labels, {
      pairingMailbox: LABELS.pairingMailbox,
      pairingKey: LABELS.pairingKey,
      pairingCode: PAIRING_CODE_LABEL,
      sasCommit: LABELS.sasCommit,
      sasCode: LABELS.sasCode,
    });
    labelsMatch(recoveryFile.labels, { recoveryIdentity: LABELS.recoveryIdentity, recoveryEncryption: LABELS.recoveryEncryption, recoveryKem: LABELS.recoveryKem });
    labelsMatch(requestsFile.labels, { request: REQUEST_LABEL, requestBody: REQUEST_BODY_LABEL });
  });

  it('chain entries are canonical CBOR that re-encodes to itself, and the account id is the genesis hash', () => {
    for (const e of chainFile.entries) {
      const fields = revive(e.fields) as Omit<ChainEntry, 'sig'>;
      expectHex(encodeCanonical(fields), e.unsignedCbor, `entry ${e.index}`);
      expectHex(encodeCanonical({ ...fields, sig: fromHex(e.signature) }), e.entry, `entry ${e.index}`);
      expect(e.signingBytes).toBe(toHex(labelled(CHAIN_LABELS.entrySignature, fromHex(e.signingAccount), fromHex(e.unsignedCbor))));
      expect(e.hashInput).toBe(toHex(labelled(CHAIN_LABELS.entryHash, fromHex(e.entry))));
      expect(e.signingAccount).toBe(e.index === 0 ? '00'.repeat(32) : chainFile.accountId);
    }
    expect(chainFile.entries[0]!.hash).toBe(chainFile.accountId);
  });
});

describe.each(BACKENDS)('upper-layer vectors on the %s backend', (backend: BackendName) => {
  let suite: CryptoProvider;
  /** devices.json's devices by name, and the recovery device of recovery.json case 0. */
  const cast = new Map<string, Device>();
  const who = (name: string): Device => {
    const d = cast.get(name);
    if (d === undefined) throw new Error(`no device named ${name}`);
    return d;
  };
  const cardOf = (name: string) => encodeDevicePublic(who(name).public);

  beforeAll(async () => {
    suite = await loadSuite(backend);
    // devices.json gives each device's three draws: its keys and the X-Wing seed of its epoch 0.
    for (const v of devicesFile.devices) cast.set(v.name, await Device.generate({ backend, random: replay(v.random).random }));
    cast.set('recovery', await recoveryDevice(recoveryFile.cases[0]!.words, { backend }));
    cast.set('recovery-2', await recoveryDevice(recoveryFile.cases[3]!.words, { backend }));
  });

  describe('chain.json', () => {
    it.each(chainFile.entries.map((e) => [e.index, e.type, e.signer] as const))('entry %i (%s by %s) is rebuilt byte for byte', (k) => {
      const v = chainFile.entries[k]!;
      const fields = revive(v.fields) as Omit<ChainEntry, 'sig'>;
      const signAccount = k === 0 ? undefined : account;
      expectHex(entrySigningBytes(signAccount, fields), v.signingBytes);
      const signature = signAsProtocol(who(v.signer), CHAIN_LABELS.entrySignature, concatBytes(fromHex(v.signingAccount), fromHex(v.unsignedCbor)));
      expectHex(signature, v.signature);
      expect(suite.ed25519Verify(signature, fromHex(v.signingBytes), who(v.signer).public.identityKey)).toBe(true);
      if (v.consent !== undefined) {
        const joiner = who(v.consent.device);
        expectHex(consentBytes(account, cardOf(v.consent.device)), v.consent.signedBytes);
        expectHex(signConsent(joiner, account), v.consent.signature);
        expect(toHex((fields as ChainEntry).ok!)).toBe(v.consent.signature);
      }
      const encoded = encodeEntry(suite, { ...fields, sig: signature } as ChainEntry);
      expectHex(encoded.bytes, v.entry);
      expectHex(encoded.hash, v.hash);
      expectHex(suite.blake2b(32, fromHex(v.hashInput)), v.hash);
      expectHex(decodeEntry(suite, fromHex(v.entry)).hash, v.hash);
    });

    it.each(chainFile.keyStatements.map((k) => [k.device, k] as const))("%s's epoch-0 key statement is rebuilt from its seed", (_name, k) => {
      const device = who(k.device);
      const statement = makeKeyStatement(device, 0, fromHex(k.xwingSeed));
      expectHex(statement.publicKey, k.xwingPublicKey);
      expectHex(statement.bytes, k.statement);
      expect(k.statement).toBe(`01${toHex(device.id)}00000000${k.xwingPublicKey}${k.statement.slice(-128)}`);
      expectHex(labelled(LABELS.keyStatement, statement.bytes.subarray(0, 1237)), k.signingBytes);
      expect(suite.ed25519Verify(statement.signature, fromHex(k.signingBytes), device.public.identityKey)).toBe(true);
      expectHex(deviceKeys(device).keyStatement.bytes, k.statement);
    });

    it.each(chainFile.genesisVariants.map((g) => [g.name, g] as const))('genesis variant: %s', (_name, g) => {
      const fields = revive(g.fields) as Omit<ChainEntry, 'sig'>;
      expectHex(encodeCanonical({ ...fields, sig: decodeEntry(suite, fromHex(g.entry)).entry.sig }), g.entry);
      expect(stateVector(replayChain(suite, [fromHex(g.entry)]))).toEqual(g.stateAfter);
    });

    it('replays to the stated state after every entry', () => {
      for (let k = 0; k < chainBytes.length; k++) {
        expect(stateVector(replayChain(suite, chainBytes.slice(0, k + 1))), `after entry ${k}`).toEqual(chainFile.entries[k]!.stateAfter);
      }
    });

    it.each(chainFile.invalid.map((c) => [c.name, c.error, c] as const))('%s → %s', (_name, _error, c) => {
      const entries = [...chainBytes.slice(0, c.prefix), ...c.append.map(fromHex)];
      expect(outcome(() => replayChain(suite, entries)), c.why).toBe(c.error);
    });

    it.each(chainFile.snapshots.map((s) => [s.name, s] as const))('snapshot: %s', (_name, s) => {
      const bytes = fromHex(s.snapshot);
      const self = who(s.self).id;
      const alarm = s.alarm === null ? {} : { alarm: s.alarm };
      expectHex(encodeChainSnapshot({ self, verifiedAt: s.verifiedAt, entries: chainBytes.slice(0, s.entries), ...alarm }), s.snapshot);
      const chain = DeviceChain.fromBytes(suite, bytes);
      expect(chain.length).toBe(s.entries);
      expect(toHex(chain.head)).toBe(s.head);
      expect(toHex(chain.self)).toBe(toHex(self));
      expect(chain.verifiedAt).toBe(s.verifiedAt);
      expect(chain.forkAlarm ?? null).toBe(s.alarm);
      expectHex(chain.toBytes(), s.snapshot);
    });

    it.each(chainFile.invalidSnapshots.map((c) => [c.name, c] as const))('snapshot refused: %s', (_name, c) => {
      expect(outcome(() => DeviceChain.fromBytes(suite, fromHex(c.snapshot)))).toBe(c.error);
    });
  });

  describe('pairing.json', () => {
    const secrets = () => ({ qr: fromHex(pairingFile.offer.secret), code: fromHex(pairingFile.code.secret) });

    function openAs(opener: Opener, secret: Uint8Array, bytes: Uint8Array): unknown {
      switch (opener) {
        case 'commit':
          return { c: openCommit(suite, secret, bytes) };
        case 'used':
        case 'invite': {
          const invite = openInvite(suite, secret, bytes);
          if (invite === 'used') return 'used';
          return { a: invite.account, h: invite.head, dev: encodeDevicePublic(invite.approver), n: invite.nonce };
        }
        case 'reveal-qr':
        case 'reveal-code': {
          const r = openReveal(suite, secret, bytes, opener === 'reveal-code');
          return r.card === undefined ? { n: r.nonce } : { dev: r.card, n: r.nonce };
        }
        case 'consent': {
          const c = openConsent(suite, secret, bytes);
          return { ok: c.consent, xk: c.keyStatement.bytes };
        }
        case 'welcome': {
          const w = openWelcome(suite, secret, bytes);
          return { h: w.head, l: w.length };
        }
      }
    }

    it('the offer URI is made from the device, the secret and nonce drawn, the time and the URL; the nonce stays out', () => {
      const o = pairingFile.offer;
      const source = replay(o.random);
      const offer = createPairingOffer(who(o.device), o.serverUrl, { now: o.createdAt, random: source.random });
      expect(source.exhausted()).toBe(true);
      expect(offer.expiresAt).toBe(o.createdAt + o.ttlMs);
      expect(o.expiresAt).toBe(offer.expiresAt);
      expect(o.random).toBe(o.secret + o.nonce);
      expectHex(offer.secret, o.secret);
      expectHex(offer.nonce!, o.nonce);
      expectHex(offer.commitment, o.commitment);
      expectHex(sasCommitment(suite, cardOf(o.device), fromHex(o.nonce)), o.commitment);
      expect(encodePairingOffer(offer)).toBe(o.uri);
      expect(o.uri).toBe(`multikey-sync:pair?o=${toBase64Url(fromHex(o.cbor))}`);
      expectHex(encodeCanonical({ v: PAIRING_OFFER_VERSION, dev: cardOf(o.device), s: offer.secret, c: offer.commitment, exp: o.expiresAt, url: o.serverUrl }), o.cbor);
      const decoded = decodePairingOffer(suite, o.uri, o.createdAt);
      expect(decoded).toEqual({ device: who(o.device).public, secret: offer.secret, commitment: offer.commitment, expiresAt: o.expiresAt, serverUrl: o.serverUrl });
    });

    it.each(pairingFile.offer.decode.map((c) => [c.name, c.error, c] as const))('offer decoding, %s → %s', (_name, _error, c) => {
      expect(outcome(() => decodePairingOffer(suite, c.uri, c.now))).toBe(c.error ?? 'ok');
    });

    it('the pairing code, its check digit and its mailbox secret', () => {
      const c = pairingFile.code;
      const source = replay(c.random);
      expect(createPairingCode(source.random)).toBe(c.display);
      expect(source.exhausted()).toBe(true);
      expect(parsePairingCode(c.display)).toBe(c.digits);
      expect(Number(c.digits[9])).toBe(c.checkDigit);
      expectHex(labelled(PAIRING_CODE_LABEL, utf8(c.digits)), c.secretInput);
      expectHex(suite.blake2b(32, fromHex(c.secretInput)), c.secret);
      expectHex(pairingCodeSecret(suite, c.display), c.secret);
    });

    it.each(pairingFile.code.parse.map((c) => [c.name, c] as const))('typed code: %s', (_name, c) => {
      expect(outcome(() => parsePairingCode(c.typed))).toBe(c.error ?? 'ok');
      if (c.digits !== null) expect(parsePairingCode(c.typed)).toBe(c.digits);
    });

    it('channels: the message key and the mailbox id of each step', () => {
      for (const ch of pairingFile.channels) {
        const secret = fromHex(ch.secret);
        expectHex(labelled(LABELS.pairingKey), ch.keyInput);
        expectHex(suite.blake2b(32, fromHex(ch.keyInput), secret), ch.key);
        expectHex(deriveKey(suite, LABELS.pairingKey, secret, 32), ch.key);
        for (const m of ch.mailboxes) {
          expect(m.byte).toBe(PAIRING_STEPS[m.step as keyof typeof PAIRING_STEPS]);
          expectHex(labelled(LABELS.pairingMailbox, secret, new Uint8Array([m.byte])), m.idInput);
          expectHex(suite.blake2b(32, fromHex(m.idInput)), m.id);
          expectHex(pairingMailboxId(suite, secret, m.byte as PairingStep), m.id);
        }
      }
    });

    it.each(pairingFile.messages.map((m, i) => [i, m.name] as const))('message #%i %s: seals to the exact bytes and opens', (i) => {
      const m = pairingFile.messages[i]!;
      const secret = secrets()[m.flow];
      const step = m.step as PairingStep;
      const message = revive(m.message) as Record<string, unknown>;
      expectHex(encodeCanonical(message), m.plaintext);
      expectHex(pairingMailboxId(suite, secret, step), m.mailboxId);
      expect(m.aad).toBe(`0${m.step}${m.mailboxId}`);
      const source = replay(m.nonce);
      expectHex(sealPairingMessage(suite, secret, step, message, source.random), m.sealed);
      expect(source.exhausted()).toBe(true);
      const key = deriveKey(suite, LABELS.pairingKey, secret, 32);
      expectHex(concatBytes(fromHex(m.nonce), suite.aeadEncrypt(key, fromHex(m.nonce), fromHex(m.plaintext), fromHex(m.aad))), m.sealed);
      const opened = openAs(m.open, secret, fromHex(m.sealed));
      expect(opened).toEqual(m.open === 'used' ? 'used' : message);
    });

    it.each(pairingFile.invalidMessages.map((c) => [c.name, c] as const))('message refused: %s', (_name, c) => {
      expect(outcome(() => openAs(c.open, secrets()[c.secret], fromHex(c.sealed))), c.why).toBe(c.error);
    });

    it.each(pairingFile.channelLimit.map((c) => [c.name, c] as const))('channel limit: %s', (_name, c) => {
      const fill = c.plaintextLength - 6;
      expect(c.plaintext).toBe(`{"p": ${fill} zero bytes}`);
      expect(encodeCanonical({ p: new Uint8Array(fill) })).toHaveLength(c.plaintextLength);
      const sealed = sealPairingMessage(suite, secrets().qr, c.step as PairingStep, { p: new Uint8Array(fill) }, replay(c.nonce).random);
      expect(sealed).toHaveLength(c.sealedLength);
      expect(outcome(() => openPairingMessage(suite, secrets().qr, c.step as PairingStep, sealed))).toBe(c.error ?? 'ok');
    });

    it.each(pairingFile.welcomeChecks.map((c) => [c.name, c] as const))('after the welcome: %s', (_name, c) => {
      const entries = [...chainBytes.slice(0, c.entries), ...c.append.map(fromHex)];
      const joiner = who(c.joiner);
      const chain = DeviceChain.fromEntries(suite, entries, { self: joiner.id, clock: () => 0 });
      const invite = { account: fromHex(c.invite.account), head: fromHex(c.invite.head), approver: who(c.invite.approver).public };
      const run = () => verifyJoin(chain, { card: joiner.public, keyStatement: decodeKeyStatement(fromHex(c.keyStatement)) }, invite, { head: fromHex(c.welcome.head), length: c.welcome.length });
      expect(outcome(run)).toBe(c.error ?? 'ok');
      if (c.reason !== null) {
        const alarm = (() => {
          try {
            run();
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(alarm).toBeInstanceOf(ForkAlarm);
        expect((alarm as ForkAlarm).reason).toBe(c.reason);
      }
    });

    it("the code pairing's welcome names an add that extends the chain after entry 3", () => {
      const add = fromHex(pairingFile.codePairingAdd.entry);
      expectHex(decodeEntry(suite, add).hash, pairingFile.codePairingAdd.hash);
      const welcome = pairingFile.messages.find((m) => m.flow === 'code' && m.open === 'welcome')!;
      expect((welcome.message as { h: { $bytes: string } }).h.$bytes).toBe(pairingFile.codePairingAdd.hash);
      const state = replayChain(suite, [...chainBytes.slice(0, 4), add]);
      expect(toHex(state.head)).toBe(pairingFile.codePairingAdd.hash);
      expect(state.length).toBe((welcome.message as { l: number }).l);
    });

    it('SAS: the commitments and the 6-digit codes', () => {
      const { commitments, codes, commitmentMismatch } = pairingFile.sas;
      for (const commitment of commitments) {
        expectHex(labelled(LABELS.sasCommit, cardOf(commitment.device), fromHex(commitment.nonce)), commitment.input);
        expectHex(suite.blake2b(32, fromHex(commitment.input)), commitment.commitment);
        expectHex(sasCommitment(suite, cardOf(commitment.device), fromHex(commitment.nonce)), commitment.commitment);
        checkSasCommitment(suite, fromHex(commitment.commitment), cardOf(commitment.device), fromHex(commitment.nonce));
      }
      for (const c of codes) {
        const parts = [fromHex(c.account), cardOf(c.newDevice), cardOf(c.approver), fromHex(c.newNonce), fromHex(c.approverNonce)] as const;
        expectHex(labelled(LABELS.sasCode, ...parts), c.input);
        const h = suite.blake2b(16, fromHex(c.input));
        expectHex(h, c.hash);
        expect(h.subarray(0, 5).reduce((n, b) => n * 256 + b, 0)).toBe(c.first40Bits);
        expect(c.first40Bits % 1_000_000).toBe(c.value);
        expect(c.sas).toBe(`${String(c.value).padStart(6, '0').slice(0, 3)} ${String(c.value).padStart(6, '0').slice(3)}`);
        expect(sasCode(suite, ...parts)).toBe(c.sas);
      }
      for (const c of commitmentMismatch) {
        const committed = fromHex(commitments[c.commitment]!.commitment);
        expect(outcome(() => checkSasCommitment(suite, committed, cardOf(c.device), fromHex(c.nonce))), c.name).toBe(c.error);
      }
    });
  });

  describe('recovery.json', () => {
    it.each(recoveryFile.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const source = replay(c.entropy);
      expect(createRecoveryWords(source.random)).toBe(c.words);
      expect(source.exhausted()).toBe(true);
      const entropy = fromHex(c.entropy);
      expectHex(labelled(LABELS.recoveryIdentity), c.identitySeedInput);
      expectHex(labelled(LABELS.recoveryEncryption), c.encryptionSecretInput);
      expectHex(suite.blake2b(32, fromHex(c.identitySeedInput), entropy), c.identitySeed);
      expectHex(suite.blake2b(32, fromHex(c.encryptionSecretInput), entropy), c.encryptionSecret);
      expect(c.secrets).toBe(`01${c.identitySeed}${c.encryptionSecret}`);
      const d = await recoveryDevice(c.words, { backend });
      expectHex(d.exportSecrets(), c.secrets);
      expectHex(d.public.identityKey, c.identityKey);
      expectHex(d.public.encryptionKey, c.encryptionKey);
      expectHex(d.id, c.deviceId);
      expectHex(encodeDevicePublic(d.public), c.card);
      // Its one key epoch: the words derive the X-Wing seed too.
      expectHex(labelled(LABELS.recoveryKem), c.xwingSeedInput);
      expectHex(suite.blake2b(32, fromHex(c.xwingSeedInput), entropy), c.xwingSeed);
      expect(d.epochs.all().map((e) => e.epoch)).toEqual([0]);
      expectHex(d.epochs.get(0)!.statement.publicKey, c.xwingPublicKey);
      expectHex(d.epochs.get(0)!.statement.bytes, c.keyStatement);
      expectHex(makeKeyStatement(d, 0, fromHex(c.xwingSeed)).bytes, c.keyStatement);
    });

    it.each(recoveryFile.spellings.map((s) => [s.name, s] as const))('typed with %s, the words derive the same device', async (_name, s) => {
      expect(normaliseWords(s.typed)).toBe(s.normalised);
      expectHex((await recoveryDevice(s.typed, { backend })).exportSecrets(), recoveryFile.cases[0]!.secrets);
    });

    it.each(recoveryFile.invalid.map((c) => [c.name, c] as const))('refuses %s', async (_name, c) => {
      expect(await outcomeAsync(() => recoveryDevice(c.typed, { backend }))).toBe(c.error);
    });
  });

  describe('requests.json', () => {
    it.each(requestsFile.requests.map((r) => [r.name, r] as const))('%s', (_name, r) => {
      const body = fromHex(r.body);
      expectHex(labelled(REQUEST_BODY_LABEL, body), r.bodyHashInput);
      expectHex(suite.blake2b(32, fromHex(r.bodyHashInput)), r.bodyHash);
      expectHex(requestBodyHash(suite, body), r.bodyHash);
      const fields = {
        method: r.method,
        origin: r.origin,
        pathAndQuery: r.pathAndQuery,
        bodyHash: fromHex(r.bodyHash),
        accountId: fromHex(r.accountId),
        deviceId: fromHex(r.deviceId),
        time: r.time,
        nonce: fromHex(r.nonce),
      };
      expectHex(requestSigningMessage(fields), r.signingMessage);
      expectHex(encodeCanonical([r.method, r.origin, r.pathAndQuery, fields.bodyHash, fields.accountId, fields.deviceId, r.time, fields.nonce]), r.signingMessage);
      expectHex(labelled(REQUEST_LABEL, fromHex(r.signingMessage)), r.signedBytes);
      const signer = who(r.signer);
      expectHex(signer.id, r.deviceId);
      expect(r.random).toBe(r.nonce);
      const source = replay(r.random);
      const headers = signRequest(signer, { method: r.method, origin: r.origin, pathAndQuery: r.pathAndQuery, body, accountId: fromHex(r.accountId), time: r.time }, source.random);
      expect(source.exhausted()).toBe(true);
      expect(headers).toEqual(r.headers);
      expect(r.headers['mks-signature']).toBe(r.signature);
      expect(suite.ed25519Verify(fromHex(r.signature), fromHex(r.signedBytes), signer.public.identityKey)).toBe(true);
      expect(verifyRequestSignature(suite, signer.public.identityKey, fields, fromHex(r.signature))).toBe(true);
    });

    it.each(requestsFile.verify.map((v) => [v.name, v.valid, v] as const))('verification, %s → %s', (_name, _valid, v) => {
      const fields = {
        method: v.method,
        origin: v.origin,
        pathAndQuery: v.pathAndQuery,
        bodyHash: fromHex(v.bodyHash),
        accountId: fromHex(v.accountId),
        deviceId: fromHex(v.deviceId),
        time: v.time,
        nonce: fromHex(v.nonce),
      };
      expect(verifyRequestSignature(suite, fromHex(v.identityKey), fields, fromHex(v.signature))).toBe(v.valid);
    });

    it.each(requestsFile.origins.map((o) => [o.url, o.origin] as const))('the server URL %s is signed as the origin %s', (url, origin) => {
      expect(requestOrigin(url)).toBe(origin);
    });

    it.each(requestsFile.headers.map((c) => [c.name, c.result, c] as const))('headers %s → %s', (_name, _result, c) => {
      expect(readAuthHeaders((name) => c.headers[name]).kind).toBe(c.result);
    });
  });

  describe('records.json', () => {
    const indexOf = (name: string) => devicesFile.devices.findIndex((d) => d.name === name);
    /** pairkeys.json's kek(sender→recipient), by device name. */
    const pairOf = (sender: string, recipient: string) => pairKeysFile.pairs.find((p) => p.sender === indexOf(sender) && p.recipient === indexOf(recipient))!;
    const lookupOf = (keys: readonly HeldKeyVector[]): PairKeyLookup => {
      const map = new Map(keys.map((k) => [`${k.senderId}:${k.ref}`, fromHex(k.kek)]));
      return { get: (sender, ref) => map.get(`${toHex(sender)}:${ref}`) };
    };
    /** The keys `reader` holds from the account's four devices. */
    const heldBy = (reader: string): PairKeyLookup =>
      lookupOf(['phone', 'laptop', 'tablet', 'watch'].map((s) => ({ sender: s, senderId: toHex(who(s).id), ref: pairOf(s, reader).ref, kek: pairOf(s, reader).kek })));
    const toward = (sender: string, recipient: string): SealRecipient => ({ card: who(recipient).public, ref: pairOf(sender, recipient).ref, key: fromHex(pairOf(sender, recipient).kek) });
    const envelopeOf = (which: 'record' | 'tombstone' | 'truncated') =>
      which === 'truncated' ? fromHex(recordsFile.envelopes[0]!.envelope).subarray(0, 74) : fromHex(recordsFile.envelopes[which === 'record' ? 0 : 1]!.envelope);

    it.each(recordsFile.bodies.map((b) => [b.name, b] as const))('body: %s', (_name, b) => {
      const body = revive(b.body) as RecordBody;
      const wire = bodyToWire(body);
      expect(wire).toEqual(revive(b.wire));
      expectHex(encodeValue(wire), b.compact);
      expectHex(encodeCanonical(wire), b.canonical);
      expect(bodyFromWire(decodeValue(fromHex(b.compact)))).toEqual(body);
      expect(bodyFromWire(decodeValue(fromHex(b.canonical)))).toEqual(body);
    });

    it.each(recordsFile.envelopes.map((e, i) => [i, e.name] as const))('envelope #%i %s: seals to the exact bytes and opens', (i) => {
      const e = recordsFile.envelopes[i]!;
      const body = revive(recordsFile.bodies[i]!.body) as RecordBody;
      expect(recordsFile.bodies[i]!.compact).toBe(e.bodyCbor);
      expect(e.stanzas.map((x) => x.recipient)).toEqual(e.recipients);
      for (const x of e.stanzas) {
        expect(x.ref).toBe(pairOf(e.sender, x.recipient).ref);
        expect(x.kek).toBe(pairOf(e.sender, x.recipient).kek);
      }
      const source = replay(e.random);
      const envelope = seal(
        who(e.sender),
        account,
        e.recipients.map((n) => toward(e.sender, n)),
        {
          body: bodyToWire(body),
          kind: e.input.kind,
          revision: e.input.revision,
          expiryDay: e.input.expiryDay,
          ...(e.input.recordId === null ? {} : { recordId: fromHex(e.input.recordId) }),
        },
        { random: source.random },
      );
      expect(source.exhausted()).toBe(true);
      expectHex(envelope, e.envelope);
      const parsed = parseEnvelope(envelope);
      expectHex(parsed.recordId, e.recordId);
      expectHex(envelopeHash(suite, account, parsed.headerAndBody, parsed.stanzas), e.hash);
      for (const reader of e.recipients) {
        const opened = open(who(reader), account, heldBy(reader), envelope)!;
        expect(bodyFromWire(opened.body)).toEqual(body);
        expectHex(opened.hash, e.hash);
      }
    });

    it('the grant re-wraps the content key for the tablet, and the bundle carries it', () => {
      const g = recordsFile.grant;
      const envelope = fromHex(recordsFile.envelopes[g.envelope]!.envelope);
      const to = toward(g.grantor, g.recipient);
      const grant = grantEnvelope(who(g.grantor), account, heldBy(g.grantor), envelope, to)!;
      expectHex(grant, g.grant);
      expectHex(makeGrant(who(g.grantor), to, fromHex(g.recordId), fromHex(g.hash), fromHex(g.contentKey)), g.grant);
      expect(g.grant).toBe(`02${g.recordId}${g.hash}${g.grantorId}${g.refBytes}${g.wrappedKey}`);
      expect(g.refBytes).toBe(g.ref.toString(16).padStart(8, '0'));
      expect(g.ref).toBe(pairOf(g.grantor, g.recipient).ref);
      expect(g.kek).toBe(pairOf(g.grantor, g.recipient).kek);
      expect(g.contentKey).toBe(recordsFile.envelopes[g.envelope]!.random.slice(0, 64));
      expect(g.hash).toBe(recordsFile.envelopes[g.envelope]!.hash);
      expectHex(labelled(LABELS.grantNonceV2, fromHex(g.hash)), g.nonceInput);
      expectHex(suite.blake2b(24, fromHex(g.nonceInput)), g.nonce);
      expectHex(suite.aeadEncrypt(fromHex(g.kek), fromHex(g.nonce), fromHex(g.contentKey), fromHex(g.hash)), g.wrappedKey);
      expect(open(who(g.recipient), account, heldBy(g.recipient), envelope)).toBeNull();
      const viaGrant = openWithGrant(who(g.recipient), account, heldBy(g.recipient), envelope, grant);
      expect(bodyFromWire(viaGrant.body)).toEqual(revive(recordsFile.bodies[g.envelope]!.body));
      const bundle = recordsFile.envelopes.find((e) => e.recipients.length === 1 && e.recipients[0] === g.recipient)!;
      const opened = open(who(g.recipient), account, heldBy(g.recipient), fromHex(bundle.envelope))!;
      const body = bodyFromWire(opened.body);
      expect(body.collection).toBe(GRANTS_COLLECTION);
      expect(body.grants!.map(toHex)).toEqual([g.grant]);
      expect(equalBytes(opened.recordId, fromHex(bundle.recordId))).toBe(true);
    });

    it.each(recordsFile.invalidGrants.map((c) => [c.name, c.error, c] as const))('grant %s → %s', (_name, _error, c) => {
      const got = outcome(() => openWithGrant(who(c.opener), c.account === undefined ? account : fromHex(c.account), lookupOf(c.keys), envelopeOf(c.envelope), fromHex(c.grant)));
      expect(got, c.why).toBe(c.error);
    });

    it('the must-fail grants cover every check of §9', () => {
      const codes = new Set(recordsFile.invalidGrants.map((c) => c.error));
      for (const code of ['GRANT_MALFORMED', 'ACCOUNT_ID_INVALID', 'ENVELOPE_TRUNCATED', 'GRANT_MISMATCH', 'GRANT_KEY_UNKNOWN', 'GRANT_TAMPERED', 'ENVELOPE_KEY_COMMITMENT']) {
        expect(codes.has(code), code).toBe(true);
      }
    });
  });
});

describe('records.json bodies and names', () => {
  it.each(recordsFile.bodyDecodes.map((c) => [c.name, c.error, c] as const))('body %s → %s', (_name, _error, c) => {
    expect(outcome(() => bodyFromWire(decodeValue(fromHex(c.cbor))))).toBe(c.error ?? 'ok');
  });

  it.each(recordsFile.collectionNames.map((c) => [c.name, c.error, c] as const))('collection name "%s" → %s', (_name, _error, c) => {
    expect(outcome(() => checkCollectionName(c.name))).toBe(c.error ?? 'ok');
  });
});
