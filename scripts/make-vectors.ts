/**
 * Writes the frozen test vectors under test/vectors/ (run once: `npx tsx scripts/make-vectors.ts`).
 *
 * Every random byte comes from a deterministic source (BLAKE2b-512 of a name and a counter) and
 * is recorded in the vectors, so a second implementation can replay it. Each vector is computed
 * on the libsodium backend and recomputed on the noble backend; the script stops if the two
 * disagree, or if a must-fail case does not fail with the code written next to it here.
 *
 * The vectors are a contract: once committed they change only with the wire format. The script
 * refuses to overwrite existing files unless given `--force`; without it, it reports whether the
 * current code still reproduces each file exactly.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concatBytes, equalBytes, fromHex, toHex, utf8 } from '../src/crypto/bytes.js';
import { labelled } from '../src/crypto/kdf.js';
import { LABELS } from '../src/crypto/labels.js';
import type { Argon2Params, BackendName, CryptoProvider } from '../src/crypto/provider.js';
import type { RandomSource } from '../src/crypto/random.js';
import { loadSuite } from '../src/crypto/suite.js';
import { decodeValue, encodeCanonical, encodeValue, type CborLimits } from '../src/core/cbor.js';
import { Device } from '../src/core/device.js';
import { DeviceDirectory } from '../src/core/deviceDirectory.js';
import { bindingMessage, decodeDevicePublic, deviceIdOf, encodeDevicePublic, type DevicePublic } from '../src/core/devicePublic.js';
import { HEADER_BYTES, parseEnvelope, STANZA_BYTES, writeHeader, type EnvelopeKind } from '../src/core/envelopeFormat.js';
import { envelopeHash } from '../src/core/envelopeHash.js';
import { open, type OpenOptions } from '../src/core/open.js';
import { isPaddedLength, pad, paddedLength, unpad } from '../src/core/padding.js';
import { openSecretsWithPassphrase } from '../src/core/passphraseBlob.js';
import { BODY_NONCE, seal, type SealInput } from '../src/core/seal.js';
import { isMultikeySyncError } from '../src/errors.js';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors');
const FORCE = process.argv.includes('--force');
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
  for (const [name, content] of outputs) {
    const path = join(OUT_DIR, name);
    const text = `${JSON.stringify(content, null, 2)}\n`;
    if (existsSync(path) && !FORCE) {
      const same = readFileSync(path, 'utf8') === text;
      console.log(`kept ${name} (${same ? 'the code still reproduces it' : 'THE CODE NO LONGER REPRODUCES IT'})`);
      continue;
    }
    writeFileSync(path, text);
    console.log(`wrote ${name}`);
  }
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
  flushVectors();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
