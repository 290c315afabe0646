/**
 * Writes the frozen test vectors under test/vectors/ (run once: `npx tsx scripts/make-vectors.ts`).
 *
 * Every random byte comes from a deterministic source (BLAKE2b-512 of a name and a counter) and
 * is recorded in the vectors, so a second implementation can replay it. Each vector is computed
 * on the libsodium backend and recomputed on the noble backend; the script stops if the two
 * disagree, or if a must-fail case does not fail with the code written next to it here.
 *
 * The vectors are a contract: once committed they change only with the wire format. The script
 * writes files that do not exist yet and refuses to overwrite existing ones unless given
 * `--force`; for each file it keeps, it reports whether the current code still reproduces it
 * exactly, and exits with status 1 if one no longer does.
 *
 *   --check          write nothing; exit 1 if a file is missing or no longer reproduced
 *   --only a.json,…  consider only these files (e.g. `--force --only chain.json` rewrites one)
 *   --force          overwrite the files considered
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concatBytes, equalBytes, fromHex, toBase64Url, toHex, utf8 } from '../src/crypto/bytes.js';
import { deriveKey, labelled, labelledHash } from '../src/crypto/kdf.js';
import { LABELS } from '../src/crypto/labels.js';
import type { Argon2Params, BackendName, CryptoProvider } from '../src/crypto/provider.js';
import type { RandomSource } from '../src/crypto/random.js';
import { loadSuite } from '../src/crypto/suite.js';
import { decodeValue, encodeCanonical, encodeValue, type CborLimits } from '../src/core/cbor.js';
import { Device } from '../src/core/device.js';
import { DeviceDirectory } from '../src/core/deviceDirectory.js';
import { bindingMessage, decodeDevicePublic, deviceIdOf, encodeDevicePublic, idKey, type DevicePublic } from '../src/core/devicePublic.js';
import { HEADER_BYTES, parseEnvelope, STANZA_BYTES, writeHeader, type EnvelopeKind } from '../src/core/envelopeFormat.js';
import { envelopeHash } from '../src/core/envelopeHash.js';
import { open, type OpenOptions } from '../src/core/open.js';
import { isPaddedLength, pad, paddedLength, unpad } from '../src/core/padding.js';
import { openSecretsWithPassphrase } from '../src/core/passphraseBlob.js';
import { BODY_NONCE, seal, type SealInput } from '../src/core/seal.js';
import { isMultikeySyncError } from '../src/errors.js';
import { grantEnvelope, GRANT_BYTES, openWithGrant } from '../src/core/grant.js';
import {
  CHAIN_LABELS,
  consentBytes,
  decodeEntry,
  encodeEntry,
  entrySigningBytes,
  MAX_ENTRY_BYTES,
  signEntry,
  type ChainEntry,
  type EncodedEntry,
} from '../src/enrollment/chainEntry.js';
import { createGenesis, makeAdd, makeRemove, makeRotate, makeVeto, signConsent } from '../src/enrollment/chainOps.js';
import { encodeChainSnapshot } from '../src/enrollment/chainSnapshot.js';
import { applyEntry, DEFAULT_RECOVERY_DELAY_MS, genesisState, replayChain, type ChainState } from '../src/enrollment/chainState.js';
import { DeviceChain } from '../src/enrollment/deviceChain.js';
import { PAIRING_STEPS, pairingMailboxId, sealPairingMessage, type PairingStep } from '../src/enrollment/pairingChannel.js';
import { createPairingCode, PAIRING_CODE_LABEL, pairingCodeSecret, parsePairingCode } from '../src/enrollment/pairingCode.js';
import { openCommit, openConsent, openInvite, openWelcome } from '../src/enrollment/pairingMessages.js';
import { createPairingOffer, decodePairingOffer, DEFAULT_OFFER_TTL_MS, encodePairingOffer } from '../src/enrollment/pairingOffer.js';
import { createRecoveryWords, normaliseWords, recoveryDevice } from '../src/enrollment/recoveryWords.js';
import { checkSasCommitment, sasCode, sasCommitment } from '../src/enrollment/sas.js';
import {
  readAuthHeaders,
  REQUEST_BODY_LABEL,
  REQUEST_LABEL,
  requestBodyHash,
  requestSigningMessage,
  signRequest,
  verifyRequestSignature,
} from '../src/http/signing.js';
import { bodyFromWire, bodyToWire, checkCollectionName, GRANTS_COLLECTION, type RecordBody } from '../src/sync/recordBody.js';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors');
const FORCE = process.argv.includes('--force');
const CHECK = process.argv.includes('--check');
const ONLY = optionList('--only');

function optionList(flag: string): Set<string> | undefined {
  const at = process.argv.indexOf(flag);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a comma-separated list of file names`);
  return new Set(value.split(','));
}
const BACKENDS: BackendName[] = ['sodium', 'noble'];

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

const DRBG_LABEL = 'multikey-sync/test-vectors/drbg';

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** BLAKE2b-512(len ‖ label ‖ u32(len(name)) ‖ name ‖ u32(counter)), block after block. */
function drbg(suite: CryptoProvider, name: string): RandomSource {
  const nameBytes = utf8(name);
  let counter = 0;
  let buffered: Uint8Array = new Uint8Array(0);
  return (length) => {
    while (buffered.length < length) {
      const block = suite.blake2b(64, labelled(DRBG_LABEL, u32be(nameBytes.length), nameBytes, u32be(counter++)));
      buffered = concatBytes(buffered, block);
    }
    const out = buffered.slice(0, length);
    buffered = buffered.slice(length);
    return out;
  };
}

/** Wraps a source and keeps every byte it hands out, in order. */
function recording(source: RandomSource): { random: RandomSource; drawn: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    random: (length) => {
      const bytes = source(length);
      parts.push(bytes.slice());
      return bytes;
    },
    drawn: () => concatBytes(...parts),
  };
}

/** Hands out exactly the given bytes, in order. */
function replay(bytes: Uint8Array): RandomSource {
  let offset = 0;
  return (length) => {
    if (offset + length > bytes.length) throw new Error('replay source exhausted');
    const out = bytes.slice(offset, offset + length);
    offset += length;
    return out;
  };
}

