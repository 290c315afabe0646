/** docs/protocol.md §8 → envelopes-invalid.json: envelopes that must not open (each with its error
 * code, or null for "not addressed"), covering every row of §8's table, and alterations a recipient
 * cannot see, which must still open.
 */
import { concatBytes, fromHex } from '../../src/crypto/bytes.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { encodeValue } from '../../src/core/cbor.js';
import type { Device } from '../../src/core/device.js';
import { HEADER_BYTES, parseEnvelope, STANZA_BYTES, writeHeader, writeU32 } from '../../src/core/envelopeFormat.js';
import { envelopeHash, keyCommitment } from '../../src/core/envelopeHash.js';
import { open, type OpenOptions } from '../../src/core/open.js';
import { isPaddedLength, pad, paddedLength } from '../../src/core/padding.js';
import { BODY_NONCE, seal } from '../../src/core/seal.js';
import type { SealedCase } from './envelopes.js';
import {
  BACKENDS,
  CALL,
  check,
  drbg,
  flip,
  heldFrom,
  hex,
  LAPTOP,
  lookupOf,
  outcome,
  padTo,
  PHONE,
  sameValue,
  sealRecipients,
  STRANGER,
  TABLET,
  withByte,
  type DeviceSet,
  type HeldKey,
  type PairKeyFixture,
} from './shared.js';

/** The envelope of envelopes.json that most cases alter: phone → [phone, laptop, tablet]. */
const BASE_ENVELOPE = 2;

interface RawStanza {
  id: Uint8Array;
  ref: number;
  kek: Uint8Array;
  /** What is wrapped, when it is not the content key (a sender that hands one recipient another key). */
  wrapped?: Uint8Array;
}

interface RawSeal {
  suite: CryptoProvider;
  sender: Uint8Array;
  account: Uint8Array;
  recordId: Uint8Array;
  revision: number;
  padded: Uint8Array;
  contentKey: Uint8Array;
  stanzas: RawStanza[];
  /** The header's key commitment, when it is not K's. */
  commitment?: Uint8Array;
  /** The account in the body's AAD, when it is not the envelope's. */
  bodyAccount?: Uint8Array;
}

/** Seals with the raw primitives: lets a case put any plaintext, commitment or wrapped key inside. */
function rawSeal(r: RawSeal): Uint8Array {
  const suite = r.suite;
  const bodyLength = r.padded.length + 16;
  const stanzaStart = HEADER_BYTES + bodyLength;
  const out = new Uint8Array(stanzaStart + r.stanzas.length * STANZA_BYTES);
  writeHeader(out, {
    kind: 'record',
    recordId: r.recordId,
    revision: r.revision,
    sender: r.sender,
    keyCommitment: r.commitment ?? keyCommitment(suite, r.contentKey),
    expiryDay: 0,
    recipientCount: r.stanzas.length,
  });
  r.stanzas.forEach((s, i) => {
    out.set(s.id, stanzaStart + i * STANZA_BYTES);
    writeU32(out, stanzaStart + i * STANZA_BYTES + 16, s.ref);
  });
  const header = out.subarray(0, HEADER_BYTES);
  out.set(suite.aeadEncrypt(r.contentKey, BODY_NONCE, r.padded, concatBytes(r.bodyAccount ?? r.account, header)), HEADER_BYTES);
  const h = envelopeHash(suite, r.account, out.subarray(0, stanzaStart), out.subarray(stanzaStart));
  r.stanzas.forEach((s, i) => {
    out.set(suite.aeadEncrypt(s.kek, h.subarray(0, 24), s.wrapped ?? r.contentKey, h), stanzaStart + i * STANZA_BYTES + 20);
  });
  return out;
}

interface OpenCase {
  name: string;
  why: string;
  envelope: Uint8Array;
  opener: number;
  account: Uint8Array;
  keys: HeldKey[];
  openOptions?: OpenOptions;
}

