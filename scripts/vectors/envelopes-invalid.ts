/** docs/protocol.md §8 → envelopes-invalid.json: envelopes that must not open (each with its error
 * code, or null for "not addressed"), and alterations a recipient cannot see, which must still
 * open.
 */
import { concatBytes, fromHex } from '../../src/crypto/bytes.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { encodeValue } from '../../src/core/cbor.js';
import type { Device } from '../../src/core/device.js';
import { DeviceDirectory } from '../../src/core/deviceDirectory.js';
import { decodeDevicePublic, type DevicePublic } from '../../src/core/devicePublic.js';
import { HEADER_BYTES, parseEnvelope, STANZA_BYTES, writeHeader } from '../../src/core/envelopeFormat.js';
import { envelopeHash } from '../../src/core/envelopeHash.js';
import { open, type OpenOptions } from '../../src/core/open.js';
import { pad, paddedLength } from '../../src/core/padding.js';
import { BODY_NONCE, seal } from '../../src/core/seal.js';
import type { SealedCase } from './envelopes.js';
import {
  BACKENDS,
  CALL,
  check,
  drbg,
  flip,
  hex,
  LAPTOP,
  outcome,
  padTo,
  PHONE,
  sameValue,
  STRANGER,
  TABLET,
  withByte,
  withRotated,
  type DeviceSet,
  type LowOrderCard,
} from './shared.js';

/** The envelope of envelopes.json that most cases alter: phone → [phone, laptop, tablet]. */
const BASE_ENVELOPE = 2;

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

function invalidCases(
  set: DeviceSet,
  suite: CryptoProvider,
  base: SealedCase,
  low: LowOrderCard,
): { invalid: InvalidCase[]; stillOpens: StillOpensCase[] } {
  const devs = withRotated(set, 'sodium');
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

  const rotated = devs.length - 1; // devices.json #6: the phone after a key rotation

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

/** envelopes-invalid.json: alterations of `sealed` (envelopes.json), opened by the seven devices of `set`. */
export function envelopesInvalidVectors(set: DeviceSet, suite: CryptoProvider, sealed: SealedCase[], low: LowOrderCard): object {
  const { invalid, stillOpens } = invalidCases(set, suite, sealed[BASE_ENVELOPE]!, low);
  for (const c of invalid) {
    for (const b of BACKENDS) {
      const devs = withRotated(set, b);
      // As in the test: building the directory is part of what must fail (a refused card).
      const got = outcome(() =>
        open(devs[c.opener]!, c.account, directoryFor(devs, c.directory, c.extraCards, devs[0]!.suite), c.envelope, c.openOptions),
      );
      check(got === c.error, `must-fail "${c.name}" on ${b}: expected ${c.error}, got ${got}`);
    }
  }
  for (const c of stillOpens) {
    for (const b of BACKENDS) {
      const devs = withRotated(set, b);
      const opened = open(devs[c.opener]!, c.account, directoryFor(devs, c.directory, undefined, devs[0]!.suite), c.envelope);
      check(opened !== null && sameValue(opened.body, c.body), `still-opens "${c.name}" on ${b}`);
    }
  }
  const caseJson = (c: InvalidCase | StillOpensCase) => {
    const { envelope, account, ...rest } = c;
    const extra = 'extraCards' in c && c.extraCards !== undefined ? { extraCards: c.extraCards.map(hex) } : {};
    return { ...rest, ...extra, account: hex(account), envelope: hex(envelope) };
  };
  return {
    description:
      'Envelopes that must not open. Each case: the envelope, the device that opens it (index into devices.json, ' +
      'index 6 is the phone after a key rotation), the account, the directory of trusted cards (device indices, plus ' +
      'extraCards as card hex), optional open options, and the expected error code, or null for "not addressed to ' +
      'this device". Most are built from envelopes.json case 2 (phone → [phone, laptop, tablet], opened by the ' +
      'laptop). "correctly sealed" cases were made with the raw primitives so that they authenticate and fail later. ' +
      '`stillOpens` lists alterations a recipient cannot see: it must open them and get `body`. See docs/protocol.md §8.',
    version: 1,
    baseEnvelope: BASE_ENVELOPE,
    cases: invalid.map(caseJson),
    stillOpens: stillOpens.map(caseJson),
  };
}