// ---------------------------------------------------------------------------------------------
// Checks

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`vector generation: ${what}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  check(equalBytes(a, b), `${what} differs (${toHex(a).slice(0, 32)}… vs ${toHex(b).slice(0, 32)}…)`);
}

/** The code `fn` throws (ours only), or `'ok'` when it returns a value, or null for a null return. */
function outcome(fn: () => unknown): string | null {
  try {
    return fn() === null ? null : 'ok';
  } catch (e) {
    if (!isMultikeySyncError(e)) throw e;
    return e.code;
  }
}

async function outcomeAsync(fn: () => Promise<unknown>): Promise<string | null> {
  try {
    return (await fn()) === null ? null : 'ok';
  } catch (e) {
    if (!isMultikeySyncError(e)) throw e;
    return e.code;
  }
}

const hex = toHex;

const outputs = new Map<string, object>();

/** Queues a file; nothing is written until every vector has been computed and checked. */
function writeVectors(name: string, content: object): void {
  outputs.set(name, content);
}

function flushVectors(): void {
  for (const name of ONLY ?? []) if (!outputs.has(name)) throw new Error(`--only: no vector file is called ${name}`);
  let failed = false;
  for (const [name, content] of outputs) {
    if (ONLY !== undefined && !ONLY.has(name)) continue;
    const path = join(OUT_DIR, name);
    const text = `${JSON.stringify(content, null, 2)}\n`;
    if (existsSync(path) && (CHECK || !FORCE)) {
      const same = readFileSync(path, 'utf8') === text;
      failed ||= !same;
      console.log(`kept ${name} (${same ? 'the code still reproduces it' : 'THE CODE NO LONGER REPRODUCES IT'})`);
      continue;
    }
    if (CHECK) {
      failed = true;
      console.log(`missing ${name}`);
      continue;
    }
    writeFileSync(path, text);
    console.log(`wrote ${name}`);
  }
  if (failed) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------
// Devices

const DEVICE_NAMES = ['phone', 'laptop', 'tablet', 'watch', 'browser', 'stranger'] as const;
const PHONE = 0;
const LAPTOP = 1;
const TABLET = 2;
const STRANGER = 5;

interface DeviceSet {
  /** Per backend, the same devices. */
  byBackend: Record<BackendName, Device[]>;
  /** The random bytes each device's generate() drew: identity seed ‖ encryption secret. */
  drawn: Uint8Array[];
}

async function makeDevices(suite: CryptoProvider): Promise<DeviceSet> {
  const drawn: Uint8Array[] = [];
  const byBackend = { sodium: [] as Device[], noble: [] as Device[] };
  for (const name of DEVICE_NAMES) {
    const rec = recording(drbg(suite, `device/${name}`));
    const d = await Device.generate({ backend: 'sodium', random: rec.random });
    drawn.push(rec.drawn());
    byBackend.sodium.push(d);
    const n = await Device.generate({ backend: 'noble', random: replay(rec.drawn()) });
    sameBytes(encodeDevicePublic(n.public), encodeDevicePublic(d.public), `${name} card across backends`);
    byBackend.noble.push(n);
  }
  return { byBackend, drawn };
}

/** A correctly signed card whose encryption key is a low-order X25519 point (the zero point). */
function lowOrderCard(suite: CryptoProvider): { seed: Uint8Array; card: Uint8Array; public: DevicePublic } {
  const seed = drbg(suite, 'card/low-order')(32);
  const identityKey = suite.ed25519PublicKey(seed);
  const encryptionKey = new Uint8Array(32);
  const binding = suite.ed25519Sign(seed, identityKey, bindingMessage(identityKey, encryptionKey));
  const card = new Uint8Array(129);
  card[0] = 1;
  card.set(identityKey, 1);
  card.set(encryptionKey, 33);
  card.set(binding, 65);
  // Built by hand: decodeDevicePublic refuses it (DEVICE_KEY_LOW_ORDER).
  return { seed, card, public: { id: deviceIdOf(suite, identityKey), identityKey, encryptionKey, binding } };
}

/** The labels of the core layer, which these vectors and docs/protocol.md cover. */
const CORE_LABELS = ['deviceId', 'encryptionKeyBinding', 'pairwiseKey', 'envelopeHash', 'grantNonce'] as const;

function deviceVector(d: Device, name: string) {
  const secrets = d.exportSecrets();
  return {
    name,
    identitySeed: hex(secrets.subarray(1, 33)),
    encryptionSecret: hex(secrets.subarray(33, 65)),
    identityKey: hex(d.public.identityKey),
    encryptionKey: hex(d.public.encryptionKey),
    deviceIdInput: hex(labelled(LABELS.deviceId, d.public.identityKey)),
    deviceId: hex(d.id),
    bindingMessage: hex(bindingMessage(d.public.identityKey, d.public.encryptionKey)),
    binding: hex(d.public.binding),
    card: hex(encodeDevicePublic(d.public)),
    secrets: hex(secrets),
  };
}

function devicesVectors(set: DeviceSet, suite: CryptoProvider, low: ReturnType<typeof lowOrderCard>): object {
  const devices = set.byBackend.sodium.map((d, i) => deviceVector(d, DEVICE_NAMES[i]!));
  devices.forEach((v, i) => sameBytes(fromHex(v.identitySeed + v.encryptionSecret), set.drawn[i]!, 'generate() draws seed then secret'));

  const phone = set.byBackend.sodium[PHONE]!;
  const signLabel = 'multikey-sync/v1/vector-example';
  const signMessage = utf8('a labelled signature');
  const signatures = [
    {
      device: PHONE,
      label: signLabel,
      message: hex(signMessage),
      signedBytes: hex(labelled(signLabel, signMessage)),
      signature: hex(phone.sign(signLabel, signMessage)),
    },
  ];

  const goodCard = encodeDevicePublic(phone.public);
  const swapped = goodCard.slice();
  swapped.set(set.byBackend.sodium[LAPTOP]!.public.encryptionKey, 33);
  const badSig = goodCard.slice();
  badSig[128]! ^= 0x01;
  const badVersion = goodCard.slice();
  badVersion[0] = 0x02;
  const invalidCards = [
    { name: 'one byte short', card: hex(goodCard.subarray(0, 128)), error: 'DEVICE_CARD_MALFORMED' },
    { name: 'one byte long', card: hex(concatBytes(goodCard, new Uint8Array(1))), error: 'DEVICE_CARD_MALFORMED' },
    { name: 'card version 2', card: hex(badVersion), error: 'DEVICE_CARD_MALFORMED' },
    { name: "laptop's encryption key under phone's binding", card: hex(swapped), error: 'DEVICE_BINDING_INVALID' },
    { name: 'last signature byte flipped', card: hex(badSig), error: 'DEVICE_BINDING_INVALID' },
  ];
  for (const c of invalidCards) {
    for (const b of BACKENDS) {
      const s = set.byBackend[b][0]!.suite;
      check(outcome(() => decodeDevicePublic(s, fromHex(c.card))) === c.error, `card "${c.name}" on ${b}`);
    }
  }

  const secrets = phone.exportSecrets();
  const v2 = secrets.slice();
  v2[0] = 2;
  const invalidSecrets = [
    { name: '64 bytes', secrets: hex(secrets.subarray(0, 64)), error: 'DEVICE_SECRETS_MALFORMED' },
    { name: 'version 2', secrets: hex(v2), error: 'DEVICE_SECRETS_MALFORMED' },
  ];
  for (const c of invalidSecrets) {
    check(outcome(() => Device.fromSecretsWith(suite, fromHex(c.secrets))) === c.error, `secrets "${c.name}"`);
  }

  return {
    description:
      'Device keys, ids, bindings, cards (129 bytes) and secrets (65 bytes). Device.generate draws 32 random bytes for the ' +
      'Ed25519 identity seed, then 32 for the X25519 encryption secret (stored unclamped; X25519 clamps). ' +
      'deviceId = BLAKE2b-128(deviceIdInput), deviceIdInput = len(label) ‖ label ‖ identityKey; ' +
      'binding = Ed25519(identity seed, bindingMessage). `specialCards` holds correctly signed cards that must still be refused. ' +
      'See docs/protocol.md §3.',
    version: 1,
    labels: Object.fromEntries(CORE_LABELS.map((k) => [k, { text: LABELS[k], prefix: hex(labelled(LABELS[k])) }])),
    devices,
    specialCards: [
      {
        name: 'low-order encryption key',
        note: 'Correctly signed card whose encryption key is the all-zero X25519 point: refused when decoded, since no seal to it could succeed.',
        error: 'DEVICE_KEY_LOW_ORDER',
        identitySeed: hex(low.seed),
        deviceId: hex(low.public.id),
        card: hex(low.card),
      },
    ],
    signatures,
    invalidCards,
    invalidSecrets,
  };
}

// ---------------------------------------------------------------------------------------------
// Pairwise keys

/** X25519 u-coordinates that yield the all-zero shared secret for every (clamped) scalar. */
const LOW_ORDER_POINTS: Array<{ name: string; u: string }> = [
  { name: 'u = 0', u: '0000000000000000000000000000000000000000000000000000000000000000' },
  { name: 'u = 1', u: '0100000000000000000000000000000000000000000000000000000000000000' },
  { name: 'order-8 point', u: 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800' },
  { name: 'order-8 point', u: '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157' },
  { name: 'u = p - 1', u: 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' },
  { name: 'u = p (non-canonical 0)', u: 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' },
  { name: 'u = p + 1 (non-canonical 1)', u: 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' },
];

function fakePeer(id: Uint8Array, encryptionKey: Uint8Array): DevicePublic {
  return { id, identityKey: new Uint8Array(32), encryptionKey, binding: new Uint8Array(64) };
}

function pairwiseVectors(set: DeviceSet): object {
  const devs = set.byBackend.sodium;
  const pairs = [];
  for (let s = 0; s < devs.length; s++) {
    for (let r = 0; r < devs.length; r++) {
      const S = devs[s]!;
      const R = devs[r]!;
      const kek = S.pairwiseKey(R.public, 'to');
      const shared = S.suite.x25519(S.exportSecrets().subarray(33), R.public.encryptionKey)!;
      const kdfMessage = labelled(LABELS.pairwiseKey, S.id, R.id, S.public.encryptionKey, R.public.encryptionKey);
      sameBytes(S.suite.blake2b(32, kdfMessage, shared), kek, 'kek construction');
      sameBytes(R.pairwiseKey(S.public, 'from'), kek, 'kek from the reading side');
      for (const b of BACKENDS) {
        const bs = set.byBackend[b][s]!;
        const br = set.byBackend[b][r]!;
        sameBytes(bs.pairwiseKey(br.public, 'to'), kek, `kek on ${b}`);
        sameBytes(br.pairwiseKey(bs.public, 'from'), kek, `reverse kek on ${b}`);
      }
      pairs.push({ sender: s, recipient: r, sharedSecret: hex(shared), kdfMessage: hex(kdfMessage), kek: hex(kek) });
    }
  }
  const lowOrder = LOW_ORDER_POINTS.map((p) => {
    for (const b of BACKENDS) {
      const d = set.byBackend[b][PHONE]!;
      const peer = fakePeer(new Uint8Array(16).fill(0xee), fromHex(p.u));
      check(outcome(() => d.pairwiseKey(peer, 'to')) === 'PEER_KEY_INVALID', `low-order ${p.u} on ${b}`);
      check(d.suite.x25519(d.exportSecrets().subarray(33), fromHex(p.u)) === null, `x25519 null for ${p.u} on ${b}`);
    }
    return { name: p.name, device: PHONE, peerEncryptionKey: p.u, error: 'PEER_KEY_INVALID' };
  });
  return {
    description:
      'Pairwise wrap keys kek(S→R) for every ordered pair of the devices in devices.json (self-pairs included). ' +
      'sharedSecret = X25519(S.encryptionSecret, R.encryptionKey) = X25519(R.encryptionSecret, S.encryptionKey); ' +
      'kdfMessage = len(label) ‖ label ‖ S.id ‖ R.id ‖ S.encryptionKey ‖ R.encryptionKey; ' +
      'kek = BLAKE2b-256(key = sharedSecret, message = kdfMessage). The sender computes it as pairwiseKey(R, "to"), ' +
      'the recipient as pairwiseKey(S, "from"). kek(S→R) ≠ kek(R→S). `lowOrder`: peer keys that must be refused. ' +
      'See docs/protocol.md §4.',
    version: 1,
    label: LABELS.pairwiseKey,
    pairs,
    lowOrder,
  };
}

// ---------------------------------------------------------------------------------------------
// Envelopes

interface SuccessCase {
  name: string;
  sender: number;
  recipients: number[];
  body: unknown;
  kind?: EnvelopeKind;
  revision: number;
  sequence: number;
  expiryDay?: number;
  /** When set, the record id is an input (a later revision); otherwise seal draws it. */
  recordIdFrom?: string;
}

interface SealedCase {
  spec: SuccessCase;
  account: Uint8Array;
  chainHead: Uint8Array;
  recordId?: Uint8Array;
  random: Uint8Array;
  envelope: Uint8Array;
}

const CALL = {
  service: 'voip',
  app: 'net.whatsapp.WhatsApp',
  direction: 'incoming',
  answered: false,
  peer: '+14155550123',
  startedAt: 1_700_000_000_000,
  durationSec: 0,
};

const CALL_2 = {
  service: 'phone',
  direction: 'outgoing',
  answered: true,
  peer: '+442079460958',
  startedAt: 1_712_345_678_901,
  durationSec: 754,
};

const CALL_3 = {
  service: 'facetime-video',
  direction: 'incoming',
  answered: true,
  peer: '+33612345678',
  startedAt: 1_720_000_123_456,
  durationSec: 3_601,
};

/** A body of the form {"c": "calls", "note": "xxxx…"} whose compact CBOR is exactly `size` bytes. */
function bodyOfCborSize(size: number): { c: string; note: string } {
  for (let n = 0; n < size; n++) {
    const body = { c: 'calls', note: 'x'.repeat(n) };
    const len = encodeValue(body).length;
    if (len === size) return body;
    if (len > size) break;
  }
  throw new Error(`no body of ${size} CBOR bytes`);
}

function successCases(): SuccessCase[] {
  return [
    { name: 'call record sealed by the phone to itself only', sender: PHONE, recipients: [PHONE], body: CALL, revision: 0, sequence: 0 },
    {
      name: 'call record from the laptop to phone and laptop, record id given (revision 2)',
      sender: LAPTOP,
      recipients: [PHONE, LAPTOP],
      body: CALL_2,
      revision: 2,
      sequence: 41,
      expiryDay: 19_920,
      recordIdFrom: 'record/laptop-call',
    },
    {
      name: 'call record from the phone to three devices (base of the must-fail cases)',
      sender: PHONE,
      recipients: [PHONE, LAPTOP, TABLET],
      body: CALL,
      revision: 1,
      sequence: 7,
      expiryDay: 19_800,
    },
    {
      name: 'call record from the tablet to five devices',
      sender: TABLET,
      recipients: [0, 1, 2, 3, 4],
      body: CALL_3,
      revision: 0,
      sequence: 0xfffffffe,
      expiryDay: 20_051,
    },
    {
      name: 'tombstone from the watch to four devices',
      sender: 3,
      recipients: [3, 0, 1, 2],
      body: null,
      kind: 'tombstone',
      revision: 3,
      sequence: 12,
      recordIdFrom: 'record/deleted-call',
    },
    {
      name: 'body of 255 CBOR bytes: the largest that pads to 256',
      sender: 4,
      recipients: [4, 0],
      body: bodyOfCborSize(255),
      revision: 0,
      sequence: 1,
    },
    {
      name: 'body of 256 CBOR bytes: the smallest that Padmé rounds up (to 272)',
      sender: 4,
      recipients: [4, 0],
      body: bodyOfCborSize(256),
      revision: 0,
      sequence: 2,
    },
    {
      name: 'history of 40 call records (3856 CBOR bytes, Padmé step 128)',
      sender: PHONE,
      recipients: [PHONE, LAPTOP],
      body: {
        c: 'calls',
        items: Array.from({ length: 40 }, (_, i) => ({ ...CALL_2, startedAt: CALL_2.startedAt + i * 60_000, durationSec: i * 7 })),
      },
      revision: 9,
      sequence: 100,
      expiryDay: 65_535,
    },
  ];
}

function sealCase(set: DeviceSet, suite: CryptoProvider, spec: SuccessCase, index: number): SealedCase {
  const devs = set.byBackend.sodium;
  const params = drbg(suite, `envelope/${index}/params`);
  const account = params(32);
  const chainHead = params(32);
  const recordId = spec.recordIdFrom === undefined ? undefined : drbg(suite, spec.recordIdFrom)(16);
  const input: SealInput = {
    body: spec.body,
    revision: spec.revision,
    sequence: spec.sequence,
    chainHead,
    ...(spec.kind === undefined ? {} : { kind: spec.kind }),
    ...(spec.expiryDay === undefined ? {} : { expiryDay: spec.expiryDay }),
    ...(recordId === undefined ? {} : { recordId }),
  };
  const rec = recording(drbg(suite, `envelope/${index}/seal`));
  const to = spec.recipients.map((r) => devs[r]!.public);
  const envelope = seal(devs[spec.sender]!, account, to, input, { random: rec.random });
  const random = rec.drawn();
  for (const b of BACKENDS) {
    const again = seal(set.byBackend[b][spec.sender]!, account, to, input, { random: replay(random) });
    sameBytes(again, envelope, `envelope "${spec.name}" on ${b}`);
  }
  return { spec, account, chainHead, ...(recordId === undefined ? {} : { recordId }), random, envelope };
}

function envelopeVector(set: DeviceSet, suite: CryptoProvider, c: SealedCase): object {
  const devs = set.byBackend.sodium;
  const parsed = parseEnvelope(c.envelope);
  const body = encodeValue(c.spec.body);
  const padded = pad(body);
  const h = envelopeHash(suite, c.account, parsed.headerAndBody);
  // Every recipient opens it on both backends; everyone else gets null.
  const directory = new DeviceDirectory(devs.map((d) => d.public));
  for (const b of BACKENDS) {
    for (let i = 0; i < devs.length; i++) {
      const opened = open(set.byBackend[b][i]!, c.account, directory, c.envelope);
      if (c.spec.recipients.includes(i)) {
        check(opened !== null && JSON.stringify(opened.body) === JSON.stringify(c.spec.body), `open "${c.spec.name}" by ${i} on ${b}`);
        sameBytes(opened!.hash, h, 'hash');
      } else {
        check(opened === null, `non-recipient ${i} gets null`);
      }
    }
  }
  const contentKey = c.random.subarray(0, 32);
  sameBytes(
    parsed.body,
    suite.aeadEncrypt(contentKey, BODY_NONCE, padded, concatBytes(c.account, parsed.headerBytes)),
    'body construction',
  );
  const stanzas = c.spec.recipients.map((r, i) => {
    const at = i * STANZA_BYTES;
    const wrap = parsed.stanzas.subarray(at + 16, at + STANZA_BYTES);
    const kek = devs[c.spec.sender]!.pairwiseKey(devs[r]!.public, 'to');
    sameBytes(wrap, suite.aeadEncrypt(kek, h.subarray(0, 24), contentKey, h), 'wrap construction');
    return { recipient: r, deviceId: hex(devs[r]!.id), kek: hex(kek), wrap: hex(wrap) };
  });
  return {
    name: c.spec.name,
    sender: c.spec.sender,
    recipients: c.spec.recipients,
    account: hex(c.account),
    input: {
      kind: c.spec.kind ?? 'record',
      revision: c.spec.revision,
      sequence: c.spec.sequence,
      expiryDay: c.spec.expiryDay ?? 0,
      chainHead: hex(c.chainHead),
      recordId: c.recordId === undefined ? null : hex(c.recordId),
    },
    body: c.spec.body,
    bodyCbor: hex(body),
    bodyCborIsCanonical: equalBytes(body, encodeCanonical(c.spec.body)),
    random: hex(c.random),
    contentKey: hex(contentKey),
    recordId: hex(parsed.recordId),
    paddedLength: padded.length,
    padded: hex(padded),
    header: hex(parsed.headerBytes),
    bodyAad: hex(concatBytes(c.account, parsed.headerBytes)),
    bodyCiphertext: hex(parsed.body),
    hashInput: hex(labelled(LABELS.envelopeHash, c.account, parsed.headerBytes, parsed.body)),
    hash: hex(h),
    wrapNonce: hex(h.subarray(0, 24)),
    stanzas,
    size: c.envelope.length,
    envelope: hex(c.envelope),
  };
}

// --- must-fail cases ---------------------------------------------------------------------------

interface RawSeal {
  sender: Device;
  /** Header's sender id, when it should differ from `sender.id` (a forgery). */
  claimedSender?: Uint8Array;
  account: Uint8Array;
  recipients: DevicePublic[];
  recordId: Uint8Array;
  chainHead: Uint8Array;
  revision: number;
  sequence: number;
  padded: Uint8Array;
  contentKey: Uint8Array;
}

/** Seals with the raw provider: lets a case put any plaintext (bad padding, bad CBOR) inside. */
function rawSeal(r: RawSeal): Uint8Array {
  const suite = r.sender.suite;
  const bodyLength = r.padded.length + 16;
  const out = new Uint8Array(HEADER_BYTES + bodyLength + r.recipients.length * STANZA_BYTES);
  writeHeader(out, {
    kind: 'record',
    recordId: r.recordId,
    revision: r.revision,
    sender: r.claimedSender ?? r.sender.id,
    sequence: r.sequence,
    chainHead: r.chainHead,
    expiryDay: 0,
    recipientCount: r.recipients.length,
  });
  const header = out.subarray(0, HEADER_BYTES);
  out.set(suite.aeadEncrypt(r.contentKey, BODY_NONCE, r.padded, concatBytes(r.account, header)), HEADER_BYTES);
  const h = envelopeHash(suite, r.account, out.subarray(0, HEADER_BYTES + bodyLength));
  r.recipients.forEach((d, i) => {
    const at = HEADER_BYTES + bodyLength + i * STANZA_BYTES;
    out.set(d.id, at);
    out.set(suite.aeadEncrypt(r.sender.pairwiseKey(d, 'to'), h.subarray(0, 24), r.contentKey, h), at + 16);
  });
  return out;
}

/** Data followed by the 0x80 marker and zeros up to `length` (no check that `length` fits). */
function padTo(data: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(data);
  if (data.length < length) out[data.length] = 0x80;
  return out;
}

interface InvalidCase {
  name: string;
  why: string;
  envelope: Uint8Array;
  opener: number;
  account: Uint8Array;
  directory: number[];
  extraCards?: Uint8Array[];
  openOptions?: OpenOptions;
  error: string | null;
}

interface StillOpensCase {
  name: string;
  why: string;
  envelope: Uint8Array;
  opener: number;
  account: Uint8Array;
  directory: number[];
  body: unknown;
}

function flip(bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= mask;
  return out;
}

function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  out[at] = value;
  return out;
}

function invalidCases(
  set: DeviceSet,
  suite: CryptoProvider,
  base: SealedCase,
  low: ReturnType<typeof lowOrderCard>,
): { invalid: InvalidCase[]; stillOpens: StillOpensCase[] } {
  const devs = set.byBackend.sodium;
  const env = base.envelope;
  const account = base.account;
  const parsed = parseEnvelope(env);
  const bodyStart = HEADER_BYTES;
  const stanzaStart = HEADER_BYTES + parsed.body.length;
  // Base recipients are [phone, laptop, tablet]: the laptop's stanza is the second.
  const laptopStanza = stanzaStart + STANZA_BYTES;
  const tabletStanza = stanzaStart + 2 * STANZA_BYTES;
  const all = [PHONE, LAPTOP, TABLET];
  const common = { opener: LAPTOP, account, directory: all };
  const rnd = drbg(suite, 'invalid/raw');
  const raw = (padded: Uint8Array, extra: Partial<RawSeal> = {}): Uint8Array =>
    rawSeal({
      sender: devs[PHONE]!,
      account,
      recipients: all.map((i) => devs[i]!.public),
      recordId: parsed.recordId,
      chainHead: parsed.chainHead,
      revision: 1,
      sequence: 8,
      padded,
      contentKey: rnd(32),
      ...extra,
    });
  const cbor = (h: string) => padTo(fromHex(h), paddedLength(fromHex(h).length));

  // Mallory is the tablet, a co-recipient: she learns K from her own stanza.
  const tablet = devs[TABLET]!;
  const h = envelopeHash(suite, account, parsed.headerAndBody);
  const k = suite.aeadDecrypt(
    tablet.pairwiseKey(devs[PHONE]!.public, 'from'),
    h.subarray(0, 24),
    env.subarray(tabletStanza + 16, tabletStanza + STANZA_BYTES),
    h,
  )!;
  const reencrypted = env.slice();
  reencrypted.set(
    suite.aeadEncrypt(k, BODY_NONCE, pad(encodeValue({ ...CALL, peer: '+19995550000' })), concatBytes(account, parsed.headerBytes)),
    bodyStart,
  );

  const swappedOrder = concatBytes(
    env.subarray(0, stanzaStart),
    env.subarray(tabletStanza, tabletStanza + STANZA_BYTES),
    env.subarray(laptopStanza, laptopStanza + STANZA_BYTES),
    env.subarray(stanzaStart, stanzaStart + STANZA_BYTES),
  );
  const laptopIdOverTablet = env.slice();
  laptopIdOverTablet.set(devs[LAPTOP]!.id, tabletStanza);
  const laptopIdOverPhone = env.slice();
  laptopIdOverPhone.set(devs[LAPTOP]!.id, stanzaStart);

  const sealedTo = (sender: number, to: number[], body: unknown, seq: number): Uint8Array =>
    seal(devs[sender]!, account, to.map((i) => devs[i]!.public), { body, revision: 0, sequence: seq, chainHead: parsed.chainHead }, {
      random: drbg(suite, `invalid/seal/${seq}`),
    });

  const rotated = DEVICE_NAMES.length; // the phone after a key rotation, appended by main()

  const invalid: InvalidCase[] = [
    { name: 'empty input', why: 'shorter than the 79-byte header', envelope: new Uint8Array(0), ...common, error: 'ENVELOPE_TRUNCATED' },
    { name: 'header cut to 78 bytes', why: 'shorter than the header', envelope: env.subarray(0, 78), ...common, error: 'ENVELOPE_TRUNCATED' },
    {
      name: 'header only',
      why: '79 bytes announcing 3 stanzas: no room for the stanzas and a 16-byte tag',
      envelope: env.subarray(0, HEADER_BYTES),
      ...common,
      error: 'ENVELOPE_TRUNCATED',
    },
    {
      name: 'last stanza cut off',
      why: 'the body shrinks to 208 bytes: 192 is not a padded length',
      envelope: env.subarray(0, env.length - STANZA_BYTES),
      ...common,
      error: 'ENVELOPE_MALFORMED',
    },
    {
      name: 'truncated version-2 envelope',
      why: 'the length check comes before the version check',
      envelope: withByte(env, 0, 2).subarray(0, 40),
      ...common,
      error: 'ENVELOPE_TRUNCATED',
    },
    { name: 'format version 0x02', why: 'unknown format version', envelope: withByte(env, 0, 0x02), ...common, error: 'ENVELOPE_VERSION_UNSUPPORTED' },
    { name: 'format version 0x00', why: 'unknown format version', envelope: withByte(env, 0, 0x00), ...common, error: 'ENVELOPE_VERSION_UNSUPPORTED' },
    { name: 'suite 0x02', why: 'unknown crypto suite', envelope: withByte(env, 1, 0x02), ...common, error: 'ENVELOPE_SUITE_UNSUPPORTED' },
    {
      name: 'version 2 and suite 2',
      why: 'the version is checked before the suite',
      envelope: withByte(withByte(env, 0, 2), 1, 2),
      ...common,
      error: 'ENVELOPE_VERSION_UNSUPPORTED',
    },
    { name: 'kind 0x02', why: 'unknown kind', envelope: withByte(env, 2, 0x02), ...common, error: 'ENVELOPE_MALFORMED' },
    { name: 'kind 0xff', why: 'unknown kind', envelope: withByte(env, 2, 0xff), ...common, error: 'ENVELOPE_MALFORMED' },
    {
      name: 'kind flipped from record to tombstone',
      why: 'a valid kind, but the header is bound into H: the wrap fails',
      envelope: withByte(env, 2, 0x01),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    { name: 'zero recipients', why: 'n must be 1..1024', envelope: withByte(env, 78, 0), ...common, error: 'ENVELOPE_MALFORMED' },
    {
      name: '1025 recipients',
      why: 'n must be 1..1024 (checked before any length arithmetic)',
      envelope: withByte(withByte(env, 77, 0x04), 78, 0x01),
      ...common,
      error: 'ENVELOPE_MALFORMED',
    },
    {
      name: 'recipient count raised to 4',
      why: 'the body shrinks to 208 bytes: 192 is not a padded length',
      envelope: withByte(env, 78, 4),
      ...common,
      error: 'ENVELOPE_MALFORMED',
    },
    {
      name: 'recipient count lowered to 2',
      why: "the phone's stanza now counts as body: 336 − 16 = 320 is a padded length, the laptop still finds its stanza, but H differs",
      envelope: withByte(env, 78, 2),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'one byte appended',
      why: 'body length 273: 257 is not a padded length',
      envelope: concatBytes(env, new Uint8Array([0])),
      ...common,
      error: 'ENVELOPE_MALFORMED',
    },
    {
      name: 'one body byte removed',
      why: 'body length 271: 255 is not a padded length',
      envelope: concatBytes(env.subarray(0, bodyStart + 10), env.subarray(bodyStart + 11)),
      ...common,
      error: 'ENVELOPE_MALFORMED',
    },
    { name: 'record id byte flipped', why: 'header is in H', envelope: flip(env, 3), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'revision byte flipped', why: 'header is in H', envelope: flip(env, 22), ...common, error: 'ENVELOPE_TAMPERED' },
    {
      name: 'sender id byte flipped',
      why: 'the named sender is not in the directory; checked after the own stanza is found, before any crypto',
      envelope: flip(env, 23),
      ...common,
      error: 'ENVELOPE_UNKNOWN_SENDER',
    },
    { name: 'sequence byte flipped', why: 'header is in H', envelope: flip(env, 42), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'chain head byte flipped', why: 'header is in H', envelope: flip(env, 60), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'expiry day byte flipped', why: 'header is in H', envelope: flip(env, 76), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'first body byte flipped', why: 'body is in H', envelope: flip(env, bodyStart), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'body tag byte flipped', why: 'body is in H', envelope: flip(env, stanzaStart - 1, 0x80), ...common, error: 'ENVELOPE_TAMPERED' },
    {
      name: "first byte of the laptop's wrap flipped",
      why: 'own wrap fails to authenticate',
      envelope: flip(env, laptopStanza + 16),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: "last byte of the laptop's wrap (its tag) flipped",
      why: 'own wrap fails to authenticate',
      envelope: flip(env, laptopStanza + STANZA_BYTES - 1),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: "laptop's stanza id flipped",
      why: 'no stanza names the laptop any more: not addressed (withholding looks like this)',
      envelope: flip(env, laptopStanza),
      ...common,
      error: null,
    },
    {
      name: "the phone's stanza relabelled with the laptop's id",
      why: 'the first stanza naming the reader is used; it holds a wrap for someone else',
      envelope: laptopIdOverPhone,
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'sender not in the directory',
      why: "the laptop's directory lacks the phone",
      envelope: env,
      opener: LAPTOP,
      account,
      directory: [LAPTOP, TABLET],
      error: 'ENVELOPE_UNKNOWN_SENDER',
    },
    {
      name: 'another account',
      why: 'the account id is bound into H and the body AAD, not transmitted',
      envelope: env,
      opener: LAPTOP,
      account: drbg(suite, 'invalid/other-account')(32),
      directory: all,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: "directory holds the phone's rotated card",
      why: 'same device id, new encryption key: kek(phone→laptop) differs from the one the envelope was sealed with',
      envelope: env,
      opener: LAPTOP,
      account,
      directory: [rotated, LAPTOP, TABLET],
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'stranger',
      why: 'a device with no stanza gets null, before the sender is even looked up',
      envelope: env,
      opener: STRANGER,
      account,
      directory: [STRANGER],
      error: null,
    },
    {
      name: 'co-recipient re-encrypts the body under the content key it learned',
      why: 'the tablet knows K and makes a valid body AEAD, but H changes, so the wrap to the laptop fails',
      envelope: reencrypted,
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'co-recipient seals in the phone\'s name',
      why: 'the tablet builds a well-formed envelope naming the phone as sender; it can only wrap under kek(tablet→laptop)',
      envelope: raw(pad(encodeValue({ ...CALL, peer: '+19995550000' })), { sender: tablet, claimedSender: devs[PHONE]!.id }),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'sender card with a low-order encryption key',
      why: 'the sender card is signed correctly, but its key is a low-order point: it never gets into a directory',
      envelope: raw(pad(encodeValue(CALL)), { claimedSender: low.public.id }),
      opener: LAPTOP,
      account,
      directory: [LAPTOP],
      extraCards: [low.card],
      error: 'DEVICE_KEY_LOW_ORDER',
    },
    {
      name: 'padding without a marker (256 zero bytes), correctly sealed',
      why: 'authenticates, then unpad finds no 0x80',
      envelope: raw(new Uint8Array(256)),
      ...common,
      error: 'PADDING_INVALID',
    },
    {
      name: 'non-zero byte after the marker, correctly sealed',
      why: 'the last non-zero byte must be the 0x80 marker',
      envelope: raw(withByte(pad(encodeValue(CALL)), 255, 0x01)),
      ...common,
      error: 'PADDING_INVALID',
    },
    {
      name: 'padding longer than the rule allows, correctly sealed',
      why: 'a call record (under 255 bytes) pads to 256, not 272: the padded length must be exactly paddedLength(data)',
      envelope: raw(padTo(encodeValue(CALL), 272)),
      ...common,
      error: 'PADDING_INVALID',
    },
    { name: 'empty CBOR, correctly sealed', why: 'no data item', envelope: raw(cbor('')), ...common, error: 'CBOR_TRUNCATED' },
    { name: 'CBOR break byte 0xff, correctly sealed', why: 'a stray break', envelope: raw(cbor('ff')), ...common, error: 'CBOR_MALFORMED' },
    { name: 'CBOR with trailing bytes, correctly sealed', why: 'exactly one item', envelope: raw(cbor('0102')), ...common, error: 'CBOR_TRAILING_BYTES' },
    { name: 'CBOR tag, correctly sealed', why: 'tags are refused', envelope: raw(cbor('c11a5f5e1000')), ...common, error: 'CBOR_UNSUPPORTED' },
    {
      name: 'CBOR map with a duplicate key, correctly sealed',
      why: 'duplicate keys are refused',
      envelope: raw(cbor('a2617801617802')),
      ...common,
      error: 'CBOR_DUPLICATE_KEY',
    },
    { name: 'CBOR text with invalid UTF-8, correctly sealed', why: 'strict UTF-8', envelope: raw(cbor('62c328')), ...common, error: 'CBOR_MALFORMED' },
    {
      name: 'CBOR string longer than the input, correctly sealed',
      why: 'a declared length beyond the data',
      envelope: raw(cbor('7818616263')),
      ...common,
      error: 'CBOR_TRUNCATED',
    },
    {
      name: 'envelope over the caller\'s size limit',
      why: 'open(…, { maxEnvelopeBytes: 500 }); the size check comes first',
      envelope: env,
      ...common,
      openOptions: { maxEnvelopeBytes: 500 },
      error: 'ENVELOPE_TOO_LARGE',
    },
    {
      name: 'body deeper than the caller\'s CBOR limit',
      why: 'open(…, { cborLimits: { maxDepth: 1 } }) on a body that nests two levels',
      envelope: sealedTo(PHONE, all, { c: 'calls', items: [1] }, 901),
      ...common,
      openOptions: { cborLimits: { maxDepth: 1 } },
      error: 'CBOR_TOO_DEEP',
    },
    {
      name: 'body string over the caller\'s CBOR limit',
      why: 'open(…, { cborLimits: { maxStringBytes: 8 } })',
      envelope: sealedTo(PHONE, all, { c: 'calls', note: 'nine char' }, 902),
      ...common,
      openOptions: { cborLimits: { maxStringBytes: 8 } },
      error: 'CBOR_TOO_LARGE',
    },
  ];

  const stillOpens: StillOpensCase[] = [
    {
      name: "byte flipped in the tablet's wrap",
      why: "a stanza authenticates only to its own recipient: the laptop cannot see damage to the tablet's",
      envelope: flip(env, tabletStanza + 30),
      ...common,
      body: CALL,
    },
    {
      name: "tablet's stanza id flipped",
      why: 'stanza ids are not covered by H (the tablet now gets null: withholding)',
      envelope: flip(env, tabletStanza),
      ...common,
      body: CALL,
    },
    {
      name: 'stanzas in reverse order',
      why: 'stanza order carries no meaning and is not authenticated',
      envelope: swappedOrder,
      ...common,
      body: CALL,
    },
    {
      name: "tablet's stanza relabelled with the laptop's id",
      why: "the laptop's own stanza comes first and is used",
      envelope: laptopIdOverTablet,
      ...common,
      body: CALL,
    },
  ];
  return { invalid, stillOpens };
}

function directoryFor(devs: Device[], indices: number[], extraCards: Uint8Array[] | undefined, suite: CryptoProvider): DeviceDirectory {
  return new DeviceDirectory([
    ...indices.map((i) => devs[i]!.public),
    ...(extraCards ?? []).map((c) => decodeDevicePublic(suite, c)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Padding

function paddingVectors(): object {
  const dataLengths = [0, 1, 100, 255, 256, 257, 271, 272, 300, 511, 512, 1000, 1023, 1024, 4095, 65_535, 65_536, 1_000_000, 16_777_216];
  const lengths = dataLengths.map((n) => ({ dataLength: n, paddedLength: paddedLength(n) }));
  const probe = [0, 1, 255, 256, 257, 271, 272, 273, 288, 304, 512, 544, 576, 1024, 1088, 1152, 4096, 4352];
  const validLengths = probe.map((length) => ({ length, valid: isPaddedLength(length) }));
  const examples = [new Uint8Array(0), fromHex('f6'), fromHex('00'.repeat(255)), fromHex('01'.repeat(256))].map((data) => ({
    data: hex(data),
    padded: hex(pad(data)),
  }));
  for (const e of examples) sameBytes(unpad(fromHex(e.padded)), fromHex(e.data), 'unpad(pad(x))');
  const invalid = [
    { name: 'empty', padded: '', error: 'PADDING_INVALID' },
    { name: '255 bytes: not a padded length', padded: hex(padTo(new Uint8Array(0), 255)), error: 'PADDING_INVALID' },
    { name: '257 bytes: not a padded length', padded: hex(padTo(new Uint8Array(0), 257)), error: 'PADDING_INVALID' },
    { name: 'all zero: no marker', padded: hex(new Uint8Array(256)), error: 'PADDING_INVALID' },
    { name: 'last non-zero byte is 0x01', padded: hex(withByte(pad(new Uint8Array(3)), 200, 1)), error: 'PADDING_INVALID' },
    { name: 'marker byte is 0x81', padded: hex(withByte(pad(fromHex('f6')), 1, 0x81)), error: 'PADDING_INVALID' },
    { name: '10 data bytes padded to 272', padded: hex(padTo(new Uint8Array(10).fill(7), 272)), error: 'PADDING_INVALID' },
    { name: '300 data bytes padded to 336 instead of 304', padded: hex(padTo(new Uint8Array(300).fill(7), 336)), error: 'PADDING_INVALID' },
  ];
  for (const c of invalid) check(outcome(() => unpad(fromHex(c.padded))) === c.error, `unpad "${c.name}"`);
  return {
    description:
      'Padding: data ‖ 0x80 ‖ 0x00… to paddedLength(n). m = n + 1; if m ≤ 256 the length is 256; otherwise ' +
      'E = floor(log2 m), S = floor(log2 E) + 1, step = 2^(E − S), length = ceil(m / step) · step (Padmé on m). ' +
      'unpad accepts exactly the outputs of pad. See docs/protocol.md §6.',
    version: 1,
    lengths,
    validLengths,
    examples,
    invalid,
  };
}

// ---------------------------------------------------------------------------------------------
// Passphrase blobs

const FAST_ARGON: Argon2Params = { opsLimit: 1, memLimitBytes: 8 * 1024 * 1024 };

async function passphraseVectors(set: DeviceSet, suite: CryptoProvider): Promise<object> {
  const specs: Array<{ name: string; device: number; passphrase: string | Uint8Array }> = [
    { name: 'ASCII passphrase', device: PHONE, passphrase: 'correct horse battery staple' },
    {
      name: 'passphrase that NFKC changes (fullwidth letters, ANGSTROM SIGN, ligature)',
      device: LAPTOP,
      passphrase: '\uff50\uff41\uff53\uff53 \u212b \ufb01ne',
    },
    { name: 'byte passphrase (used as given, not normalised)', device: TABLET, passphrase: fromHex('00ff10e2a9') },
  ];
  const cases = [];
  for (const [i, spec] of specs.entries()) {
    const d = set.byBackend.sodium[spec.device]!;
    const rec = recording(drbg(suite, `passphrase/${i}`));
    const blob = await d.exportWithPassphrase(spec.passphrase, FAST_ARGON, rec.random);
    const drawn = rec.drawn();
    const passBytes = typeof spec.passphrase === 'string' ? utf8(spec.passphrase.normalize('NFKC')) : spec.passphrase;
    const key = await suite.argon2id(passBytes, drawn.subarray(0, 16), FAST_ARGON, 32);
    for (const b of BACKENDS) {
      const bd = set.byBackend[b][spec.device]!;
      sameBytes(await bd.exportWithPassphrase(spec.passphrase, FAST_ARGON, replay(drawn)), blob, `blob "${spec.name}" on ${b}`);
      sameBytes(await openSecretsWithPassphrase(bd.suite, blob, spec.passphrase), d.exportSecrets(), `open blob on ${b}`);
    }
    cases.push({
      name: spec.name,
      device: spec.device,
      ...(typeof spec.passphrase === 'string' ? { passphrase: spec.passphrase } : { passphraseHex: hex(spec.passphrase) }),
      passphraseBytes: hex(passBytes),
      opsLimit: FAST_ARGON.opsLimit,
      memLimitBytes: FAST_ARGON.memLimitBytes,
      memKiB: FAST_ARGON.memLimitBytes / 1024,
      salt: hex(drawn.subarray(0, 16)),
      nonce: hex(drawn.subarray(16, 40)),
      random: hex(drawn),
      argon2Key: hex(key),
      header: hex(blob.subarray(0, 54)),
      blob: hex(blob),
      secrets: hex(d.exportSecrets()),
    });
  }
  const blob = fromHex(cases[0]!.blob);
  const greedy = blob.slice();
  new DataView(greedy.buffer).setUint32(10, 2 * 1024 * 1024); // 2 GiB
  const tooFewKiB = blob.slice();
  new DataView(tooFewKiB.buffer).setUint32(10, 8191);
  const tooManyPasses = blob.slice();
  new DataView(tooManyPasses.buffer).setUint32(6, 17);
  const zeroPasses = blob.slice();
  new DataView(zeroPasses.buffer).setUint32(6, 0);
  const wrong = [
    { name: 'wrong passphrase', blob: hex(blob), passphrase: 'correct horse battery stapler', error: 'PASSPHRASE_WRONG' },
    {
      name: 'NFKC-equivalent spelling of case 1 opens it',
      blob: cases[1]!.blob,
      passphrase: 'pass \u00c5 fine',
      error: null,
    },
    { name: 'salt byte flipped', blob: hex(flip(blob, 20)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_WRONG' },
    { name: 'header cost byte flipped (t = 1 → 3)', blob: hex(withByte(blob, 9, 3)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_WRONG' },
    { name: 'sealed-secrets byte flipped', blob: hex(flip(blob, 100)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_WRONG' },
    { name: 'one byte short', blob: hex(blob.subarray(0, 134)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'bad magic', blob: hex(withByte(blob, 0, 0x4d)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'version 2', blob: hex(withByte(blob, 4, 2)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'algorithm 2', blob: hex(withByte(blob, 5, 2)), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'memory 2 GiB (over 1 GiB bound)', blob: hex(greedy), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'memory 8191 KiB (under 8 MiB bound)', blob: hex(tooFewKiB), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: '17 passes (over bound)', blob: hex(tooManyPasses), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: '0 passes', blob: hex(zeroPasses), passphrase: 'correct horse battery staple', error: 'PASSPHRASE_BLOB_MALFORMED' },
    { name: 'empty passphrase', blob: hex(blob), passphrase: '', error: 'PASSPHRASE_EMPTY' },
  ];
  for (const c of wrong) {
    for (const b of BACKENDS) {
      const s = set.byBackend[b][0]!.suite;
      const got = await outcomeAsync(() => openSecretsWithPassphrase(s, fromHex(c.blob), c.passphrase));
      check(got === (c.error ?? 'ok'), `passphrase case "${c.name}" on ${b}: ${got}`);
    }
  }
  return {
    description:
      'Device secrets sealed under a passphrase (135-byte blob). Argon2id v1.3, one lane, 32-byte output, ' +
      'libsodium crypto_pwhash(32, passphraseBytes, salt, opsLimit, memLimitBytes, ARGON2ID13) = RFC 9106 with ' +
      't = opsLimit, m = memKiB, p = 1, no secret, no associated data. String passphrases are NFKC-normalised then ' +
      'UTF-8 encoded; byte passphrases are used as given. The AEAD is XChaCha20-Poly1305 (key = argon2Key, nonce, ' +
      'aad = header = blob[0..54]). `random` = salt ‖ nonce, the bytes the seal drew. Vectors use the smallest ' +
      'accepted cost (t = 1, m = 8 MiB); real blobs default to t = 3, m = 64 MiB. In `open`, error null means ' +
      'it opens. See docs/protocol.md §3.3.',
    version: 1,
    cases,
    open: wrong,
  };
}

// ---------------------------------------------------------------------------------------------
// CBOR

/** JSON notation for CBOR values: {"$bytes": hex} for byte strings, {"$float": "NaN" | "Infinity" | "-Infinity" | "-0"}. */
function notation(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: hex(value) };
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $float: 'NaN' };
    if (value === Infinity) return { $float: 'Infinity' };
    if (value === -Infinity) return { $float: '-Infinity' };
    if (Object.is(value, -0)) return { $float: '-0' };
    return value;
  }
  if (Array.isArray(value)) return value.map(notation);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, notation(v)]));
  }
  return value;
}

/** Deep equality of decoded values: map key order is ignored, -0 and NaN are told apart exactly. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && equalBytes(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      sameValue(ka, kb) &&
      ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

function cborVectors(): object {
  const values: Array<[string, unknown]> = [
    ['zero', 0],
    ['largest one-byte head', 23],
    ['smallest 1-byte argument', 24],
    ['255', 255],
    ['256', 256],
    ['65536', 65_536],
    ['2^32 (8-byte argument)', 2 ** 32],
    ['milliseconds timestamp', 1_700_000_000_000],
    ['2^53 - 1, the largest accepted', Number.MAX_SAFE_INTEGER],
    ['-1', -1],
    ['-24', -24],
    ['-25', -25],
    ['-(2^53 - 1), the smallest accepted', -Number.MAX_SAFE_INTEGER],
    ['-0 is an integer: encodes as 0', -0],
    ['1.5 fits half precision', 1.5],
    ['0.1 needs double precision', 0.1],
    ['100000.5 fits single precision', 100_000.5],
    ['5.960464477539063e-8, the smallest half subnormal', 5.960464477539063e-8],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['false', false],
    ['true', true],
    ['null', null],
    ['empty text', ''],
    ['text', 'calls'],
    ['non-ASCII text', 'Zürich ☎ 😀'],
    ['empty bytes', new Uint8Array(0)],
    ['bytes', fromHex('00ff10')],
    ['empty array', []],
    ['nested array', [1, [2, 3], []]],
    ['empty map', {}],
    ['map keys sorted by encoded bytes: shorter first, then bytewise', { peer: 1, b: 2, a: 3, aa: 4, é: 5 }],
    ['call record', CALL],
  ];
  const canonical = values.map(([name, value]) => {
    const bytes = encodeCanonical(value);
    const decoded = decodeValue(bytes);
    // -0 comes back as 0 (it was written as an integer); everything else round-trips.
    check(Object.is(value, -0) ? decoded === 0 : sameValue(decoded, value), `round trip of ${name}`);
    return {
      name,
      value: notation(value),
      ...(Object.is(value, -0) ? { decoded: 0 } : {}),
      canonical: hex(bytes),
      compact: hex(encodeValue(value)),
    };
  });

  const accepts: Array<[string, string, unknown]> = [
    ['non-shortest integer head', '1805', 5],
    ['8-byte head for a small integer', '1b0000000000000005', 5],
    ['1.5 as a double', 'fb3ff8000000000000', 1.5],
    ['integral float decodes to the same number', 'fb4278bcfe56800000', 1_700_000_000_000],
    ['half-precision -0', 'f98000', -0],
    ['unsorted map keys', 'a2616201616102', { b: 1, a: 2 }],
    ['longer key before shorter key', 'a262616101616202', { aa: 1, b: 2 }],
    ['byte string', '43010203', fromHex('010203')],
  ];
  const decodeAccepts = accepts.map(([name, h, value]) => {
    check(sameValue(decodeValue(fromHex(h)), value), `accept ${name}`);
    return { name, cbor: h, value: notation(value) };
  });

  const rejects: Array<[string, string, string, Partial<CborLimits>?]> = [
    ['empty input', '', 'CBOR_TRUNCATED'],
    ['head cut short', '19ff', 'CBOR_TRUNCATED'],
    ['array count beyond the input', '830102', 'CBOR_TRUNCATED'],
    ['text length beyond the input', '6461', 'CBOR_TRUNCATED'],
    ['two items', '0102', 'CBOR_TRAILING_BYTES'],
    ['tag 1 (epoch time)', 'c11a5f5e1000', 'CBOR_UNSUPPORTED'],
    ['tag 2 (bignum)', 'c249010000000000000000', 'CBOR_UNSUPPORTED'],
    ['indefinite-length array', '9f01ff', 'CBOR_UNSUPPORTED'],
    ['indefinite-length text', '7f6161ff', 'CBOR_UNSUPPORTED'],
    ['undefined', 'f7', 'CBOR_UNSUPPORTED'],
    ['simple value 16', 'f0', 'CBOR_UNSUPPORTED'],
    ['two-byte simple value', 'f820', 'CBOR_UNSUPPORTED'],
    ['2^53', '1b0020000000000000', 'CBOR_UNSUPPORTED'],
    ['-(2^53)', '3b001fffffffffffff', 'CBOR_UNSUPPORTED'],
    ['integer map key', 'a10102', 'CBOR_UNSUPPORTED'],
    ['byte-string map key', 'a1416101', 'CBOR_UNSUPPORTED'],
    ['__proto__ map key', 'a1695f5f70726f746f5f5f01', 'CBOR_UNSUPPORTED'],
    ['duplicate map key', 'a2616101616102', 'CBOR_DUPLICATE_KEY'],
    ['reserved additional information 28', '1c', 'CBOR_MALFORMED'],
    ['stray break', 'ff', 'CBOR_MALFORMED'],
    ['indefinite marker on an integer', '1f', 'CBOR_MALFORMED'],
    ['invalid UTF-8 (lone continuation byte)', '6180', 'CBOR_MALFORMED'],
    ['overlong UTF-8', '62c0af', 'CBOR_MALFORMED'],
    ['UTF-8 surrogate', '63eda080', 'CBOR_MALFORMED'],
    ['input over maxBytes', '83010203', 'CBOR_TOO_LARGE', { maxBytes: 3 }],
    ['string over maxStringBytes', '6461626364', 'CBOR_TOO_LARGE', { maxStringBytes: 3 }],
    ['nesting over maxDepth', '81818101', 'CBOR_TOO_DEEP', { maxDepth: 2 }],
    ['items over maxItems', '83010203', 'CBOR_TOO_MANY_ITEMS', { maxItems: 3 }],
    ['17 nested arrays (default maxDepth is 16)', `${'81'.repeat(17)}01`, 'CBOR_TOO_DEEP'],
  ];
  const decodeRejects = rejects.map(([name, h, error, limits]) => {
    check(outcome(() => decodeValue(fromHex(h), limits)) === error, `reject ${name}: ${outcome(() => decodeValue(fromHex(h), limits))}`);
    return { name, cbor: h, ...(limits === undefined ? {} : { limits }), error };
  });

  const encodeRejectValues: Array<[string, unknown]> = [
    ['2^53', 2 ** 53],
    ['-(2^53)', -(2 ** 53)],
    ['lone surrogate in text', '\ud800'],
    ['lone surrogate in a key', { '\udc00': 1 }],
    ['17 nested arrays', JSON.parse(`${'['.repeat(17)}1${']'.repeat(17)}`)],
  ];
  const encodeRejects = encodeRejectValues.map(([name, value]) => {
    check(outcome(() => encodeCanonical(value)) === 'CBOR_UNSUPPORTED_VALUE', `encode reject ${name}`);
    check(outcome(() => encodeValue(value)) === 'CBOR_UNSUPPORTED_VALUE', `compact encode reject ${name}`);
    return { name, value: notation(value), error: 'CBOR_UNSUPPORTED_VALUE' };
  });

  return {
    description:
      'CBOR profile. `canonical` is RFC 8949 §4.2.1 deterministic encoding (encodeCanonical: used for anything ' +
      'signed or hashed); `compact` is what seal() writes for record bodies today (cbor-x: insertion key order, ' +
      'integers beyond ±2^32 and all non-integral numbers as float64). Both decode to `value`. decodeAccepts: ' +
      'non-canonical inputs the decoder must accept; decodeRejects: inputs it must refuse with `error` (under ' +
      '`limits` when given, else the defaults maxBytes 1 MiB, maxDepth 16, maxItems 10000, maxStringBytes 64 KiB). ' +
      'Value notation: JSON, plus {"$bytes": hex} for a byte string and {"$float": "NaN" | "Infinity" | ' +
      '"-Infinity" | "-0"}. See docs/protocol.md §7.',
    version: 1,
    canonical,
    decodeAccepts,
    decodeRejects,
    encodeRejects,
  };
}

// =============================================================================================
// Upper layers (docs/protocol.md §18–§24): the device chain and its snapshot, pairing, recovery
// words, request signing, record bodies and history grants. These generators only add files;
// the core files above do not depend on them. Devices are named as in devices.json, plus
// `phone-rotated` (devices.json #6) and `recovery`, the pseudo-device of recovery.json #0.

type Cast = Record<string, Device>;

const UPPER_T0 = 1_750_000_000_000; // 2025-06-15T15:06:40Z
const MINUTE = 60_000;
const DAY_MS = 86_400_000;
const RECOVERY_DELAY_MS = DAY_MS;
const SERVER_URL = 'https://sync.example.net';
const ZERO_ACCOUNT = new Uint8Array(32);

function labelTable(labels: Record<string, string>): Record<string, { text: string; prefix: string }> {
  return Object.fromEntries(Object.entries(labels).map(([k, text]) => [k, { text, prefix: hex(labelled(text)) }]));
}

function member(cast: Cast, name: string): Device {
  const d = cast[name];
  if (d === undefined) throw new Error(`no device named ${name}`);
  return d;
}

/** The named devices on one backend: devices.json's seven (by name) and the recovery device. */
async function makeCast(set: DeviceSet, backend: BackendName, recoveryWords: string): Promise<Cast> {
  const names = [...DEVICE_NAMES, 'phone-rotated'];
  const cast: Cast = {};
  names.forEach((n, i) => (cast[n] = set.byBackend[backend][i]!));
  cast.recovery = await recoveryDevice(recoveryWords, { backend });
  return cast;
}

// --- recovery words ----------------------------------------------------------------------------

interface RecoveryCase {
  name: string;
  entropy: Uint8Array;
  words: string;
}

async function recoveryVectors(suite: CryptoProvider): Promise<{ json: object; cases: RecoveryCase[] }> {
  const rec = recording(drbg(suite, 'recovery/words'));
  const drawnWords = createRecoveryWords(rec.random);
  const specs: RecoveryCase[] = [
    { name: 'entropy from the vector source (the recovery device of chain.json)', entropy: rec.drawn(), words: drawnWords },
    { name: 'all-zero entropy (BIP39: abandon ×23, art)', entropy: new Uint8Array(32), words: '' },
    { name: 'all-0xff entropy (BIP39: zoo ×23, vote)', entropy: new Uint8Array(32).fill(0xff), words: '' },
  ];
  for (const s of specs) if (s.words === '') s.words = createRecoveryWords(replay(s.entropy));
  const cases = [];
  for (const s of specs) {
    const identityInput = labelled(LABELS.recoveryIdentity);
    const encryptionInput = labelled(LABELS.recoveryEncryption);
    const identitySeed = suite.blake2b(32, identityInput, s.entropy);
    const encryptionSecret = suite.blake2b(32, encryptionInput, s.entropy);
    const secrets = concatBytes(new Uint8Array([1]), identitySeed, encryptionSecret);
    const d = await recoveryDevice(s.words, { backend: 'sodium' });
    sameBytes(d.exportSecrets(), secrets, `recovery secrets of "${s.name}"`);
    sameBytes(deriveKey(suite, LABELS.recoveryIdentity, s.entropy, 32), identitySeed, 'recovery identity derivation');
    const n = await recoveryDevice(s.words, { backend: 'noble' });
    sameBytes(n.exportSecrets(), secrets, `recovery secrets of "${s.name}" on noble`);
    check(s.words.split(' ').length === 24, 'recovery words are 24');
    cases.push({
      name: s.name,
      entropy: hex(s.entropy),
      words: s.words,
      identitySeedInput: hex(identityInput),
      identitySeed: hex(identitySeed),
      encryptionSecretInput: hex(encryptionInput),
      encryptionSecret: hex(encryptionSecret),
      secrets: hex(secrets),
      identityKey: hex(d.public.identityKey),
      encryptionKey: hex(d.public.encryptionKey),
      deviceId: hex(d.id),
      card: hex(encodeDevicePublic(d.public)),
    });
  }

  const words = specs[0]!.words;
  const list = words.split(' ');
  const fullwidth = (w: string) => [...w].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
  const spellings = [
    { name: 'upper case', typed: words.toUpperCase() },
    { name: 'line breaks, tabs and surrounding spaces', typed: `  ${list.slice(0, 12).join(' ')}\n${list.slice(12).join('\t ')}\n` },
    { name: 'first word in full-width letters (NFKD folds them)', typed: [fullwidth(list[0]!), ...list.slice(1)].join(' ') },
  ];
  for (const sp of spellings) {
    check(normaliseWords(sp.typed) === words, `normalising "${sp.name}"`);
    for (const b of BACKENDS) {
      sameBytes((await recoveryDevice(sp.typed, { backend: b })).exportSecrets(), fromHex(cases[0]!.secrets), `spelling "${sp.name}" on ${b}`);
    }
  }
  const lastReplaced = [...list.slice(0, 23), list[23] === 'abandon' ? 'ability' : 'abandon'].join(' ');
  const invalid = [
    { name: 'empty', typed: '' },
    { name: '23 words', typed: list.slice(0, 23).join(' ') },
    { name: '25 words', typed: `${words} ${list[0]}` },
    { name: 'a valid 12-word mnemonic (128 bits)', typed: `${'abandon '.repeat(11)}about` },
    { name: 'checksum fails (last word replaced)', typed: lastReplaced },
    { name: 'a word not on the English list', typed: [...list.slice(0, 5), 'multikey', ...list.slice(6)].join(' ') },
    { name: 'a word of the French list', typed: [...list.slice(0, 5), 'abaisser', ...list.slice(6)].join(' ') },
    { name: 'two words run together', typed: [...list.slice(0, 4), `${list[4]}${list[5]}`, ...list.slice(6)].join(' ') },
  ].map((c) => ({ ...c, error: 'RECOVERY_WORDS_INVALID' }));
  for (const c of invalid) {
    for (const b of BACKENDS) {
      const got = await outcomeAsync(() => recoveryDevice(c.typed, { backend: b }));
      check(got === c.error, `recovery words "${c.name}" on ${b}: ${got}`);
    }
  }
  return {
    cases: specs,
    json: {
      description:
        'Recovery words → recovery pseudo-device. words = BIP39 English mnemonic of 32 bytes of entropy (24 words; ' +
        'no BIP39 passphrase and no PBKDF2 seed: the entropy itself is the secret). identitySeed = BLAKE2b-256(key = ' +
        'entropy, message = identitySeedInput), encryptionSecret = BLAKE2b-256(key = entropy, message = ' +
        'encryptionSecretInput); secrets = 0x01 ‖ identitySeed ‖ encryptionSecret are device secrets as in devices.json. ' +
        'Typed words are normalised (NFKD, lower case, any whitespace run = one space) before checking. `spellings` ' +
        'must derive case 0; `invalid` must fail with `error`. See docs/protocol.md §21.',
      version: 1,
      labels: labelTable({ recoveryIdentity: LABELS.recoveryIdentity, recoveryEncryption: LABELS.recoveryEncryption }),
      cases,
      spellings: spellings.map((s) => ({ ...s, normalised: words })),
      invalid,
    },
  };
}

// --- device chain ------------------------------------------------------------------------------

interface BuiltChain {
  entries: EncodedEntry[];
  states: ChainState[];
  signers: string[];
  stories: string[];
  joiners: Array<string | undefined>;
}

function buildChain(cast: Cast): BuiltChain {
  const suite = member(cast, 'phone').suite;
  const genesis = createGenesis(member(cast, 'phone'), {
    recovery: member(cast, 'recovery').public,
    recoveryDelayMs: RECOVERY_DELAY_MS,
    now: UPPER_T0,
  });
  const built: BuiltChain = {
    entries: [genesis],
    states: [genesisState(suite, genesis)],
    signers: ['phone'],
    stories: ['the phone creates the account, naming the recovery device and a 24-hour recovery delay'],
    joiners: [undefined],
  };
  const step = (signer: string, story: string, make: (s: ChainState) => EncodedEntry, joiner?: string) => {
    const state = built.states[built.states.length - 1]!;
    const entry = make(state);
    built.entries.push(entry);
    built.states.push(applyEntry(suite, state, entry));
    built.signers.push(signer);
    built.stories.push(story);
    built.joiners.push(joiner);
  };
  const add = (signer: string, joiner: string, at: number) => (s: ChainState) =>
    makeAdd(member(cast, signer), s, member(cast, joiner).public, signConsent(member(cast, joiner), s.accountId), { now: at });
  const phone2 = member(cast, 'phone-rotated');
  step('phone', 'the phone adds the laptop (the QR pairing of pairing.json)', add('phone', 'laptop', UPPER_T0 + MINUTE), 'laptop');
  step('phone-rotated', 'the phone rotates its encryption key (devices.json #6: same identity, new key)', (s) => makeRotate(phone2, s, UPPER_T0 + 2 * MINUTE));
  step('phone-rotated', 'the phone removes the laptop', (s) => makeRemove(phone2, s, member(cast, 'laptop').id, UPPER_T0 + 3 * MINUTE));
  step('recovery', 'the recovery device adds the tablet: pending for the 24-hour delay', add('recovery', 'tablet', UPPER_T0 + 4 * MINUTE), 'tablet');
  step('phone-rotated', "the phone vetoes the tablet's pending recovery add", (s) => makeVeto(phone2, s, built.entries[4]!.hash, UPPER_T0 + 5 * MINUTE));
  step('recovery', 'the recovery device adds the watch: pending for the 24-hour delay', add('recovery', 'watch', UPPER_T0 + 6 * MINUTE), 'watch');
  step(
    'watch',
    'the watch, active from the exact end of its delay, adds the browser',
    add('watch', 'browser', UPPER_T0 + 6 * MINUTE + RECOVERY_DELAY_MS),
    'browser',
  );
  return built;
}

function stateVector(s: ChainState): object {
  const devices = [...s.devices.values()]
    .map((d) => ({
      id: hex(d.card.id),
      role: d.role,
      addedAt: d.addedAt,
      effectiveAt: d.effectiveAt,
      pendingEntry: d.pendingEntry === undefined ? null : hex(d.pendingEntry),
      card: hex(encodeDevicePublic(d.card)),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const removed = [...s.removed].map((k) => hex(Uint8Array.from(k, (c) => c.charCodeAt(0)))).sort();
  return {
    accountId: hex(s.accountId),
    head: hex(s.head),
    length: s.length,
    lastTs: s.lastTs,
    recoveryDelayMs: s.recoveryDelayMs,
    devices,
    removed,
  };
}

function unsignedOf(entry: ChainEntry): Omit<ChainEntry, 'sig'> {
  const { sig: _sig, ...rest } = entry;
  return rest;
}

function entryVector(built: BuiltChain, cast: Cast, k: number): object {
  const e = built.entries[k]!;
  const unsigned = unsignedOf(e.entry);
  const account = k === 0 ? undefined : built.states[0]!.accountId;
  const signingBytes = entrySigningBytes(account, unsigned);
  const signer = member(cast, built.signers[k]!);
  check(signer.suite.ed25519Verify(e.entry.sig, signingBytes, signer.public.identityKey), `entry ${k} signature`);
  const joiner = built.joiners[k];
  let consent = {};
  if (joiner !== undefined) {
    const bytes = consentBytes(account!, e.entry.dev!);
    check(signer.suite.ed25519Verify(e.entry.ok!, bytes, member(cast, joiner).public.identityKey), `entry ${k} consent`);
    consent = { consent: { device: joiner, signedBytes: hex(bytes), signature: hex(e.entry.ok!) } };
  }
  return {
    index: k,
    type: e.entry.t,
    signer: built.signers[k],
    story: built.stories[k],
    fields: notation(unsigned),
    unsignedCbor: hex(encodeCanonical(unsigned)),
    signingAccount: hex(account ?? ZERO_ACCOUNT),
    signingBytes: hex(signingBytes),
    ...consent,
    signature: hex(e.entry.sig),
    entry: hex(e.bytes),
    hashInput: hex(labelled(CHAIN_LABELS.entryHash, e.bytes)),
    hash: hex(e.hash),
    stateAfter: stateVector(built.states[k]!),
  };
}

interface ChainFailCase {
  name: string;
  why: string;
  prefix: number;
  append: Uint8Array[];
  error: string;
}

function chainFailCases(built: BuiltChain, cast: Cast, low: ReturnType<typeof lowOrderCard>): ChainFailCase[] {
  const suite = member(cast, 'phone').suite;
  const E = built.entries;
  const account = built.states[0]!.accountId;
  const card = (name: string) => encodeDevicePublic(member(cast, name).public);
  const consentOf = (name: string) => signConsent(member(cast, name), account);
  /** An entry extending the first `prefix` entries, signed by `signer`; `fields` override the base. */
  /** `signAccount` null signs with the all-zero account id, as a genesis does. */
  const next = (prefix: number, signer: string, fields: Record<string, unknown>, signAccount: Uint8Array | null = account) => {
    const before = built.states[prefix - 1]!;
    const unsigned = { v: 1, i: prefix, prev: before.head, ts: before.lastTs + MINUTE, by: member(cast, signer).id, ...fields };
    return signEntry(member(cast, signer), signAccount ?? undefined, stripUndefinedFields(unsigned) as Omit<ChainEntry, 'sig'>).bytes;
  };
  const genesisLike = (signer: string, fields: Record<string, unknown>, signAccount?: Uint8Array) =>
    signEntry(member(cast, signer), signAccount, stripUndefinedFields({ v: 1, t: 'genesis', i: 0, ts: UPPER_T0, dev: card('phone'), ...fields }) as Omit<ChainEntry, 'sig'>).bytes;
  const withSig = (e: EncodedEntry, sig: Uint8Array) => encodeEntry(suite, { ...e.entry, sig }).bytes;
  const badBinding = card('laptop');
  badBinding[128]! ^= 0x01;
  const e1 = E[1]!.bytes;
  check(e1[1] === 0x61 && e1[2] === 0x69 && e1[3] === 0x01, 'entry 1 starts with key "i" = 1');
  const longHead = concatBytes(e1.subarray(0, 3), new Uint8Array([0x18, 0x01]), e1.subarray(4));
  const watchActive = built.states[6]!.devices.get(idKey(member(cast, 'watch').id))!.effectiveAt;

  return [
    // genesis
    { name: 'empty chain', why: 'there is no genesis entry', prefix: 0, append: [], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'chain starting with an add', why: 'entry 1 alone: the first entry must be a genesis', prefix: 0, append: [E[1]!.bytes], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with index 1', why: 'a genesis carries index 0', prefix: 0, append: [genesisLike('phone', { i: 1 })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with prev', why: 'a genesis links to nothing', prefix: 0, append: [genesisLike('phone', { prev: new Uint8Array(32) })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis naming a signer', why: 'a genesis is self-signed and carries no `by`', prefix: 0, append: [genesisLike('phone', { by: member(cast, 'phone').id })], error: 'CHAIN_GENESIS_INVALID' },
    { name: 'genesis with role recovery', why: 'the first device is a real device', prefix: 0, append: [genesisLike('phone', { role: 'recovery' })], error: 'CHAIN_GENESIS_INVALID' },
    {
      name: 'genesis whose recovery card is the first device',
      why: 'the recovery device must differ from the first device',
      prefix: 0,
      append: [genesisLike('phone', { rec: card('phone') })],
      error: 'CHAIN_GENESIS_INVALID',
    },
    {
      name: 'genesis card with a low-order encryption key',
      why: 'the card is signed correctly but refused when decoded (checked before the signature)',
      prefix: 0,
      append: [genesisLike('phone', { dev: low.card })],
      error: 'CHAIN_CARD_INVALID',
    },
    { name: "genesis signed by the laptop's key", why: "the genesis must verify under its own card's identity key", prefix: 0, append: [genesisLike('laptop', {})], error: 'CHAIN_SIGNATURE_INVALID' },
    {
      name: 'genesis signed over a non-zero account id',
      why: 'a genesis signs with the all-zero account id (its hash is the account id)',
      prefix: 0,
      append: [genesisLike('phone', {}, account)],
      error: 'CHAIN_SIGNATURE_INVALID',
    },
    { name: 'genesis signature byte flipped', why: 'the signature covers the entry', prefix: 0, append: [withSig(E[0]!, flip(E[0]!.entry.sig, 0))], error: 'CHAIN_SIGNATURE_INVALID' },
    // encoding
    { name: 'entry of 2049 bytes', why: 'an entry is at most 2048 bytes (checked before decoding)', prefix: 1, append: [new Uint8Array(2049)], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'entry 1 with a trailing byte', why: 'not one CBOR item: the CBOR code comes through', prefix: 1, append: [concatBytes(e1, new Uint8Array(1))], error: 'CBOR_TRAILING_BYTES' },
    { name: 'entry that is an array', why: 'an entry is a map', prefix: 1, append: [encodeCanonical([1, 2])], error: 'CHAIN_ENTRY_MALFORMED' },
    {
      name: 'entry 1 with the index written as 0x18 0x01',
      why: 'non-shortest integer head: not canonical, so one entry could have two hashes',
      prefix: 1,
      append: [longHead],
      error: 'CHAIN_ENTRY_MALFORMED',
    },
    {
      name: 'entry 1 written by the compact (record body) encoder',
      why: 'keys in insertion order and ts as float64: decodes to the same map but is not canonical',
      prefix: 1,
      append: [encodeValue(E[1]!.entry)],
      error: 'CHAIN_ENTRY_MALFORMED',
    },
    { name: 'version 2', why: 'v must be 1', prefix: 1, append: [next(1, 'phone', { v: 2, t: 'add', dev: card('laptop'), ok: consentOf('laptop') })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'unknown type', why: 't must be one of the five types', prefix: 1, append: [next(1, 'phone', { t: 'merge' })], error: 'CHAIN_ENTRY_MALFORMED' },
    {
      name: 'unknown field',
      why: 'only the listed keys may appear (device names never go on the chain)',
      prefix: 1,
      append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), name: 'Laptop' })],
      error: 'CHAIN_ENTRY_MALFORMED',
    },
    { name: 'role outside device/recovery', why: 'role is a closed set', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), role: 'admin' })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'tgt of 20 bytes', why: 'tgt is a 16-byte device id or a 32-byte entry hash', prefix: 2, append: [next(2, 'phone-rotated', { t: 'remove', tgt: new Uint8Array(20) })], error: 'CHAIN_ENTRY_MALFORMED' },
    { name: 'signature of 63 bytes', why: 'sig is 64 bytes', prefix: 1, append: [withSig(E[1]!, E[1]!.entry.sig.subarray(0, 63))], error: 'CHAIN_ENTRY_MALFORMED' },
    // links and time
    { name: 'entry 2 right after entry 0', why: 'its index is 2 and its prev names entry 1', prefix: 1, append: [E[2]!.bytes], error: 'CHAIN_BROKEN_LINK' },
    { name: 'entry 1 appended twice', why: 'index 1 where 2 is due', prefix: 2, append: [E[1]!.bytes], error: 'CHAIN_BROKEN_LINK' },
    { name: 'prev names entry 0', why: 'index 2 is right, but prev must be the hash of entry 1', prefix: 2, append: [next(2, 'phone-rotated', { t: 'rotate', dev: card('phone-rotated'), prev: E[0]!.hash })], error: 'CHAIN_BROKEN_LINK' },
    { name: 'index skips one', why: 'index 3 where 2 is due', prefix: 2, append: [next(2, 'phone-rotated', { t: 'rotate', dev: card('phone-rotated'), i: 3 })], error: 'CHAIN_BROKEN_LINK' },
    { name: 'second genesis', why: "the laptop's own genesis appended as entry 1", prefix: 1, append: [createGenesis(member(cast, 'laptop'), { now: UPPER_T0 + MINUTE }).bytes], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'time goes backwards', why: 'ts is 1 ms before the genesis', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), ts: UPPER_T0 - 1 })], error: 'CHAIN_TIME_INVALID' },
    { name: 'recovery delay outside genesis', why: 'rd is fixed at genesis', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), rd: 1000 })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'recovery card outside genesis', why: 'rec appears only in genesis (a new recovery device is an add with role recovery)', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), rec: card('stranger') })], error: 'CHAIN_ENTRY_INVALID' },
    // signers
    { name: 'signed by a device never enrolled', why: 'the stranger is not on the list', prefix: 1, append: [next(1, 'stranger', { t: 'add', dev: card('laptop'), ok: consentOf('laptop') })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    { name: 'signed by the removed laptop', why: 'entry 3 removed it', prefix: 4, append: [next(4, 'laptop', { t: 'remove', tgt: member(cast, 'phone').id })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    {
      name: 'signed by the watch 1 ms before its delay ends',
      why: 'a device added by the recovery key is not active until ts + rd',
      prefix: 7,
      append: [next(7, 'watch', { t: 'add', dev: card('browser'), ok: consentOf('browser'), ts: watchActive - 1 })],
      error: 'CHAIN_SIGNER_NOT_ACTIVE',
    },
    { name: 'the recovery device signs a remove', why: 'the recovery key can only add', prefix: 4, append: [next(4, 'recovery', { t: 'remove', tgt: member(cast, 'phone').id })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
    { name: 'signed over the all-zero account id', why: 'every entry after genesis signs with the account id', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('laptop') }, null)], error: 'CHAIN_SIGNATURE_INVALID' },
    {
      name: "`by` names the phone, the laptop's key signed",
      why: 'the signature must verify under the identity key of the device `by` names',
      prefix: 1,
      append: [next(1, 'laptop', { t: 'add', dev: card('laptop'), ok: consentOf('laptop'), by: member(cast, 'phone').id })],
      error: 'CHAIN_SIGNATURE_INVALID',
    },
    { name: 'entry 1 with a signature byte flipped', why: 'the signature covers the entry', prefix: 1, append: [withSig(E[1]!, flip(E[1]!.entry.sig, 63, 0x40))], error: 'CHAIN_SIGNATURE_INVALID' },
    // add
    { name: 'add without a card', why: 'an add carries dev', prefix: 1, append: [next(1, 'phone', { t: 'add', ok: consentOf('laptop') })], error: 'CHAIN_ENTRY_INVALID' },
    { name: 'add of a card whose binding fails', why: 'every card in the chain must verify', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: badBinding, ok: consentOf('laptop') })], error: 'CHAIN_CARD_INVALID' },
    { name: 'add without consent', why: 'ok is required', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop') })], error: 'CHAIN_CONSENT_INVALID' },
    {
      name: 'consent for another account',
      why: "the laptop consented to joining a different account id (chain.json's account with its last byte flipped)",
      prefix: 1,
      append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: signConsent(member(cast, 'laptop'), flip(account, 31)) })],
      error: 'CHAIN_CONSENT_INVALID',
    },
    { name: 'consent signed by the approver', why: 'the consent must be the new device\'s own signature', prefix: 1, append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: consentOf('phone') })], error: 'CHAIN_CONSENT_INVALID' },
    {
      name: "the laptop's consent for the tablet's card",
      why: 'the consent covers the exact card added',
      prefix: 1,
      append: [next(1, 'phone', { t: 'add', dev: card('laptop'), ok: member(cast, 'laptop').sign(CHAIN_LABELS.consent, concatBytes(account, card('tablet'))) })],
      error: 'CHAIN_CONSENT_INVALID',
    },
    { name: 'add of a device already on the list', why: 'the laptop is active after entry 1', prefix: 2, append: [next(2, 'phone-rotated', { t: 'add', dev: card('laptop'), ok: consentOf('laptop') })], error: 'CHAIN_DEVICE_EXISTS' },
    { name: 'the removed laptop returns', why: 'a removed id can never be added again', prefix: 4, append: [next(4, 'phone-rotated', { t: 'add', dev: card('laptop'), ok: consentOf('laptop') })], error: 'CHAIN_DEVICE_REMOVED' },
    { name: 'the vetoed tablet returns', why: 'a vetoed id can never be added again', prefix: 6, append: [next(6, 'phone-rotated', { t: 'add', dev: card('tablet'), ok: consentOf('tablet') })], error: 'CHAIN_DEVICE_REMOVED' },
    {
      name: 'the recovery device adds a recovery device',
      why: 'the recovery key adds real devices only',
      prefix: 4,
      append: [next(4, 'recovery', { t: 'add', dev: card('stranger'), ok: consentOf('stranger'), role: 'recovery' })],
      error: 'CHAIN_ENTRY_INVALID',
    },
    // remove, rotate, veto
    { name: 'remove of a device not on the list', why: 'the stranger was never added', prefix: 2, append: [next(2, 'phone-rotated', { t: 'remove', tgt: member(cast, 'stranger').id })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'remove of the laptop twice', why: 'entry 3 already removed it', prefix: 4, append: [next(4, 'phone-rotated', { t: 'remove', tgt: member(cast, 'laptop').id })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'remove naming an entry hash', why: 'remove names a 16-byte device id', prefix: 2, append: [next(2, 'phone-rotated', { t: 'remove', tgt: E[1]!.hash })], error: 'CHAIN_TARGET_INVALID' },
    { name: "rotate to the laptop's card", why: 'a device rotates only its own key (same identity key)', prefix: 2, append: [next(2, 'phone', { t: 'rotate', dev: card('laptop') })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'rotate to the same key', why: 'a rotation must change the encryption key', prefix: 2, append: [next(2, 'phone', { t: 'rotate', dev: card('phone') })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'veto of an ordinary add', why: 'entry 1 was not signed by the recovery key', prefix: 2, append: [next(2, 'phone', { t: 'veto', tgt: E[1]!.hash })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'veto naming a device id', why: 'a veto names the 32-byte hash of the pending add', prefix: 5, append: [next(5, 'phone-rotated', { t: 'veto', tgt: member(cast, 'tablet').id })], error: 'CHAIN_TARGET_INVALID' },
    { name: "veto of the watch's add after its delay", why: 'entry 7 is dated at the end of the delay: nothing is pending any more', prefix: 8, append: [next(8, 'phone-rotated', { t: 'veto', tgt: E[6]!.hash })], error: 'CHAIN_TARGET_INVALID' },
    { name: 'the recovery device vetoes', why: 'the recovery key can only add', prefix: 7, append: [next(7, 'recovery', { t: 'veto', tgt: E[6]!.hash })], error: 'CHAIN_SIGNER_NOT_ACTIVE' },
  ];
}

function stripUndefinedFields(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function chainVectors(casts: Record<BackendName, Cast>, low: ReturnType<typeof lowOrderCard>): { json: object; built: BuiltChain } {
  const built = buildChain(casts.sodium);
  const again = buildChain(casts.noble);
  built.entries.forEach((e, k) => sameBytes(again.entries[k]!.bytes, e.bytes, `chain entry ${k} on noble`));
  const bytes = built.entries.map((e) => e.bytes);
  for (const b of BACKENDS) {
    const suite = member(casts[b], 'phone').suite;
    for (let k = 0; k < bytes.length; k++) {
      const state = replayChain(suite, bytes.slice(0, k + 1));
      check(JSON.stringify(stateVector(state)) === JSON.stringify(stateVector(built.states[k]!)), `replayed state ${k} on ${b}`);
      sameBytes(decodeEntry(suite, bytes[k]!).hash, built.entries[k]!.hash, `decoded hash ${k} on ${b}`);
    }
  }
  const fails = chainFailCases(built, casts.sodium, low);
  for (const c of fails) {
    for (const b of BACKENDS) {
      const suite = member(casts[b], 'phone').suite;
      const got = outcome(() => replayChain(suite, [...bytes.slice(0, c.prefix), ...c.append]));
      check(got === c.error, `chain must-fail "${c.name}" on ${b}: expected ${c.error}, got ${got}`);
    }
  }
  const names = new Set(fails.map((c) => c.name));
  check(names.size === fails.length, 'chain must-fail names are unique');

  // Snapshots: the phone's saved copy, with and without an alarm.
  const phoneId = member(casts.sodium, 'phone').id;
  const lastTs = built.states[built.states.length - 1]!.lastTs;
  const snapshotSpecs = [
    { name: 'the whole chain, no alarm', self: 'phone', verifiedAt: lastTs + MINUTE, entries: bytes.length },
    { name: 'the first two entries, with an unacknowledged alarm', self: 'phone', verifiedAt: UPPER_T0 + 90_000, entries: 2, alarm: 'backdated' as const },
  ];
  const snapshots = snapshotSpecs.map((s) => {
    const encoded = encodeChainSnapshot({
      self: phoneId,
      verifiedAt: s.verifiedAt,
      entries: bytes.slice(0, s.entries),
      ...(s.alarm === undefined ? {} : { alarm: s.alarm }),
    });
    for (const b of BACKENDS) {
      const chain = DeviceChain.fromBytes(member(casts[b], 'phone').suite, encoded);
      sameBytes(chain.toBytes(), encoded, `snapshot "${s.name}" round trip on ${b}`);
      check(chain.length === s.entries && chain.forkAlarm === s.alarm && chain.verifiedAt === s.verifiedAt, `snapshot "${s.name}" fields`);
    }
    return { ...s, alarm: s.alarm ?? null, head: hex(built.states[s.entries - 1]!.head), snapshot: hex(encoded) };
  });
  const good = { v: 1, self: phoneId, at: lastTs, e: bytes.slice(0, 2) };
  const invalidSnapshots = [
    { name: 'version 2', value: { ...good, v: 2 } },
    { name: 'no `at`', value: { v: 1, self: phoneId, e: good.e } },
    { name: 'an extra key', value: { ...good, name: 'phone' } },
    { name: 'self of 15 bytes', value: { ...good, self: phoneId.subarray(0, 15) } },
    { name: 'negative `at`', value: { ...good, at: -1 } },
    { name: 'no entries', value: { ...good, e: [] } },
    { name: 'an entry that is not a byte string', value: { ...good, e: [bytes[0]!, 'entry'] } },
    { name: 'an unknown alarm reason', value: { ...good, fa: 'lost' } },
    { name: 'entries that do not replay', value: { ...good, e: [bytes[0]!, bytes[2]!] } },
    { name: 'an array', value: [1, phoneId, lastTs, good.e] },
  ].map((c) => ({ name: c.name, snapshot: hex(encodeCanonical(c.value)), error: 'DEVICE_CHAIN_MALFORMED' }));
  invalidSnapshots.push({ name: 'not CBOR (a truncated snapshot)', snapshot: snapshots[0]!.snapshot.slice(0, 200), error: 'DEVICE_CHAIN_MALFORMED' });
  for (const c of invalidSnapshots) {
    for (const b of BACKENDS) {
      const got = outcome(() => DeviceChain.fromBytes(member(casts[b], 'phone').suite, fromHex(c.snapshot)));
      check(got === c.error, `snapshot "${c.name}" on ${b}: ${got}`);
    }
  }

  return {
    built,
    json: {
      description:
        'A device chain of 8 entries (genesis with a recovery card and a 24-hour delay, add, rotate, remove, recovery ' +
        'add, veto, recovery add, add by the recovered device) with every intermediate value and the state after each ' +
        'entry. Devices are named as in devices.json ("phone-rotated" is devices.json #6); "recovery" is the recovery ' +
        'device of recovery.json case 0. Entry fields use the cbor.json notation ({"$bytes": hex}). signingBytes = ' +
        'len(label) ‖ label ‖ signingAccount ‖ unsignedCbor (the all-zero account for genesis); signature = ' +
        'Ed25519(signer, signingBytes); entry = canonical CBOR of fields plus sig; hash = BLAKE2b-256(hashInput); the ' +
        'account id is the genesis hash. A state lists devices sorted by id. `invalid`: replay the first `prefix` ' +
        'entries of `entries`, then `append`; replay must fail with `error`. `snapshots`: the saved form of a chain. ' +
        'See docs/protocol.md §18–§19.',
      version: 1,
      labels: labelTable(CHAIN_LABELS),
      defaultRecoveryDelayMs: DEFAULT_RECOVERY_DELAY_MS,
      maxEntryBytes: MAX_ENTRY_BYTES,
      accountId: hex(built.states[0]!.accountId),
      entries: built.entries.map((_, k) => entryVector(built, casts.sodium, k)),
      invalid: fails.map((c) => ({ name: c.name, why: c.why, prefix: c.prefix, append: c.append.map(hex), error: c.error })),
      snapshots,
      invalidSnapshots,
    },
  };
}

// --- pairing -----------------------------------------------------------------------------------

type Opener = 'commit' | 'invite-qr' | 'invite-code' | 'consent-qr' | 'consent-code' | 'welcome';

function openAs(suite: CryptoProvider, opener: Opener, secret: Uint8Array, bytes: Uint8Array): unknown {
  switch (opener) {
    case 'commit':
      return openCommit(suite, secret, bytes);
    case 'invite-qr':
      return openInvite(suite, secret, bytes, false);
    case 'invite-code':
      return openInvite(suite, secret, bytes, true);
    case 'consent-qr':
      return openConsent(suite, secret, bytes, false);
    case 'consent-code':
      return openConsent(suite, secret, bytes, true);
    case 'welcome':
      return openWelcome(suite, secret, bytes);
  }
}

const STEP_OF: Record<Opener, PairingStep> = {
  commit: PAIRING_STEPS.commit,
  'invite-qr': PAIRING_STEPS.invite,
  'invite-code': PAIRING_STEPS.invite,
  'consent-qr': PAIRING_STEPS.consent,
  'consent-code': PAIRING_STEPS.consent,
  welcome: PAIRING_STEPS.welcome,
};

function pairingVectors(casts: Record<BackendName, Cast>, suite: CryptoProvider, built: BuiltChain, low: ReturnType<typeof lowOrderCard>): object {
  const cast = casts.sodium;
  const account = built.states[0]!.accountId;
  const card = (name: string) => encodeDevicePublic(member(cast, name).public);

  // The offer the laptop shows before entry 1.
  const offerAt = UPPER_T0 + 30_000;
  const offerRec = recording(drbg(suite, 'pairing/offer'));
  const offer = createPairingOffer(member(cast, 'laptop'), SERVER_URL, { now: offerAt, random: offerRec.random });
  const uri = encodePairingOffer(offer);
  const offerCbor = encodeCanonical({ v: 1, dev: card('laptop'), s: offer.secret, exp: offer.expiresAt, url: SERVER_URL });
  check(uri === `multikey-sync:pair?o=${toBase64Url(offerCbor)}`, 'offer URI layout');
  for (const b of BACKENDS) {
    const s = member(casts[b], 'laptop').suite;
    const decoded = decodePairingOffer(s, uri, offerAt);
    check(decoded.expiresAt === offer.expiresAt && equalBytes(decoded.secret, offer.secret) && decoded.serverUrl === SERVER_URL, `offer decodes on ${b}`);
  }
  const uriOf = (value: unknown) => `multikey-sync:pair?o=${toBase64Url(encodeCanonical(value))}`;
  const offerMap = { v: 1, dev: card('laptop'), s: offer.secret, exp: offer.expiresAt, url: SERVER_URL };
  const payload = uri.slice('multikey-sync:pair?o='.length);
  const offerDecodes = [
    { name: 'as shown', uri, now: offerAt, error: null },
    { name: 'one millisecond before it expires', uri, now: offer.expiresAt - 1, error: null },
    {
      name: 'written by a non-canonical encoder (keys in insertion order, exp as float64)',
      uri: `multikey-sync:pair?o=${toBase64Url(encodeValue(offerMap))}`,
      now: offerAt,
      error: null,
    },
    { name: 'at its expiry', uri, now: offer.expiresAt, error: 'PAIRING_OFFER_EXPIRED' },
    { name: 'scheme in upper case', uri: `MULTIKEY-SYNC:pair?o=${payload}`, now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'no payload', uri: 'multikey-sync:pair?o=', now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'payload with base64 padding', uri: `${uri}==`, now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'one payload character dropped', uri: uri.slice(0, -1), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'version 2', uri: uriOf({ ...offerMap, v: 2 }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'secret of 31 bytes', uri: uriOf({ ...offerMap, s: offer.secret.subarray(0, 31) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'an extra key', uri: uriOf({ ...offerMap, name: 'Laptop' }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'no url', uri: uriOf({ v: 1, dev: offerMap.dev, s: offerMap.s, exp: offerMap.exp }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'ftp url', uri: uriOf({ ...offerMap, url: 'ftp://sync.example.net' }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'exp as text', uri: uriOf({ ...offerMap, exp: String(offer.expiresAt) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'card binding fails', uri: uriOf({ ...offerMap, dev: flip(offerMap.dev, 128) }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'card with a low-order encryption key', uri: uriOf({ ...offerMap, dev: low.card }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
    { name: 'over 1024 characters', uri: uriOf({ ...offerMap, url: `${SERVER_URL}/${'x'.repeat(600)}` }), now: offerAt, error: 'PAIRING_OFFER_INVALID' },
  ];
  check(offerDecodes.find((c) => c.name === 'over 1024 characters')!.uri.length > 1024, 'the long offer is over 1024 characters');
  for (const c of offerDecodes) {
    for (const b of BACKENDS) {
      const got = outcome(() => decodePairingOffer(member(casts[b], 'laptop').suite, c.uri, c.now));
      check(got === (c.error ?? 'ok'), `offer "${c.name}" on ${b}: ${got}`);
    }
  }

  // The code pairing's rendezvous code.
  const codeRec = recording(drbg(suite, 'pairing/code'));
  const code = createPairingCode(codeRec.random);
  const digits = parsePairingCode(code);
  const codeSecret = pairingCodeSecret(suite, code);
  sameBytes(codeSecret, suite.blake2b(32, labelled(PAIRING_CODE_LABEL, utf8(digits))), 'code secret');
  const typo = `${digits.slice(0, 3)}${(Number(digits[3]) + 1) % 10}${digits.slice(4)}`;
  const swapped = `${digits.slice(0, 5)}${digits[6]}${digits[5]}${digits.slice(7)}`;
  check(digits[5] !== digits[6], 'the swap changes the code');
  const codeParses = [
    { name: 'as shown', typed: code, digits },
    { name: 'without separators', typed: digits, digits },
    { name: 'spaces and dots', typed: ` ${digits.slice(0, 3)} ${digits.slice(3, 6)}.${digits.slice(6)} `, digits },
    { name: 'en and em dashes', typed: `${digits.slice(0, 4)}\u2013${digits.slice(4, 8)}\u2014${digits.slice(8)}`, digits },
    { name: 'all zeros (check digit 0)', typed: '0000-0000-00', digits: '0000000000' },
    { name: 'one digit mistyped', typed: typo, digits: null },
    { name: 'neighbours swapped', typed: swapped, digits: null },
    { name: 'nine digits', typed: digits.slice(0, 9), digits: null },
    { name: 'eleven digits', typed: `${digits}0`, digits: null },
    { name: 'letter O for zero', typed: digits.replace(/0/g, 'O').replace(/^(\d)/, 'O'), digits: null },
    { name: 'Arabic-Indic digits', typed: [...digits].map((c) => String.fromCharCode(0x0660 + Number(c))).join(''), digits: null },
  ].map((c) => ({ ...c, error: c.digits === null ? 'PAIRING_CODE_INVALID' : null }));
  for (const c of codeParses) {
    const got = outcome(() => parsePairingCode(c.typed));
    check(got === (c.error ?? 'ok'), `code "${c.name}": ${got}`);
    if (c.digits !== null) check(parsePairingCode(c.typed) === c.digits, `code "${c.name}" digits`);
  }

  // Messages. QR: the phone approves the laptop (chain entry 1). Code: the rotated phone
  // approves the tablet on the chain after entry 3 (an alternative to entry 4).
  const qrSecret = offer.secret;
  const consentEntry = built.entries[1]!.entry;
  const state3 = built.states[3]!;
  const approverNonce = drbg(suite, 'pairing/code/approver-nonce')(32);
  const joinerNonce = drbg(suite, 'pairing/code/joiner-nonce')(32);
  const codeAdd = makeAdd(member(cast, 'phone-rotated'), state3, member(cast, 'tablet').public, signConsent(member(cast, 'tablet'), account), {
    now: UPPER_T0 + 4 * MINUTE,
  });
  const commitment = sasCommitment(suite, card('tablet'), joinerNonce);
  const specs: Array<{ name: string; flow: 'qr' | 'code'; secret: Uint8Array; opener: Opener | 'used'; message: Record<string, unknown> }> = [
    { name: 'QR invite: phone → laptop', flow: 'qr', secret: qrSecret, opener: 'invite-qr', message: { a: account, h: built.states[0]!.head, dev: card('phone') } },
    { name: 'QR used marker: laptop → invite slot', flow: 'qr', secret: qrSecret, opener: 'used', message: { used: 1 } },
    { name: 'QR consent: laptop → phone (the ok of chain entry 1)', flow: 'qr', secret: qrSecret, opener: 'consent-qr', message: { ok: consentEntry.ok! } },
    { name: 'QR welcome: phone → laptop (head and length after entry 1)', flow: 'qr', secret: qrSecret, opener: 'welcome', message: { h: built.entries[1]!.hash, l: 2 } },
    { name: 'code commit: tablet → phone', flow: 'code', secret: codeSecret, opener: 'commit', message: { c: commitment } },
    {
      name: 'code invite: phone → tablet (chain after entry 3, approver nonce)',
      flow: 'code',
      secret: codeSecret,
      opener: 'invite-code',
      message: { a: account, h: state3.head, dev: card('phone-rotated'), n: approverNonce },
    },
    {
      name: 'code consent: tablet → phone (the reveal)',
      flow: 'code',
      secret: codeSecret,
      opener: 'consent-code',
      message: { dev: card('tablet'), n: joinerNonce, ok: signConsent(member(cast, 'tablet'), account) },
    },
    { name: 'code welcome: phone → tablet (the add in `codePairingAdd`)', flow: 'code', secret: codeSecret, opener: 'welcome', message: { h: codeAdd.hash, l: 5 } },
  ];
  const sealedMessages = specs.map((m, k) => {
    const step = m.opener === 'used' ? PAIRING_STEPS.invite : STEP_OF[m.opener];
    const nonce = drbg(suite, `pairing/message/${k}`)(24);
    const sealed = sealPairingMessage(suite, m.secret, step, m.message, replay(nonce));
    const id = pairingMailboxId(suite, m.secret, step);
    const plaintext = encodeCanonical(m.message);
    const key = deriveKey(suite, LABELS.pairingKey, m.secret, 32);
    sameBytes(sealed, concatBytes(nonce, suite.aeadEncrypt(key, nonce, plaintext, concatBytes(new Uint8Array([step]), id))), 'pairing message layout');
    for (const b of BACKENDS) {
      const s = member(casts[b], 'phone').suite;
      sameBytes(sealPairingMessage(s, m.secret, step, m.message, replay(nonce)), sealed, `pairing message ${k} on ${b}`);
      const opened = m.opener === 'used' ? openInvite(s, m.secret, sealed, false) : openAs(s, m.opener, m.secret, sealed);
      check(m.opener === 'used' ? opened === 'used' : opened !== null, `pairing message ${k} opens on ${b}`);
    }
    return {
      name: m.name,
      flow: m.flow,
      step,
      open: m.opener,
      mailboxId: hex(id),
      message: notation(m.message),
      plaintext: hex(plaintext),
      nonce: hex(nonce),
      aad: hex(concatBytes(new Uint8Array([step]), id)),
      sealed: hex(sealed),
    };
  });

  const channel = (name: string, secret: Uint8Array) => ({
    name,
    secret: hex(secret),
    keyInput: hex(labelled(LABELS.pairingKey)),
    key: hex(deriveKey(suite, LABELS.pairingKey, secret, 32)),
    mailboxes: Object.entries(PAIRING_STEPS).map(([stepName, step]) => ({
      step: stepName,
      byte: step,
      idInput: hex(labelled(LABELS.pairingMailbox, secret, new Uint8Array([step]))),
      id: hex(pairingMailboxId(suite, secret, step)),
    })),
  });

  // Must-fail messages.
  const msg = (k: number) => fromHex(sealedMessages[k]!.sealed);
  const sealAs = (secret: Uint8Array, step: PairingStep, message: Record<string, unknown>, k: number) =>
    sealPairingMessage(suite, secret, step, message, drbg(suite, `pairing/invalid/${k}`));
  const qrInvite = specs[0]!.message;
  const codeInvite = specs[5]!.message;
  const rawSealed = (secret: Uint8Array, step: PairingStep, plaintext: Uint8Array, k: number) => {
    const nonce = drbg(suite, `pairing/invalid/raw/${k}`)(24);
    const key = deriveKey(suite, LABELS.pairingKey, secret, 32);
    return concatBytes(nonce, suite.aeadEncrypt(key, nonce, plaintext, concatBytes(new Uint8Array([step]), pairingMailboxId(suite, secret, step))));
  };
  const invalidMessages: Array<{ name: string; why: string; secret: 'qr' | 'code'; open: Opener; sealed: Uint8Array }> = [
    { name: 'invite opened as a consent', why: 'the step byte and mailbox id are the AAD: a message cannot move to another slot', secret: 'qr', open: 'consent-qr', sealed: msg(0) },
    { name: 'QR invite opened with the code secret', why: 'another pairing, another key', secret: 'code', open: 'invite-qr', sealed: msg(0) },
    { name: 'ciphertext byte flipped', why: 'the AEAD fails', secret: 'qr', open: 'invite-qr', sealed: flip(msg(0), 30) },
    { name: 'nonce byte flipped', why: 'the nonce is part of the AEAD input', secret: 'qr', open: 'invite-qr', sealed: flip(msg(0), 0) },
    { name: 'tag byte flipped', why: 'the AEAD fails', secret: 'qr', open: 'welcome', sealed: flip(msg(3), msg(3).length - 1) },
    { name: '39 bytes', why: 'shorter than nonce and tag', secret: 'qr', open: 'invite-qr', sealed: msg(0).subarray(0, 39) },
    { name: 'QR invite opened as a code invite', why: 'a code invite also carries n', secret: 'qr', open: 'invite-code', sealed: msg(0) },
    { name: 'code invite opened as a QR invite', why: 'a QR invite has exactly a, h, dev', secret: 'code', open: 'invite-qr', sealed: msg(5) },
    { name: 'invite with a 31-byte account', why: 'a is 32 bytes', secret: 'qr', open: 'invite-qr', sealed: sealAs(qrSecret, PAIRING_STEPS.invite, { ...qrInvite, a: account.subarray(0, 31) }, 0) },
    { name: 'invite with an extra field', why: 'exactly the listed keys', secret: 'qr', open: 'invite-qr', sealed: sealAs(qrSecret, PAIRING_STEPS.invite, { ...qrInvite, name: 'Phone' }, 1) },
    {
      name: "invite whose approver card fails to verify",
      why: 'the card is checked on opening',
      secret: 'code',
      open: 'invite-code',
      sealed: sealAs(codeSecret, PAIRING_STEPS.invite, { ...codeInvite, dev: flip(card('phone-rotated'), 100) }, 2),
    },
    { name: 'consent of 63 bytes', why: 'ok is 64 bytes', secret: 'qr', open: 'consent-qr', sealed: sealAs(qrSecret, PAIRING_STEPS.consent, { ok: consentEntry.ok!.subarray(0, 63) }, 3) },
    { name: 'code consent without the nonce', why: 'the reveal is dev, n and ok', secret: 'code', open: 'consent-code', sealed: sealAs(codeSecret, PAIRING_STEPS.consent, { dev: card('tablet'), ok: consentEntry.ok! }, 4) },
    { name: 'welcome with a negative length', why: 'l is a non-negative integer', secret: 'qr', open: 'welcome', sealed: sealAs(qrSecret, PAIRING_STEPS.welcome, { h: built.entries[1]!.hash, l: -2 }, 5) },
    { name: 'welcome with a fractional length', why: 'l is an integer', secret: 'qr', open: 'welcome', sealed: sealAs(qrSecret, PAIRING_STEPS.welcome, { h: built.entries[1]!.hash, l: 2.5 }, 6) },
    { name: 'commitment of 16 bytes', why: 'c is 32 bytes', secret: 'code', open: 'commit', sealed: sealAs(codeSecret, PAIRING_STEPS.commit, { c: commitment.subarray(0, 16) }, 7) },
    { name: 'plaintext is an array', why: 'every message is a map', secret: 'qr', open: 'welcome', sealed: rawSealed(qrSecret, PAIRING_STEPS.welcome, encodeCanonical([built.entries[1]!.hash, 2]), 0) },
    { name: 'plaintext is not one CBOR item', why: 'a byte after the map', secret: 'qr', open: 'welcome', sealed: rawSealed(qrSecret, PAIRING_STEPS.welcome, concatBytes(fromHex(sealedMessages[3]!.plaintext), new Uint8Array(1)), 1) },
  ];
  const secretOf = { qr: qrSecret, code: codeSecret };
  for (const c of invalidMessages) {
    for (const b of BACKENDS) {
      const got = outcome(() => openAs(member(casts[b], 'phone').suite, c.open, secretOf[c.secret], c.sealed));
      check(got === 'PAIRING_MESSAGE_INVALID', `pairing must-fail "${c.name}" on ${b}: ${got}`);
    }
  }

  // SAS: the honest pairing, and a server that put the stranger's card in place of the tablet's.
  const sasCase = (name: string, newCard: string, approverCard: string, nNew: Uint8Array, nApprover: Uint8Array) => {
    const newBytes = card(newCard);
    const approverBytes = card(approverCard);
    const input = labelled(LABELS.sasCode, newBytes, approverBytes, nNew, nApprover);
    const h = suite.blake2b(16, input);
    const n40 = h[0]! * 2 ** 32 + h[1]! * 2 ** 24 + h[2]! * 2 ** 16 + h[3]! * 2 ** 8 + h[4]!;
    const value = n40 % 1_000_000;
    const shown = String(value).padStart(6, '0');
    const sas = `${shown.slice(0, 3)} ${shown.slice(3)}`;
    for (const b of BACKENDS) {
      check(sasCode(member(casts[b], 'phone').suite, newBytes, approverBytes, nNew, nApprover) === sas, `SAS "${name}" on ${b}`);
    }
    return { name, newDevice: newCard, approver: approverCard, newNonce: hex(nNew), approverNonce: hex(nApprover), input: hex(input), hash: hex(h), first40Bits: n40, value, sas };
  };
  const mitmNonce = drbg(suite, 'pairing/code/server-nonce')(32);
  const sas = {
    commitment: {
      device: 'tablet',
      nonce: hex(joinerNonce),
      input: hex(labelled(LABELS.sasCommit, card('tablet'), joinerNonce)),
      commitment: hex(commitment),
    },
    codes: [
      sasCase('the code both devices show', 'tablet', 'phone-rotated', joinerNonce, approverNonce),
      sasCase("what the phone shows when the server swapped in the stranger's card and nonce", 'stranger', 'phone-rotated', mitmNonce, approverNonce),
      sasCase('all-zero nonces', 'laptop', 'phone', new Uint8Array(32), new Uint8Array(32)),
    ],
    commitmentMismatch: [
      { name: "the stranger's card revealed", device: 'stranger', nonce: hex(joinerNonce), error: 'SAS_COMMITMENT_MISMATCH' },
      { name: 'another nonce revealed', device: 'tablet', nonce: hex(mitmNonce), error: 'SAS_COMMITMENT_MISMATCH' },
    ],
  };
  check(sas.codes[0]!.sas !== sas.codes[1]!.sas, 'the substituted card changes the SAS');
  for (const c of sas.commitmentMismatch) {
    check(outcome(() => checkSasCommitment(suite, commitment, card(c.device), fromHex(c.nonce))) === c.error, `SAS mismatch "${c.name}"`);
  }

  return {
    description:
      'Pairing. `offer`: the QR offer the laptop shows (random = the 32-byte secret it drew) and how decoding it at ' +
      '`now` must end (`error` null = accepted). `channels`: for the offer secret and the code secret, the message ' +
      'key (BLAKE2b-256, key = secret, message = keyInput) and the mailbox id of each step (BLAKE2b-256 of idInput). ' +
      '`messages`: each step of both flows, sealed = nonce ‖ XChaCha20-Poly1305(key, nonce, plaintext, aad = step ‖ ' +
      'mailboxId), plaintext = canonical CBOR of `message`; `open` names the reader\'s shape (the used marker opens as ' +
      'a QR invite and yields "used"). `invalidMessages` must fail with PAIRING_MESSAGE_INVALID. `code`: the ' +
      'rendezvous code (random = bytes drawn, 16 at a time) and typed spellings. `sas`: the commitment and 6-digit ' +
      'codes. Devices are named as in chain.json; account, heads and hashes are chain.json\'s. See docs/protocol.md §20.',
    version: 1,
    labels: labelTable({ pairingMailbox: LABELS.pairingMailbox, pairingKey: LABELS.pairingKey, pairingCode: PAIRING_CODE_LABEL, sasCommit: LABELS.sasCommit, sasCode: LABELS.sasCode }),
    steps: PAIRING_STEPS,
    offer: {
      device: 'laptop',
      serverUrl: SERVER_URL,
      createdAt: offerAt,
      ttlMs: DEFAULT_OFFER_TTL_MS,
      random: hex(offerRec.drawn()),
      secret: hex(offer.secret),
      expiresAt: offer.expiresAt,
      cbor: hex(offerCbor),
      uri,
      decode: offerDecodes,
    },
    code: {
      random: hex(codeRec.drawn()),
      digits,
      checkDigit: Number(digits[9]),
      display: code,
      secretInput: hex(labelled(PAIRING_CODE_LABEL, utf8(digits))),
      secret: hex(codeSecret),
      parse: codeParses,
    },
    channels: [channel('offer secret (QR pairing)', qrSecret), channel('code secret (code pairing)', codeSecret)],
    codePairingAdd: { entry: hex(codeAdd.bytes), hash: hex(codeAdd.hash) },
    messages: sealedMessages,
    invalidMessages: invalidMessages.map((c) => ({ ...c, sealed: hex(c.sealed), error: 'PAIRING_MESSAGE_INVALID' })),
    sas,
  };
}

// --- request signing ---------------------------------------------------------------------------

function requestVectors(casts: Record<BackendName, Cast>, suite: CryptoProvider, built: BuiltChain): object {
  const cast = casts.sodium;
  const account = built.states[0]!.accountId;
  const accountHex = hex(account);
  const specs = [
    {
      name: 'GET a page of envelopes (empty body)',
      signer: 'phone',
      method: 'GET',
      pathAndQuery: `/v1/accounts/${accountHex}/envelopes?after=0&limit=500`,
      body: new Uint8Array(0),
      time: UPPER_T0 + 150_000,
    },
    {
      name: 'POST chain entry 2 (the rotation) with the head it extends; the rotated phone signs with the unchanged identity key',
      signer: 'phone-rotated',
      method: 'POST',
      pathAndQuery: `/v1/accounts/${accountHex}/chain`,
      body: encodeValue({ entry: built.entries[2]!.bytes, head: built.entries[1]!.hash }),
      time: UPPER_T0 + 2 * MINUTE + 250,
    },
  ];
  const requests = specs.map((r, k) => {
    const device = member(cast, r.signer);
    const rec = recording(drbg(suite, `request/${k}`));
    const headers = signRequest(device, { method: r.method, pathAndQuery: r.pathAndQuery, body: r.body, accountId: account, time: r.time }, rec.random);
    const nonce = rec.drawn();
    const bodyHash = requestBodyHash(suite, r.body);
    const fields = { method: r.method, pathAndQuery: r.pathAndQuery, bodyHash, accountId: account, deviceId: device.id, time: r.time, nonce };
    const message = requestSigningMessage(fields);
    const signed = labelled(REQUEST_LABEL, message);
    const signature = fromHex(headers['mks-signature']!);
    check(suite.ed25519Verify(signature, signed, device.public.identityKey), `request ${k} signature`);
    for (const b of BACKENDS) {
      const again = signRequest(member(casts[b], r.signer), { method: r.method, pathAndQuery: r.pathAndQuery, body: r.body, accountId: account, time: r.time }, replay(nonce));
      check(JSON.stringify(again) === JSON.stringify(headers), `request ${k} on ${b}`);
    }
    return {
      name: r.name,
      signer: r.signer,
      method: r.method,
      pathAndQuery: r.pathAndQuery,
      body: hex(r.body),
      bodyHashInput: hex(labelled(REQUEST_BODY_LABEL, r.body)),
      bodyHash: hex(bodyHash),
      accountId: accountHex,
      deviceId: hex(device.id),
      time: r.time,
      random: hex(nonce),
      nonce: hex(nonce),
      signingMessage: hex(message),
      signedBytes: hex(signed),
      signature: hex(signature),
      headers,
    };
  });

  // Verification: what a changed field does to request 0's signature.
  const r0 = requests[0]!;
  const base = {
    method: r0.method,
    pathAndQuery: r0.pathAndQuery,
    bodyHash: r0.bodyHash,
    accountId: r0.accountId,
    deviceId: r0.deviceId,
    time: r0.time,
    nonce: r0.nonce,
    identityKey: hex(member(cast, 'phone').public.identityKey),
    signature: r0.signature,
  };
  const verify = [
    { name: 'as signed', ...base, valid: true },
    { name: 'method in lower case (upper-cased before signing and verifying)', ...base, method: 'get', valid: true },
    { name: 'method changed', ...base, method: 'POST', valid: false },
    { name: 'query changed', ...base, pathAndQuery: r0.pathAndQuery.replace('after=0', 'after=1'), valid: false },
    { name: 'query dropped', ...base, pathAndQuery: r0.pathAndQuery.split('?')[0]!, valid: false },
    { name: 'a prefix kept in front of /v1', ...base, pathAndQuery: `/sync${r0.pathAndQuery}`, valid: false },
    { name: 'a body added', ...base, bodyHash: hex(requestBodyHash(suite, new Uint8Array([0xa0]))), valid: false },
    { name: 'time one millisecond later', ...base, time: r0.time + 1, valid: false },
    { name: 'another nonce', ...base, nonce: hex(flip(fromHex(r0.nonce), 0)), valid: false },
    { name: 'another account', ...base, accountId: hex(flip(account, 0)), valid: false },
    { name: "the laptop's device id", ...base, deviceId: hex(member(cast, 'laptop').id), valid: false },
    { name: "checked against the laptop's identity key", ...base, identityKey: hex(member(cast, 'laptop').public.identityKey), valid: false },
    { name: 'signature byte flipped', ...base, signature: hex(flip(fromHex(r0.signature), 10)), valid: false },
  ];
  for (const v of verify) {
    for (const b of BACKENDS) {
      const s = member(casts[b], 'phone').suite;
      const ok = verifyRequestSignature(
        s,
        fromHex(v.identityKey),
        { method: v.method, pathAndQuery: v.pathAndQuery, bodyHash: fromHex(v.bodyHash), accountId: fromHex(v.accountId), deviceId: fromHex(v.deviceId), time: v.time, nonce: fromHex(v.nonce) },
        fromHex(v.signature),
      );
      check(ok === v.valid, `request verify "${v.name}" on ${b}`);
    }
  }

  const h0: Record<string, string | undefined> = r0.headers;
  const headerCases: Array<{ name: string; headers: Record<string, string | undefined>; result: string }> = [
    { name: 'as sent', headers: h0, result: 'ok' },
    { name: 'no mks-nonce', headers: { ...h0, 'mks-nonce': undefined }, result: 'missing' },
    { name: 'no headers at all', headers: {}, result: 'missing' },
    { name: 'account in upper-case hex', headers: { ...h0, 'mks-account': h0['mks-account']!.toUpperCase() }, result: 'malformed' },
    { name: 'device id of 15 bytes', headers: { ...h0, 'mks-device': h0['mks-device']!.slice(2) }, result: 'malformed' },
    { name: 'nonce of 15 bytes', headers: { ...h0, 'mks-nonce': h0['mks-nonce']!.slice(2) }, result: 'malformed' },
    { name: 'signature of 63 bytes', headers: { ...h0, 'mks-signature': h0['mks-signature']!.slice(2) }, result: 'malformed' },
    { name: 'time with a leading zero', headers: { ...h0, 'mks-time': `0${h0['mks-time']}` }, result: 'malformed' },
    { name: 'negative time', headers: { ...h0, 'mks-time': `-${h0['mks-time']}` }, result: 'malformed' },
    { name: 'time in seconds with a fraction', headers: { ...h0, 'mks-time': `${Math.floor(r0.time / 1000)}.5` }, result: 'malformed' },
    { name: 'time of 17 digits', headers: { ...h0, 'mks-time': '10000000000000000' }, result: 'malformed' },
  ].map((c) => ({
    name: c.name,
    headers: Object.fromEntries(Object.entries(c.headers).filter(([, v]) => v !== undefined)) as Record<string, string>,
    result: c.result,
    serverError: c.result === 'missing' ? 'AUTH_REQUIRED' : c.result === 'malformed' ? 'BAD_REQUEST' : null,
  }));
  for (const c of headerCases) check(readAuthHeaders((n) => c.headers[n]).kind === c.result, `headers "${c.name}"`);

  return {
    description:
      'Signed HTTP requests. bodyHash = BLAKE2b-256(bodyHashInput = len(l) ‖ l ‖ body), l = "multikey-sync/v1/request-body"; ' +
      'signingMessage = canonical CBOR [METHOD, pathAndQuery, bodyHash, accountId, deviceId, time, nonce] (text, text, ' +
      'bytes, bytes, bytes, integer, bytes); signature = Ed25519(identity seed of `signer`, signedBytes = len(label) ‖ ' +
      'label ‖ signingMessage); random = the 16-byte nonce drawn. `verify`: fields, key and signature, and whether it ' +
      'verifies (a server answers 401 SIGNATURE_INVALID when not). `headers`: what the header parser makes of them ' +
      '(missing → AUTH_REQUIRED, malformed → BAD_REQUEST). Devices are named as in chain.json. See docs/protocol.md ' +
      '§22 and docs/server.md "Signing".',
    version: 1,
    labels: labelTable({ request: REQUEST_LABEL, requestBody: REQUEST_BODY_LABEL }),
    requests,
    verify,
    headers: headerCases,
  };
}

// --- record bodies and grants ------------------------------------------------------------------

function recordVectors(casts: Record<BackendName, Cast>, suite: CryptoProvider, built: BuiltChain): object {
  const cast = casts.sodium;
  const account = built.states[0]!.accountId;
  const chainHead = built.entries[1]!.hash;
  const phone = member(cast, 'phone');
  const laptop = member(cast, 'laptop');
  const tablet = member(cast, 'tablet');
  const directory = new DeviceDirectory(['phone', 'laptop', 'tablet', 'watch'].map((n) => member(cast, n).public));
  const writtenAt = UPPER_T0 + 2 * DAY_MS + 17_000;
  const retentionDays = 90;
  const sortTime = CALL.startedAt;

  const record: RecordBody = { collection: 'calls', value: CALL, sortTime, expiresAt: sortTime + retentionDays * DAY_MS };
  const tombstone: RecordBody = { collection: 'calls', sortTime, expiresAt: sortTime + retentionDays * DAY_MS };
  const bodyVector = (name: string, body: RecordBody) => {
    const wire = bodyToWire(body);
    const compact = encodeValue(wire);
    const canonical = encodeCanonical(wire);
    check(sameValue(bodyFromWire(decodeValue(compact)), body) && sameValue(bodyFromWire(decodeValue(canonical)), body), `body "${name}" round trip`);
    return { name, body: notation({ ...body }), wire: notation(wire), compact: hex(compact), canonical: hex(canonical) };
  };

  const sealOne = (name: string, senderName: string, to: string[], body: RecordBody, input: Omit<SealInput, 'body' | 'chainHead'>, index: number) => {
    const rec = recording(drbg(suite, `records/seal/${index}`));
    const full: SealInput = { body: bodyToWire(body), chainHead, ...input };
    const recipients = to.map((n) => member(cast, n).public);
    const envelope = seal(member(cast, senderName), account, recipients, full, { random: rec.random });
    const random = rec.drawn();
    for (const b of BACKENDS) {
      sameBytes(seal(member(casts[b], senderName), account, to.map((n) => member(casts[b], n).public), full, { random: replay(random) }), envelope, `records envelope "${name}" on ${b}`);
    }
    return { name, envelope, random, senderName, to, input };
  };

  const recordEnv = sealOne('the call record: phone → phone, laptop', 'phone', ['phone', 'laptop'], record, {
    kind: 'record',
    revision: 1,
    sequence: 1,
    expiryDay: Math.floor(writtenAt / DAY_MS) + retentionDays + 1,
  }, 0);
  const recordIdOf = parseEnvelope(recordEnv.envelope).recordId;
  const tombstoneEnv = sealOne('its deletion: a tombstone at revision 2, same record id', 'laptop', ['phone', 'laptop'], tombstone, {
    kind: 'tombstone',
    recordId: recordIdOf,
    revision: 2,
    sequence: 1,
    expiryDay: Math.floor((writtenAt + DAY_MS) / DAY_MS) + retentionDays + 1,
  }, 1);

  // The laptop hands the record's history to the tablet.
  const handoffAt = UPPER_T0 + 3 * DAY_MS;
  const grant = grantEnvelope(laptop, account, directory, recordEnv.envelope, tablet.public)!;
  check(grant !== null && grant.length === GRANT_BYTES, 'grant made');
  const h = envelopeHash(suite, account, parseEnvelope(recordEnv.envelope).headerAndBody);
  const grantNonce = labelledHash(suite, LABELS.grantNonce, 24, h);
  const kek = laptop.pairwiseKey(tablet.public, 'to').slice();
  const contentKey = recordEnv.random.subarray(0, 32);
  sameBytes(grant, concatBytes(new Uint8Array([1]), recordIdOf, h, laptop.id, suite.aeadEncrypt(kek, grantNonce, contentKey, h)), 'grant layout');
  for (const b of BACKENDS) {
    const dir = new DeviceDirectory(['phone', 'laptop', 'tablet', 'watch'].map((n) => member(casts[b], n).public));
    sameBytes(grantEnvelope(member(casts[b], 'laptop'), account, dir, recordEnv.envelope, member(casts[b], 'tablet').public)!, grant, `grant on ${b}`);
    const opened = openWithGrant(member(casts[b], 'tablet'), account, dir, recordEnv.envelope, grant);
    check(sameValue(bodyFromWire(opened.body), record), `grant opens on ${b}`);
  }
  const bundle: RecordBody = { collection: GRANTS_COLLECTION, sortTime: handoffAt, grants: [grant] };
  const bundleEnv = sealOne('the grant bundle: laptop → tablet alone', 'laptop', ['tablet'], bundle, {
    kind: 'record',
    revision: 1,
    sequence: 2,
    expiryDay: Math.floor(handoffAt / DAY_MS) + 30,
  }, 2);
  for (const b of BACKENDS) {
    const dir = new DeviceDirectory(['phone', 'laptop', 'tablet', 'watch'].map((n) => member(casts[b], n).public));
    const opened = open(member(casts[b], 'tablet'), account, dir, bundleEnv.envelope)!;
    check(sameValue(bodyFromWire(opened.body), bundle), `bundle opens on ${b}`);
    check(open(member(casts[b], 'tablet'), account, dir, recordEnv.envelope) === null, `the tablet has no stanza of its own on ${b}`);
  }

  const envelopeVectorOf = (e: ReturnType<typeof sealOne>, body: RecordBody) => {
    const parsed = parseEnvelope(e.envelope);
    return {
      name: e.name,
      sender: e.senderName,
      recipients: e.to,
      input: { ...e.input, recordId: e.input.recordId === undefined ? null : hex(e.input.recordId), chainHead: hex(chainHead) },
      bodyCbor: hex(encodeValue(bodyToWire(body))),
      random: hex(e.random),
      recordId: hex(parsed.recordId),
      hash: hex(envelopeHash(suite, account, parsed.headerAndBody)),
      envelope: hex(e.envelope),
    };
  };

  // Bodies that must be refused, as the CBOR that arrives inside an envelope.
  const bodyDecodes: Array<{ name: string; cbor: Uint8Array; error: string | null }> = [
    { name: 'sort time as a CBOR integer', cbor: encodeCanonical({ c: 'calls', t: sortTime }), error: null },
    { name: 'sort time as an integral float64 (what the compact encoder writes)', cbor: encodeValue({ c: 'calls', t: sortTime }), error: null },
    { name: 'v present and null', cbor: encodeCanonical({ c: 'calls', t: 0, v: null }), error: null },
    { name: 'a grant bundle with no grants', cbor: encodeCanonical({ c: GRANTS_COLLECTION, t: handoffAt, g: [] }), error: null },
    { name: 'a 64-character collection name', cbor: encodeCanonical({ c: 'c'.repeat(64), t: 0 }), error: null },
    { name: 'an array', cbor: encodeCanonical(['calls', sortTime]), error: 'RECORD_BODY_INVALID' },
    { name: 'an unknown one-letter field', cbor: encodeCanonical({ c: 'calls', t: 0, y: 1 }), error: 'RECORD_BODY_INVALID' },
    { name: 'a two-letter field', cbor: encodeCanonical({ c: 'calls', t: 0, cv: 1 }), error: 'RECORD_BODY_INVALID' },
    { name: 'no collection', cbor: encodeCanonical({ t: 0, v: 1 }), error: 'RECORD_BODY_INVALID' },
    { name: 'empty collection name', cbor: encodeCanonical({ c: '', t: 0 }), error: 'RECORD_BODY_INVALID' },
    { name: 'a 65-character collection name', cbor: encodeCanonical({ c: 'c'.repeat(65), t: 0 }), error: 'RECORD_BODY_INVALID' },
    { name: 'collection name as bytes', cbor: encodeCanonical({ c: utf8('calls'), t: 0 }), error: 'RECORD_BODY_INVALID' },
    { name: 'no sort time', cbor: encodeCanonical({ c: 'calls', v: 1 }), error: 'RECORD_BODY_INVALID' },
    { name: 'negative sort time', cbor: encodeCanonical({ c: 'calls', t: -1 }), error: 'RECORD_BODY_INVALID' },
    { name: 'fractional sort time', cbor: encodeCanonical({ c: 'calls', t: 1.5 }), error: 'RECORD_BODY_INVALID' },
    { name: 'sort time 2^53 as a float64', cbor: fromHex('a261636563616c6c736174fb4340000000000000'), error: 'RECORD_BODY_INVALID' },
    { name: 'expiry as text', cbor: encodeCanonical({ c: 'calls', t: 0, x: 'soon' }), error: 'RECORD_BODY_INVALID' },
    { name: 'grants outside $grants', cbor: encodeCanonical({ c: 'calls', t: 0, g: [grant] }), error: 'RECORD_BODY_INVALID' },
    { name: 'grants not an array', cbor: encodeCanonical({ c: GRANTS_COLLECTION, t: 0, g: grant }), error: 'RECORD_BODY_INVALID' },
    { name: 'a grant that is text', cbor: encodeCanonical({ c: GRANTS_COLLECTION, t: 0, g: ['grant'] }), error: 'RECORD_BODY_INVALID' },
  ];
  for (const c of bodyDecodes) {
    const got = outcome(() => bodyFromWire(decodeValue(c.cbor)));
    check(got === (c.error ?? 'ok'), `body "${c.name}": ${got}`);
  }
  const collectionNames = [
    { name: 'calls', error: null },
    { name: 'c'.repeat(64), error: null },
    { name: '', error: 'COLLECTION_NAME_INVALID' },
    { name: 'c'.repeat(65), error: 'COLLECTION_NAME_INVALID' },
    { name: GRANTS_COLLECTION, error: 'COLLECTION_NAME_INVALID' },
    { name: '$calls', error: 'COLLECTION_NAME_INVALID' },
  ];
  for (const c of collectionNames) check(outcome(() => checkCollectionName(c.name)) === (c.error ?? 'ok'), `collection name "${c.name}"`);

  // Grants that must be refused when the tablet opens the record envelope with them.
  const grantCases = [
    { name: 'one byte short', why: 'a grant is 113 bytes', opener: 'tablet', directory: ['phone', 'laptop', 'tablet'], envelope: 'record', grant: grant.subarray(0, 112), error: 'GRANT_MALFORMED' },
    { name: 'version 2', why: 'byte 0 is 0x01', opener: 'tablet', directory: ['phone', 'laptop', 'tablet'], envelope: 'record', grant: withByte(grant, 0, 2), error: 'GRANT_MALFORMED' },
    { name: 'hash byte flipped', why: "the grant's H must equal the envelope's", opener: 'tablet', directory: ['phone', 'laptop', 'tablet'], envelope: 'record', grant: flip(grant, 20), error: 'GRANT_MISMATCH' },
    { name: 'used with the tombstone', why: 'another envelope of the same record: another H', opener: 'tablet', directory: ['phone', 'laptop', 'tablet'], envelope: 'tombstone', grant, error: 'GRANT_MISMATCH' },
    {
      name: 'grantor not in the directory',
      why: "the tablet's directory lacks the laptop",
      opener: 'tablet',
      directory: ['phone', 'tablet'],
      envelope: 'record',
      grant,
      error: 'GRANT_UNKNOWN_GRANTOR',
    },
    {
      name: "grantor id replaced by the stranger's",
      why: 'the stranger is on no list',
      opener: 'tablet',
      directory: ['phone', 'laptop', 'tablet'],
      envelope: 'record',
      grant: concatBytes(grant.subarray(0, 49), member(cast, 'stranger').id, grant.subarray(65)),
      error: 'GRANT_UNKNOWN_GRANTOR',
    },
    {
      name: "grantor id replaced by the phone's",
      why: 'the wrap was made under kek(laptop→tablet); kek(phone→tablet) does not open it',
      opener: 'tablet',
      directory: ['phone', 'laptop', 'tablet'],
      envelope: 'record',
      grant: concatBytes(grant.subarray(0, 49), phone.id, grant.subarray(65)),
      error: 'GRANT_TAMPERED',
    },
    { name: 'wrapped key byte flipped', why: 'the AEAD fails', opener: 'tablet', directory: ['phone', 'laptop', 'tablet'], envelope: 'record', grant: flip(grant, 70), error: 'GRANT_TAMPERED' },
    { name: 'tag byte flipped', why: 'the AEAD fails', opener: 'tablet', directory: ['phone', 'laptop', 'tablet'], envelope: 'record', grant: flip(grant, 112), error: 'GRANT_TAMPERED' },
    {
      name: 'opened by the watch',
      why: 'the grant is wrapped to the tablet; the watch derives kek(laptop→watch)',
      opener: 'watch',
      directory: ['phone', 'laptop', 'tablet', 'watch'],
      envelope: 'record',
      grant,
      error: 'GRANT_TAMPERED',
    },
  ];
  const envelopes = { record: recordEnv.envelope, tombstone: tombstoneEnv.envelope };
  for (const c of grantCases) {
    for (const b of BACKENDS) {
      const dir = new DeviceDirectory(c.directory.map((n) => member(casts[b], n).public));
      const got = outcome(() => openWithGrant(member(casts[b], c.opener), account, dir, envelopes[c.envelope as 'record' | 'tombstone'], c.grant));
      check(got === c.error, `grant must-fail "${c.name}" on ${b}: ${got}`);
    }
  }

  return {
    description:
      'Record bodies and history grants. `bodies`: a RecordBody, its wire map (c collection, t sort time, v value, x ' +
      'local expiry, g grants) and its CBOR as seal writes it (`compact`) and canonically. `envelopes`: envelopes ' +
      'sealed with such bodies (reproduce from bodyCbor and random as in envelopes.json; the account is chain.json\'s ' +
      'account id, the chain head its entry 1). `grant`: the laptop grants the call record\'s content key to the ' +
      'tablet: 0x01 ‖ record id ‖ H ‖ grantor id ‖ XChaCha20-Poly1305(kek(laptop→tablet), nonce, K, aad = H), nonce = ' +
      'BLAKE2b-192(nonceInput). The bundle envelope carries it in the $grants collection. `bodyDecodes` and ' +
      '`collectionNames`: what readers and writers accept (error null) or refuse. `invalidGrants`: the opener opens ' +
      'the named envelope with `grant` and a directory of the named devices, and must fail with `error`. See ' +
      'docs/protocol.md §9 and §23.',
    version: 1,
    grantsCollection: GRANTS_COLLECTION,
    bodies: [bodyVector('a call record, kept 90 days', record), bodyVector('its tombstone', tombstone), bodyVector('a grant bundle of one grant', bundle)],
    envelopes: [envelopeVectorOf(recordEnv, record), envelopeVectorOf(tombstoneEnv, tombstone), envelopeVectorOf(bundleEnv, bundle)],
    grant: {
      grantor: 'laptop',
      recipient: 'tablet',
      envelope: 0,
      recordId: hex(recordIdOf),
      hash: hex(h),
      grantorId: hex(laptop.id),
      contentKey: hex(contentKey),
      kek: hex(kek),
      nonceInput: hex(labelled(LABELS.grantNonce, h)),
      nonce: hex(grantNonce),
      wrappedKey: hex(grant.subarray(65)),
      grant: hex(grant),
    },
    bodyDecodes: bodyDecodes.map((c) => ({ name: c.name, cbor: hex(c.cbor), error: c.error })),
    collectionNames,
    invalidGrants: grantCases.map((c) => ({ ...c, grant: hex(c.grant) })),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const suite = await loadSuite('sodium');
  const set = await makeDevices(suite);
  const low = lowOrderCard(suite);

  // The phone after an encryption-key rotation: same identity seed, new secret (device 6). Used
  // only by the must-fail case whose directory holds the rotated card.
  const rotatedDrawn = concatBytes(set.drawn[PHONE]!.subarray(0, 32), drbg(suite, 'device/phone-rotated')(32));
  const rotated: Record<BackendName, Device> = {
    sodium: await Device.generate({ backend: 'sodium', random: replay(rotatedDrawn) }),
    noble: await Device.generate({ backend: 'noble', random: replay(rotatedDrawn) }),
  };
  sameBytes(encodeDevicePublic(rotated.noble.public), encodeDevicePublic(rotated.sodium.public), 'rotated card across backends');
  sameBytes(rotated.sodium.id, set.byBackend.sodium[PHONE]!.id, 'rotation keeps the id');

  const devicesJson = devicesVectors(set, suite, low) as { devices: object[] };
  devicesJson.devices.push(deviceVector(rotated.sodium, 'phone-rotated'));
  writeVectors('devices.json', devicesJson);
  writeVectors('pairwise.json', pairwiseVectors(set));

  // From here on, index 6 is the rotated phone.
  const withRotated: DeviceSet = {
    byBackend: { sodium: [...set.byBackend.sodium, rotated.sodium], noble: [...set.byBackend.noble, rotated.noble] },
    drawn: [...set.drawn, rotatedDrawn],
  };

  const sealed = successCases().map((spec, i) => sealCase(set, suite, spec, i));
  writeVectors('envelopes.json', {
    description:
      'Envelopes that must seal to exactly `envelope` and open for every recipient. Device indices refer to ' +
      'devices.json. seal draws `random` in one call: the 32-byte content key, then (when input.recordId is null) ' +
      'the 16-byte record id. bodyCbor is the body as seal encodes it (see cbor.json "compact"); a second ' +
      'implementation reproduces the envelope from bodyCbor. size = paddedLength + 95 + 64·n. Intermediate ' +
      'values (padded, bodyAad, hashInput, hash, wrapNonce, per-stanza kek and wrap) are given for debugging. ' +
      'See docs/protocol.md §5.',
    version: 1,
    envelopes: sealed.map((c) => envelopeVector(set, suite, c)),
  });

  const base = sealed[2]!;
  const { invalid, stillOpens } = invalidCases(withRotated, suite, base, low);
  for (const c of invalid) {
    for (const b of BACKENDS) {
      const devs = withRotated.byBackend[b];
      // As in the test: building the directory is part of what must fail (a refused card).
      const got = outcome(() =>
        open(devs[c.opener]!, c.account, directoryFor(devs, c.directory, c.extraCards, devs[0]!.suite), c.envelope, c.openOptions),
      );
      check(got === c.error, `must-fail "${c.name}" on ${b}: expected ${c.error}, got ${got}`);
    }
  }
  for (const c of stillOpens) {
    for (const b of BACKENDS) {
      const devs = withRotated.byBackend[b];
      const opened = open(devs[c.opener]!, c.account, directoryFor(devs, c.directory, undefined, devs[0]!.suite), c.envelope);
      check(opened !== null && sameValue(opened.body, c.body), `still-opens "${c.name}" on ${b}`);
    }
  }
  const caseJson = (c: InvalidCase | StillOpensCase) => {
    const { envelope, account, ...rest } = c;
    const extra = 'extraCards' in c && c.extraCards !== undefined ? { extraCards: c.extraCards.map(hex) } : {};
    return { ...rest, ...extra, account: hex(account), envelope: hex(envelope) };
  };
  writeVectors('envelopes-invalid.json', {
    description:
      'Envelopes that must not open. Each case: the envelope, the device that opens it (index into devices.json, ' +
      'index 6 is the phone after a key rotation), the account, the directory of trusted cards (device indices, plus ' +
      'extraCards as card hex), optional open options, and the expected error code, or null for "not addressed to ' +
      'this device". Most are built from envelopes.json case 2 (phone → [phone, laptop, tablet], opened by the ' +
      'laptop). "correctly sealed" cases were made with the raw primitives so that they authenticate and fail later. ' +
      '`stillOpens` lists alterations a recipient cannot see: it must open them and get `body`. See docs/protocol.md §8.',
    version: 1,
    baseEnvelope: 2,
    cases: invalid.map(caseJson),
    stillOpens: stillOpens.map(caseJson),
  });

  writeVectors('padding.json', paddingVectors());
  writeVectors('passphrase.json', await passphraseVectors(set, suite));
  writeVectors('cbor.json', cborVectors());

  // The upper layers' files reuse these devices; nothing above depends on them.
  const recovery = await recoveryVectors(suite);
  const words = recovery.cases[0]!.words;
  const casts = { sodium: await makeCast(withRotated, 'sodium', words), noble: await makeCast(withRotated, 'noble', words) };
  const chain = chainVectors(casts, low);
  writeVectors('chain.json', chain.json);
  writeVectors('pairing.json', pairingVectors(casts, suite, chain.built, low));
  writeVectors('recovery.json', recovery.json);
  writeVectors('requests.json', requestVectors(casts, suite, chain.built));
  writeVectors('records.json', recordVectors(casts, suite, chain.built));
  flushVectors();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