type InvalidCase = OpenCase & { error: string | null };
type StillOpensCase = OpenCase & { body: unknown };

function invalidCases(set: DeviceSet, suite: CryptoProvider, keys: PairKeyFixture[][], base: SealedCase): { invalid: InvalidCase[]; stillOpens: StillOpensCase[] } {
  const devs = set.byBackend.sodium;
  const env = base.envelope;
  const account = base.account;
  const parsed = parseEnvelope(env);
  const bodyStart = HEADER_BYTES;
  const stanzaStart = HEADER_BYTES + parsed.body.length;
  // Base recipients are [phone, laptop, tablet]: the laptop's stanza is the second.
  const phoneStanza = stanzaStart;
  const laptopStanza = stanzaStart + STANZA_BYTES;
  const tabletStanza = stanzaStart + 2 * STANZA_BYTES;
  const all = [PHONE, LAPTOP, TABLET];
  const held = heldFrom(keys, devs, LAPTOP, all);
  const common = { opener: LAPTOP, account, keys: held };
  const k = (s: number, r: number) => keys[s]![r]!;
  const phoneRef = k(PHONE, LAPTOP).ref;
  // A second key the laptop holds from the phone: one the phone established at its position 12.
  const laterKey: HeldKey = { sender: devs[PHONE]!.id, ref: 12, kek: drbg(suite, 'invalid/phone-position-12')(32) };

  const rnd = drbg(suite, 'invalid/raw');
  const raw = (padded: Uint8Array, extra: Partial<RawSeal> = {}): Uint8Array =>
    rawSeal({
      suite,
      sender: devs[PHONE]!.id,
      account,
      recordId: parsed.recordId,
      revision: 1,
      padded,
      contentKey: rnd(32),
      stanzas: all.map((r) => ({ id: devs[r]!.id, ref: k(PHONE, r).ref, kek: k(PHONE, r).kek })),
      ...extra,
    });
  const cbor = (h: string) => padTo(fromHex(h), paddedLength(fromHex(h).length));
  const withRef = (bytes: Uint8Array, at: number, ref: number) => {
    const out = bytes.slice();
    writeU32(out, at + 16, ref);
    return out;
  };

  // Mallory is the tablet, a co-recipient: she learns K from her own stanza.
  const h = envelopeHash(suite, account, parsed.headerAndBody, parsed.stanzas);
  const K = suite.aeadDecrypt(k(PHONE, TABLET).kek, h.subarray(0, 24), env.subarray(tabletStanza + 20, tabletStanza + STANZA_BYTES), h)!;
  const forged = pad(encodeValue({ ...CALL, peer: '+19995550000' }));
  const reencrypted = env.slice();
  reencrypted.set(suite.aeadEncrypt(K, BODY_NONCE, forged, concatBytes(account, parsed.headerBytes)), bodyStart);
  const inPhonesName = (ref: number) =>
    raw(forged, { contentKey: K, stanzas: [{ id: devs[LAPTOP]!.id, ref, kek: k(TABLET, LAPTOP).kek }, { id: devs[TABLET]!.id, ref: k(TABLET, TABLET).ref, kek: k(TABLET, TABLET).kek }] });

  const swappedOrder = concatBytes(
    env.subarray(0, stanzaStart),
    env.subarray(tabletStanza, tabletStanza + STANZA_BYTES),
    env.subarray(laptopStanza, laptopStanza + STANZA_BYTES),
    env.subarray(phoneStanza, phoneStanza + STANZA_BYTES),
  );
  const laptopIdOverTablet = env.slice();
  laptopIdOverTablet.set(devs[LAPTOP]!.id, tabletStanza);
  const laptopIdOverPhone = env.slice();
  laptopIdOverPhone.set(devs[LAPTOP]!.id, phoneStanza);

  const sealedTo = (body: unknown, index: number): Uint8Array =>
    seal(devs[PHONE]!, account, sealRecipients(keys, devs, PHONE, all), { body, revision: 0 }, { random: drbg(suite, `invalid/seal/${index}`) });

  // A sender that hands the laptop another key than the one the header commits to.
  const otherKey = drbg(suite, 'invalid/other-content-key')(32);
  const laptopGetsAnotherKey = raw(pad(encodeValue(CALL)), {
    stanzas: all.map((r) => ({ id: devs[r]!.id, ref: k(PHONE, r).ref, kek: k(PHONE, r).kek, ...(r === LAPTOP ? { wrapped: otherKey } : {}) })),
  });
  const laptopTwice = (goodFirst: boolean) => {
    const good = { id: devs[LAPTOP]!.id, ref: phoneRef, kek: k(PHONE, LAPTOP).kek };
    const bad = { id: devs[LAPTOP]!.id, ref: phoneRef, kek: k(PHONE, TABLET).kek };
    return raw(pad(encodeValue(CALL)), { stanzas: goodFirst ? [good, bad] : [bad, good] });
  };
  const countAt = 73;
  const lengthWhy = (n: number) => {
    const l = env.length - HEADER_BYTES - n * STANZA_BYTES;
    return { l, padded: isPaddedLength(l - 16) };
  };
  const count4 = lengthWhy(4);
  const count2 = lengthWhy(2);
  check(!count4.padded && count2.l === 340 && !count2.padded, 'the recipient-count cases reshape the body as stated');

  const invalid: InvalidCase[] = [
    { name: 'a 31-byte account', why: 'step 0: the caller\'s account id is 32 bytes', envelope: env, ...common, account: account.subarray(0, 31), error: 'ACCOUNT_ID_INVALID' },
    {
      name: 'a 31-byte account and an empty envelope',
      why: 'step 0 comes before the envelope is parsed',
      envelope: new Uint8Array(0),
      ...common,
      account: account.subarray(0, 31),
      error: 'ACCOUNT_ID_INVALID',
    },
    {
      name: "envelope over the caller's size limit",
      why: 'open(…, { maxEnvelopeBytes: 500 }); step 1',
      envelope: env,
      ...common,
      openOptions: { maxEnvelopeBytes: 500 },
      error: 'ENVELOPE_TOO_LARGE',
    },
    {
      name: 'an empty envelope under a size limit of 0',
      why: 'open(…, { maxEnvelopeBytes: 0 }): the size check (step 1) is "at most", so 0 bytes pass it and step 2 refuses them',
      envelope: new Uint8Array(0),
      ...common,
      openOptions: { maxEnvelopeBytes: 0 },
      error: 'ENVELOPE_TRUNCATED',
    },
    { name: 'empty input', why: 'shorter than the 75-byte header', envelope: new Uint8Array(0), ...common, error: 'ENVELOPE_TRUNCATED' },
    { name: 'header cut to 74 bytes', why: 'shorter than the header', envelope: env.subarray(0, 74), ...common, error: 'ENVELOPE_TRUNCATED' },
    {
      name: 'header only',
      why: '75 bytes announcing 3 stanzas: no room for the stanzas and a 16-byte tag (step 7)',
      envelope: env.subarray(0, HEADER_BYTES),
      ...common,
      error: 'ENVELOPE_TRUNCATED',
    },
    {
      name: 'truncated format-1 envelope',
      why: 'the length check (step 2) comes before the version check',
      envelope: withByte(env, 0, 1).subarray(0, 40),
      ...common,
      error: 'ENVELOPE_TRUNCATED',
    },
    { name: 'format version 0x01', why: 'format 1 has no reader', envelope: withByte(env, 0, 0x01), ...common, error: 'ENVELOPE_VERSION_UNSUPPORTED' },
    { name: 'format version 0x03', why: 'unknown format version', envelope: withByte(env, 0, 0x03), ...common, error: 'ENVELOPE_VERSION_UNSUPPORTED' },
    { name: 'format version 0x00', why: 'unknown format version', envelope: withByte(env, 0, 0x00), ...common, error: 'ENVELOPE_VERSION_UNSUPPORTED' },
    { name: 'suite 0x01', why: 'suite 1 has no reader', envelope: withByte(env, 1, 0x01), ...common, error: 'ENVELOPE_SUITE_UNSUPPORTED' },
    { name: 'suite 0x03', why: 'unknown crypto suite', envelope: withByte(env, 1, 0x03), ...common, error: 'ENVELOPE_SUITE_UNSUPPORTED' },
    {
      name: 'version 1 and suite 1',
      why: 'the version (step 3) is checked before the suite',
      envelope: withByte(withByte(env, 0, 1), 1, 1),
      ...common,
      error: 'ENVELOPE_VERSION_UNSUPPORTED',
    },
    { name: 'suite 1 and kind 0xff', why: 'the suite (step 4) is checked before the kind', envelope: withByte(withByte(env, 1, 1), 2, 0xff), ...common, error: 'ENVELOPE_SUITE_UNSUPPORTED' },
    { name: 'kind 0x02', why: 'unknown kind (step 5)', envelope: withByte(env, 2, 0x02), ...common, error: 'ENVELOPE_MALFORMED' },
    { name: 'kind 0xff', why: 'unknown kind', envelope: withByte(env, 2, 0xff), ...common, error: 'ENVELOPE_MALFORMED' },
    { name: 'zero recipients', why: 'n must be 1..1024 (step 6)', envelope: withByte(env, countAt + 1, 0), ...common, error: 'ENVELOPE_MALFORMED' },
    {
      name: '1025 recipients',
      why: 'n must be 1..1024 (checked before any length arithmetic)',
      envelope: withByte(withByte(env, countAt, 0x04), countAt + 1, 0x01),
      ...common,
      error: 'ENVELOPE_MALFORMED',
    },
    {
      name: '65535 recipients on a short envelope',
      why: 'the count (step 6) is checked before the length it implies (step 7)',
      envelope: withByte(withByte(env, countAt, 0xff), countAt + 1, 0xff),
      ...common,
      error: 'ENVELOPE_MALFORMED',
    },
    {
      name: 'recipient count raised to 4',
      why: `the body shrinks to ${count4.l} bytes: ${count4.l - 16} is not a padded length (step 8)`,
      envelope: withByte(env, countAt + 1, 4),
      ...common,
      error: 'ENVELOPE_MALFORMED',
    },
    {
      name: 'recipient count lowered to 2',
      why: `the phone's stanza would count as body: ${count2.l} − 16 = ${count2.l - 16} is not a padded length`,
      envelope: withByte(env, countAt + 1, 2),
      ...common,
      error: 'ENVELOPE_MALFORMED',
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
    {
      name: "laptop's stanza id flipped",
      why: 'no stanza names the laptop any more: not addressed (step 9; withholding looks like this)',
      envelope: flip(env, laptopStanza),
      ...common,
      error: null,
    },
    { name: 'stranger', why: 'a device with no stanza gets null, before any key is looked up', envelope: env, opener: STRANGER, account, keys: [], error: null },
    {
      name: 'the stranger, with a flipped body',
      why: 'step 9 comes before any cryptography: nothing tells the stranger the body was damaged',
      envelope: flip(env, bodyStart),
      opener: STRANGER,
      account,
      keys: [],
      error: null,
    },
    {
      name: 'no key from the phone',
      why: 'step 10: the laptop holds pair keys from the laptop and the tablet only',
      envelope: env,
      ...common,
      keys: held.filter((x) => x.sender !== devs[PHONE]!.id),
      error: 'ENVELOPE_KEY_UNKNOWN',
    },
    {
      name: 'a key from the phone under another ref only',
      why: 'the laptop holds the phone\'s key of position 12, the stanza names ref 1',
      envelope: env,
      ...common,
      keys: [laterKey, ...held.filter((x) => x.sender !== devs[PHONE]!.id)],
      error: 'ENVELOPE_KEY_UNKNOWN',
    },
    {
      name: "the laptop's stanza ref changed to 5",
      why: 'the laptop holds no key from the phone at ref 5 (step 10, before H is computed)',
      envelope: withRef(env, laptopStanza, 5),
      ...common,
      error: 'ENVELOPE_KEY_UNKNOWN',
    },
    {
      name: 'sender id byte flipped',
      why: 'no key from a device with that id',
      envelope: flip(env, 23),
      ...common,
      error: 'ENVELOPE_KEY_UNKNOWN',
    },
    {
      name: "the laptop's stanza ref changed to 12, a key it also holds",
      why: 'the key is found, but the ref is in H: the wrap fails (step 12)',
      envelope: withRef(env, laptopStanza, 12),
      ...common,
      keys: [...held, laterKey],
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: "the tablet's stanza ref changed",
      why: "every stanza's ref is in H, not only the reader's",
      envelope: withRef(env, tabletStanza, 8),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: "the tablet's stanza id flipped",
      why: "every stanza's recipient id is in H: a relabelled or dropped recipient is seen by all",
      envelope: flip(env, tabletStanza),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: "the tablet's stanza relabelled with the laptop's id",
      why: "the laptop's own stanza comes first, but the ids are in H",
      envelope: laptopIdOverTablet,
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: "the phone's stanza relabelled with the laptop's id",
      why: 'the first stanza naming the reader is used; it holds a wrap for someone else, and H changed',
      envelope: laptopIdOverPhone,
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    { name: 'stanzas in reverse order', why: 'the order of the stanzas is in H', envelope: swappedOrder, ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'kind flipped from record to tombstone', why: 'a valid kind, but the header is in H', envelope: withByte(env, 2, 0x01), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'record id byte flipped', why: 'header is in H', envelope: flip(env, 3), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'revision byte flipped', why: 'header is in H', envelope: flip(env, 22), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'key commitment byte flipped', why: 'header is in H', envelope: flip(env, 39), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'expiry day byte flipped', why: 'header is in H', envelope: flip(env, 72), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'first body byte flipped', why: 'body is in H', envelope: flip(env, bodyStart), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: 'body tag byte flipped', why: 'body is in H', envelope: flip(env, stanzaStart - 1, 0x80), ...common, error: 'ENVELOPE_TAMPERED' },
    { name: "first byte of the laptop's wrap flipped", why: 'own wrap fails to authenticate', envelope: flip(env, laptopStanza + 20), ...common, error: 'ENVELOPE_TAMPERED' },
    {
      name: "last byte of the laptop's wrap (its tag) flipped",
      why: 'own wrap fails to authenticate',
      envelope: flip(env, laptopStanza + STANZA_BYTES - 1),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'another account',
      why: 'the account id is bound into H and the body AAD, not transmitted',
      envelope: env,
      ...common,
      account: drbg(suite, 'invalid/other-account')(32),
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'the key held for (phone, 1) is kek(phone→tablet)',
      why: 'a pair key belongs to one recipient',
      envelope: env,
      ...common,
      keys: [{ sender: devs[PHONE]!.id, ref: phoneRef, kek: k(PHONE, TABLET).kek }],
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'the key held for (phone, 1) is kek(laptop→phone)',
      why: 'writer first: the reverse direction is another key',
      envelope: env,
      ...common,
      keys: [{ sender: devs[PHONE]!.id, ref: phoneRef, kek: k(LAPTOP, PHONE).kek }],
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'the laptop named twice, the first stanza wrapped for the tablet',
      why: 'sealed with the raw primitives: only the first stanza naming the reader is tried',
      envelope: laptopTwice(false),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'co-recipient re-encrypts the body under the content key it learned',
      why: 'the tablet knows K and makes a valid body AEAD under the same header (same key commitment), but H changes, so the wrap to the laptop fails',
      envelope: reencrypted,
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: "co-recipient seals in the phone's name",
      why: "the tablet writes a well-formed envelope naming the phone as sender, with the phone's ref; it can only wrap under kek(tablet→laptop)",
      envelope: inPhonesName(phoneRef),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: "co-recipient seals in the phone's name under its own ref",
      why: 'the laptop holds no key from the phone at the tablet\'s ref 7',
      envelope: inPhonesName(k(TABLET, LAPTOP).ref),
      ...common,
      error: 'ENVELOPE_KEY_UNKNOWN',
    },
    {
      name: 'the sender wraps another key for the laptop',
      why: 'sealed with the raw primitives: the wrap opens, the key is not the one the header commits to (step 13); the tablet opens the same envelope (stillOpens)',
      envelope: laptopGetsAnotherKey,
      ...common,
      error: 'ENVELOPE_KEY_COMMITMENT',
    },
    {
      name: "a header committing to another key",
      why: 'sealed with the raw primitives: every recipient unwraps K, which is not the committed key',
      envelope: raw(pad(encodeValue(CALL)), { commitment: keyCommitment(suite, otherKey) }),
      ...common,
      error: 'ENVELOPE_KEY_COMMITMENT',
    },
    {
      name: 'the body sealed by its sender under another account',
      why: 'sealed with the raw primitives: the wrap and the commitment pass, the body AEAD fails (step 14)',
      envelope: raw(pad(encodeValue(CALL)), { bodyAccount: drbg(suite, 'invalid/other-account')(32) }),
      ...common,
      error: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'padding without a marker (256 zero bytes), correctly sealed',
      why: 'authenticates, then unpad finds no 0x80 (step 15)',
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
    { name: 'empty CBOR, correctly sealed', why: 'no data item (step 16)', envelope: raw(cbor('')), ...common, error: 'CBOR_TRUNCATED' },
    { name: 'CBOR break byte 0xff, correctly sealed', why: 'a stray break', envelope: raw(cbor('ff')), ...common, error: 'CBOR_MALFORMED' },
    { name: 'CBOR with trailing bytes, correctly sealed', why: 'exactly one item', envelope: raw(cbor('0102')), ...common, error: 'CBOR_TRAILING_BYTES' },
    { name: 'CBOR tag, correctly sealed', why: 'tags are refused', envelope: raw(cbor('c11a5f5e1000')), ...common, error: 'CBOR_UNSUPPORTED' },
    { name: 'CBOR map with a duplicate key, correctly sealed', why: 'duplicate keys are refused', envelope: raw(cbor('a2617801617802')), ...common, error: 'CBOR_DUPLICATE_KEY' },
    { name: 'CBOR text with invalid UTF-8, correctly sealed', why: 'strict UTF-8', envelope: raw(cbor('62c328')), ...common, error: 'CBOR_MALFORMED' },
    { name: 'CBOR string longer than the input, correctly sealed', why: 'a declared length beyond the data', envelope: raw(cbor('7818616263')), ...common, error: 'CBOR_TRUNCATED' },
    {
      name: "body deeper than the caller's CBOR limit",
      why: 'open(…, { cborLimits: { maxDepth: 1 } }) on a body that nests two levels',
      envelope: sealedTo({ c: 'calls', items: [1] }, 901),
      ...common,
      openOptions: { cborLimits: { maxDepth: 1 } },
      error: 'CBOR_TOO_DEEP',
    },
    {
      name: "body string over the caller's CBOR limit",
      why: 'open(…, { cborLimits: { maxStringBytes: 8 } })',
      envelope: sealedTo({ c: 'calls', note: 'nine char' }, 902),
      ...common,
      openOptions: { cborLimits: { maxStringBytes: 8 } },
      error: 'CBOR_TOO_LARGE',
    },
    {
      name: 'CBOR limits that are not limits',
      why: 'open(…, { cborLimits: { maxDepth: -1 } }) is a caller bug, found when the body is decoded (step 16)',
      envelope: env,
      ...common,
      openOptions: { cborLimits: { maxDepth: -1 } },
      error: 'CBOR_LIMITS_INVALID',
    },
  ];

  const stillOpens: StillOpensCase[] = [
    {
      name: "byte flipped in the tablet's wrap",
      why: "wraps are outside H, and a stanza authenticates only to its own recipient: the laptop cannot see damage to the tablet's",
      envelope: flip(env, tabletStanza + 30),
      ...common,
      body: CALL,
    },
    {
      name: "the tablet's wrap replaced by zeros",
      why: 'wraps are outside H',
      envelope: (() => {
        const out = env.slice();
        out.fill(0, tabletStanza + 20, tabletStanza + STANZA_BYTES);
        return out;
      })(),
      ...common,
      body: CALL,
    },
    {
      name: 'the tablet opens the envelope whose laptop stanza wraps another key',
      why: "the tablet's own wrap holds the committed key; the laptop gets ENVELOPE_KEY_COMMITMENT, never another plaintext",
      envelope: laptopGetsAnotherKey,
      opener: TABLET,
      account,
      keys: heldFrom(keys, devs, TABLET, all),
      body: CALL,
    },
    {
      name: 'the laptop named twice, the first stanza good',
      why: 'sealed with the raw primitives: only the first stanza naming the reader is tried',
      envelope: laptopTwice(true),
      ...common,
      body: CALL,
    },
  ];
  return { invalid, stillOpens };
}

/** envelopes-invalid.json: alterations of `sealed` (envelopes.json), opened with pairkeys.json's keys. */
export function envelopesInvalidVectors(set: DeviceSet, suite: CryptoProvider, keys: PairKeyFixture[][], sealed: SealedCase[]): object {
  const { invalid, stillOpens } = invalidCases(set, suite, keys, sealed[BASE_ENVELOPE]!);
  const opener = (b: 'sodium' | 'noble', i: number): Device => set.byBackend[b][i]!;
  for (const c of invalid) {
    for (const b of BACKENDS) {
      const got = outcome(() => open(opener(b, c.opener), c.account, lookupOf(c.keys), c.envelope, c.openOptions));
      check(got === c.error, `must-fail "${c.name}" on ${b}: expected ${c.error}, got ${got}`);
    }
  }
  for (const c of stillOpens) {
    for (const b of BACKENDS) {
      const opened = open(opener(b, c.opener), c.account, lookupOf(c.keys), c.envelope);
      check(opened !== null && sameValue(opened.body, c.body), `still-opens "${c.name}" on ${b}`);
    }
  }
  const devs = set.byBackend.sodium;
  const keyJson = (x: HeldKey) => {
    const index = devs.findIndex((d) => hex(d.id) === hex(x.sender));
    return { sender: index < 0 ? null : index, senderId: hex(x.sender), ref: x.ref, kek: hex(x.kek) };
  };
  const caseJson = (c: InvalidCase | StillOpensCase) => {
    const { envelope, account, keys: held, ...rest } = c;
    return { ...rest, account: hex(account), keys: held.map(keyJson), envelope: hex(envelope) };
  };
  return {
    description:
      'Envelopes that must not open. Each case: the envelope, the device that opens it (index into devices.json), the ' +
      'account, the pair keys the opener holds (`keys`: kek(sender→opener) by the sender\'s device id and the ref; open looks ' +
      'a key up by the header\'s sender id and the stanza\'s ref), optional open options, and the expected error code, or ' +
      'null for "not addressed to this device". Most are built from envelopes.json case 2 (phone → [phone, laptop, ' +
      'tablet], opened by the laptop with the keys pairkeys.json gives). "sealed with the raw primitives" and "correctly ' +
      'sealed" cases were made without seal so that they authenticate and fail later, or carry what seal never writes. ' +
      '`stillOpens` lists alterations a recipient cannot see: it must open them and get `body`. See docs/protocol.md §8.',
    version: 1,
    baseEnvelope: BASE_ENVELOPE,
    cases: invalid.map(caseJson),
    stillOpens: stillOpens.map(caseJson),
  };
}
