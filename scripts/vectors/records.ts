/** docs/protocol.md §9 and §23 → records.json: record bodies and their wire form, envelopes sealed
 * with them, a history grant with every part, bodies and collection names readers accept or refuse,
 * and grants that must fail.
 */
import { concatBytes, fromHex, utf8 } from '../../src/crypto/bytes.js';
import { labelled, labelledHash } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { decodeValue, encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import type { Device } from '../../src/core/device.js';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { envelopeHash } from '../../src/core/envelopeHash.js';
import { grantEnvelope, GRANT_BYTES, makeGrant, openWithGrant } from '../../src/core/grant.js';
import { open } from '../../src/core/open.js';
import { sealEnvelope, seal, type SealInput } from '../../src/core/seal.js';
import { encodeClock } from '../../src/sync/hlc.js';
import { bodyFromWire, bodyToWire, checkCollectionName, GRANTS_COLLECTION, type RecordBody } from '../../src/sync/recordBody.js';
import type { BuiltChain } from './chain.js';
import {
  ALL_DEVICE_NAMES,
  BACKENDS,
  CALL,
  check,
  DAY_MS,
  drbg,
  flip,
  heldFrom,
  hex,
  lookupOf,
  member,
  notation,
  outcome,
  recording,
  replay,
  sameBytes,
  sameValue,
  sealRecipients,
  UPPER_T0,
  withByte,
  type Cast,
  type HeldKey,
  type PairKeyFixture,
} from './shared.js';

/** devices.json's index of a cast name (the records cast is devices.json's devices). */
function indexOf(name: string): number {
  const i = (ALL_DEVICE_NAMES as readonly string[]).indexOf(name);
  if (i < 0) throw new Error(`${name} is not a devices.json device`);
  return i;
}

/** records.json: envelopes sealed in the account of `built`, at its entry 1, with pairkeys.json's keys. */
export function recordsVectors(casts: Record<BackendName, Cast>, suite: CryptoProvider, built: BuiltChain, keys: PairKeyFixture[][]): object {
  const cast = casts.sodium;
  const account = built.states[0]!.accountId;
  const phone = member(cast, 'phone');
  const laptop = member(cast, 'laptop');
  const devsOf = (c: Cast): Device[] => ALL_DEVICE_NAMES.map((n) => member(c, n));
  const HOLDERS = ['phone', 'laptop', 'tablet', 'watch'];
  /** The pair keys `reader` holds from the four devices of the account (pairkeys.json). */
  const heldBy = (c: Cast, reader: string): HeldKey[] => heldFrom(keys, devsOf(c), indexOf(reader), HOLDERS.map(indexOf));
  const writtenAt = UPPER_T0 + 2 * DAY_MS + 17_000;
  const retentionDays = 90;
  const sortTime = CALL.startedAt;

  // Clocks (§23.3): the record written at writtenAt (counter 3: its fourth write that millisecond),
  // the tombstone a day later over it (its base is the record's clock).
  const recordClock = encodeClock({ ms: writtenAt, counter: 3 });
  const tombstoneClock = encodeClock({ ms: writtenAt + DAY_MS, counter: 0 });
  const record: RecordBody = { collection: 'calls', value: CALL, sortTime, expiresAt: sortTime + retentionDays * DAY_MS, clock: recordClock };
  const tombstone: RecordBody = { collection: 'calls', sortTime, expiresAt: sortTime + retentionDays * DAY_MS, clock: tombstoneClock, base: recordClock };
  const bodyVector = (name: string, body: RecordBody) => {
    const wire = bodyToWire(body);
    const compact = encodeValue(wire);
    const canonical = encodeCanonical(wire);
    check(sameValue(bodyFromWire(decodeValue(compact)), body) && sameValue(bodyFromWire(decodeValue(canonical)), body), `body "${name}" round trip`);
    return { name, body: notation({ ...body }), wire: notation(wire), compact: hex(compact), canonical: hex(canonical) };
  };

  const sealOne = (name: string, senderName: string, to: string[], body: RecordBody, input: Omit<SealInput, 'body'>, index: number) => {
    const rec = recording(drbg(suite, `records/seal/${index}`));
    const full: SealInput = { body: bodyToWire(body), ...input };
    const recipientsOn = (c: Cast) => sealRecipients(keys, devsOf(c), indexOf(senderName), to.map(indexOf));
    const sealed = sealEnvelope(member(cast, senderName), account, recipientsOn(cast), full, { random: rec.random });
    const envelope = sealed.bytes;
    const random = rec.drawn();
    for (const b of BACKENDS) {
      sameBytes(seal(member(casts[b], senderName), account, recipientsOn(casts[b]), full, { random: replay(random) }), envelope, `records envelope "${name}" on ${b}`);
    }
    return { name, envelope, random, senderName, to, input, hash: sealed.hash, contentKey: sealed.contentKey };
  };

  const recordEnv = sealOne('the call record: phone → phone, laptop', 'phone', ['phone', 'laptop'], record, {
    kind: 'record',
    revision: 1,
    expiryDay: Math.floor(writtenAt / DAY_MS) + retentionDays + 1,
  }, 0);
  const recordIdOf = parseEnvelope(recordEnv.envelope).recordId;
  const tombstoneEnv = sealOne('its deletion: a tombstone at revision 2, same record id', 'laptop', ['phone', 'laptop'], tombstone, {
    kind: 'tombstone',
    recordId: recordIdOf,
    revision: 2,
    expiryDay: Math.floor((writtenAt + DAY_MS) / DAY_MS) + retentionDays + 1,
  }, 1);

  // The laptop hands the record's history to the tablet, under kek(laptop→tablet).
  const handoffAt = UPPER_T0 + 3 * DAY_MS;
  const toTablet = (c: Cast) => sealRecipients(keys, devsOf(c), indexOf('laptop'), [indexOf('tablet')])[0]!;
  const grant = grantEnvelope(laptop, account, lookupOf(heldBy(cast, 'laptop')), recordEnv.envelope, toTablet(cast))!;
  check(grant !== null && grant.length === GRANT_BYTES, 'grant made');
  const h = envelopeHash(suite, account, parseEnvelope(recordEnv.envelope).headerAndBody, parseEnvelope(recordEnv.envelope).stanzas);
  sameBytes(h, recordEnv.hash, 'H as seal returned it');
  const grantNonce = labelledHash(suite, LABELS.grantNonceV2, 24, h);
  const laptopToTablet = keys[indexOf('laptop')]![indexOf('tablet')]!;
  const kek = laptopToTablet.kek;
  const contentKey = recordEnv.random.subarray(0, 32);
  sameBytes(contentKey, recordEnv.contentKey, 'K as seal returned it');
  const refBytes = new Uint8Array(4);
  new DataView(refBytes.buffer).setUint32(0, laptopToTablet.ref);
  sameBytes(grant, concatBytes(new Uint8Array([2]), recordIdOf, h, laptop.id, refBytes, suite.aeadEncrypt(kek, grantNonce, contentKey, h)), 'grant layout');
  sameBytes(makeGrant(laptop, toTablet(cast), recordIdOf, h, contentKey), grant, 'makeGrant from the kept K and H');
  for (const b of BACKENDS) {
    sameBytes(grantEnvelope(member(casts[b], 'laptop'), account, lookupOf(heldBy(casts[b], 'laptop')), recordEnv.envelope, toTablet(casts[b]))!, grant, `grant on ${b}`);
    const opened = openWithGrant(member(casts[b], 'tablet'), account, lookupOf(heldBy(casts[b], 'tablet')), recordEnv.envelope, grant);
    check(sameValue(bodyFromWire(opened.body), record), `grant opens on ${b}`);
  }
  const bundle: RecordBody = { collection: GRANTS_COLLECTION, sortTime: handoffAt, grants: [grant] };
  const bundleEnv = sealOne('the grant bundle: laptop → tablet alone', 'laptop', ['tablet'], bundle, {
    kind: 'record',
    revision: 1,
    expiryDay: Math.floor(handoffAt / DAY_MS) + 30,
  }, 2);
  for (const b of BACKENDS) {
    const held = lookupOf(heldBy(casts[b], 'tablet'));
    const opened = open(member(casts[b], 'tablet'), account, held, bundleEnv.envelope)!;
    check(sameValue(bodyFromWire(opened.body), bundle), `bundle opens on ${b}`);
    check(open(member(casts[b], 'tablet'), account, held, recordEnv.envelope) === null, `the tablet has no stanza of its own on ${b}`);
  }

  const envelopeVectorOf = (e: ReturnType<typeof sealOne>, body: RecordBody) => {
    const parsed = parseEnvelope(e.envelope);
    return {
      name: e.name,
      sender: e.senderName,
      recipients: e.to,
      input: { ...e.input, recordId: e.input.recordId === undefined ? null : hex(e.input.recordId) },
      stanzas: e.to.map((n) => ({ recipient: n, ref: keys[indexOf(e.senderName)]![indexOf(n)]!.ref, kek: hex(keys[indexOf(e.senderName)]![indexOf(n)]!.kek) })),
      bodyCbor: hex(encodeValue(bodyToWire(body))),
      random: hex(e.random),
      recordId: hex(parsed.recordId),
      hash: hex(envelopeHash(suite, account, parsed.headerAndBody, parsed.stanzas)),
      envelope: hex(e.envelope),
    };
  };

  // Bodies that must be refused, as the CBOR that arrives inside an envelope.
  const bodyDecodes: Array<{ name: string; cbor: Uint8Array; error: string | null }> = [
    { name: 'sort time as a CBOR integer', cbor: encodeCanonical({ c: 'calls', t: sortTime, h: recordClock }), error: null },
    { name: 'sort time as an integral float64 (what the compact encoder writes)', cbor: encodeValue({ c: 'calls', t: sortTime, h: recordClock }), error: null },
    { name: 'v present and null', cbor: encodeCanonical({ c: 'calls', t: 0, v: null, h: recordClock }), error: null },
    { name: 'a grant bundle with no grants', cbor: encodeCanonical({ c: GRANTS_COLLECTION, t: handoffAt, g: [] }), error: null },
    { name: 'a 64-character collection name', cbor: encodeCanonical({ c: 'c'.repeat(64), t: 0, h: recordClock }), error: null },
    { name: 'a base equal to the clock (the last clock there is, written over)', cbor: encodeCanonical({ c: 'calls', t: 0, h: recordClock, b: recordClock }), error: null },
    { name: 'no clock', cbor: encodeCanonical({ c: 'calls', t: 0, v: 1 }), error: 'RECORD_BODY_INVALID' },
    { name: 'a clock of 7 bytes', cbor: encodeCanonical({ c: 'calls', t: 0, h: recordClock.subarray(1) }), error: 'RECORD_BODY_INVALID' },
    { name: 'a clock as an integer', cbor: encodeCanonical({ c: 'calls', t: 0, h: writtenAt }), error: 'RECORD_BODY_INVALID' },
    { name: 'a base of 9 bytes', cbor: encodeCanonical({ c: 'calls', t: 0, h: tombstoneClock, b: concatBytes(recordClock, new Uint8Array(1)) }), error: 'RECORD_BODY_INVALID' },
    { name: 'a base after the clock', cbor: encodeCanonical({ c: 'calls', t: 0, h: recordClock, b: tombstoneClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'a grant bundle with a clock', cbor: encodeCanonical({ c: GRANTS_COLLECTION, t: handoffAt, g: [], h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'an array', cbor: encodeCanonical(['calls', sortTime]), error: 'RECORD_BODY_INVALID' },
    { name: 'an unknown one-letter field', cbor: encodeCanonical({ c: 'calls', t: 0, y: 1, h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'a two-letter field', cbor: encodeCanonical({ c: 'calls', t: 0, cv: 1, h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'no collection', cbor: encodeCanonical({ t: 0, v: 1, h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'empty collection name', cbor: encodeCanonical({ c: '', t: 0, h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'a 65-character collection name', cbor: encodeCanonical({ c: 'c'.repeat(65), t: 0, h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'collection name as bytes', cbor: encodeCanonical({ c: utf8('calls'), t: 0, h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'no sort time', cbor: encodeCanonical({ c: 'calls', v: 1, h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'negative sort time', cbor: encodeCanonical({ c: 'calls', t: -1, h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'fractional sort time', cbor: encodeCanonical({ c: 'calls', t: 1.5, h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'sort time 2^53 as a float64', cbor: fromHex('a261636563616c6c736174fb4340000000000000'), error: 'RECORD_BODY_INVALID' },
    { name: 'expiry as text', cbor: encodeCanonical({ c: 'calls', t: 0, x: 'soon', h: recordClock }), error: 'RECORD_BODY_INVALID' },
    { name: 'grants outside $grants', cbor: encodeCanonical({ c: 'calls', t: 0, g: [grant], h: recordClock }), error: 'RECORD_BODY_INVALID' },
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
  const otherKey = drbg(suite, 'records/other-content-key')(32);
  const wrongKeyGrant = makeGrant(laptop, toTablet(cast), recordIdOf, h, otherKey);
  const withRef = (ref: number) => {
    const out = grant.slice();
    new DataView(out.buffer).setUint32(65, ref);
    return out;
  };
  const withGrantor = (id: Uint8Array) => concatBytes(grant.subarray(0, 49), id, grant.subarray(65));
  const laptopIndex = indexOf('laptop');
  // A second key the tablet holds from the laptop: the one the laptop established at its position 40.
  const laterKey = (c: Cast): HeldKey => ({ sender: member(c, 'laptop').id, ref: 40, kek: drbg(suite, 'records/laptop-position-40')(32) });
  const phoneToTablet = keys[indexOf('phone')]![indexOf('tablet')]!;
  type GrantCase = { name: string; why: string; opener: string; keys?: 'with-position-40' | 'without-laptop'; account?: Uint8Array; envelope: 'record' | 'tombstone' | 'truncated'; grant: Uint8Array; error: string };
  const grantCases: GrantCase[] = [
    { name: 'one byte short', why: 'a grant is 117 bytes', opener: 'tablet', envelope: 'record', grant: grant.subarray(0, 116), error: 'GRANT_MALFORMED' },
    { name: 'one byte long', why: 'a grant is 117 bytes', opener: 'tablet', envelope: 'record', grant: concatBytes(grant, new Uint8Array(1)), error: 'GRANT_MALFORMED' },
    { name: 'version 1', why: 'byte 0 is 0x02', opener: 'tablet', envelope: 'record', grant: withByte(grant, 0, 1), error: 'GRANT_MALFORMED' },
    { name: 'version 1 with a 31-byte account', why: 'the grant is checked before the account', opener: 'tablet', account: account.subarray(0, 31), envelope: 'record', grant: withByte(grant, 0, 1), error: 'GRANT_MALFORMED' },
    { name: 'a 31-byte account', why: 'the account id is 32 bytes', opener: 'tablet', account: account.subarray(0, 31), envelope: 'record', grant, error: 'ACCOUNT_ID_INVALID' },
    { name: 'a 31-byte account and a truncated envelope', why: 'the account is checked before the envelope is parsed', opener: 'tablet', account: account.subarray(0, 31), envelope: 'truncated', grant, error: 'ACCOUNT_ID_INVALID' },
    { name: 'a truncated envelope', why: 'the envelope is parsed (§8 steps 1–8) before the grant is matched with it', opener: 'tablet', envelope: 'truncated', grant, error: 'ENVELOPE_TRUNCATED' },
    { name: 'hash byte flipped', why: "the grant's H must equal the envelope's", opener: 'tablet', envelope: 'record', grant: flip(grant, 20), error: 'GRANT_MISMATCH' },
    { name: 'record id byte flipped', why: "the grant's record id must equal the envelope's", opener: 'tablet', envelope: 'record', grant: flip(grant, 1), error: 'GRANT_MISMATCH' },
    { name: 'used with the tombstone', why: 'another envelope of the same record: another H', opener: 'tablet', envelope: 'tombstone', grant, error: 'GRANT_MISMATCH' },
    { name: 'no key from the laptop', why: 'the tablet holds pair keys from the phone, the tablet and the watch only', opener: 'tablet', keys: 'without-laptop', envelope: 'record', grant, error: 'GRANT_KEY_UNKNOWN' },
    { name: "grantor id replaced by the stranger's", why: 'the tablet holds no key from the stranger', opener: 'tablet', envelope: 'record', grant: withGrantor(member(cast, 'stranger').id), error: 'GRANT_KEY_UNKNOWN' },
    { name: 'ref changed to 3', why: 'the tablet holds no key from the laptop at ref 3', opener: 'tablet', envelope: 'record', grant: withRef(3), error: 'GRANT_KEY_UNKNOWN' },
    {
      name: "grantor id replaced by the phone's, ref by the phone's",
      why: 'the tablet holds kek(phone→tablet, 1), which does not open a wrap made under kek(laptop→tablet)',
      opener: 'tablet',
      envelope: 'record',
      grant: (() => {
        const out = withGrantor(phone.id);
        new DataView(out.buffer).setUint32(65, phoneToTablet.ref);
        return out;
      })(),
      error: 'GRANT_TAMPERED',
    },
    { name: 'ref changed to 40, a key the tablet also holds from the laptop', why: 'the key is found, the wrap does not open under it', opener: 'tablet', keys: 'with-position-40', envelope: 'record', grant: withRef(40), error: 'GRANT_TAMPERED' },
    { name: 'wrapped key byte flipped', why: 'the AEAD fails', opener: 'tablet', envelope: 'record', grant: flip(grant, 70), error: 'GRANT_TAMPERED' },
    { name: 'tag byte flipped', why: 'the AEAD fails', opener: 'tablet', envelope: 'record', grant: flip(grant, 116), error: 'GRANT_TAMPERED' },
    {
      name: 'opened by the watch',
      why: 'the grant is wrapped to the tablet; the watch holds kek(laptop→watch) under the same ref',
      opener: 'watch',
      envelope: 'record',
      grant,
      error: 'GRANT_TAMPERED',
    },
    {
      name: 'a grant of another key',
      why: 'made by the laptop with makeGrant and a key that is not the one the header commits to: it unwraps, the commitment refuses it',
      opener: 'tablet',
      envelope: 'record',
      grant: wrongKeyGrant,
      error: 'ENVELOPE_KEY_COMMITMENT',
    },
  ];
  const envelopes = { record: recordEnv.envelope, tombstone: tombstoneEnv.envelope, truncated: recordEnv.envelope.subarray(0, 74) };
  const heldFor = (c: Cast, g: GrantCase): HeldKey[] => {
    const held = heldBy(c, g.opener);
    if (g.keys === 'without-laptop') return held.filter((x) => hex(x.sender) !== hex(member(c, 'laptop').id));
    if (g.keys === 'with-position-40') return [...held, laterKey(c)];
    return held;
  };
  for (const c of grantCases) {
    for (const b of BACKENDS) {
      const got = outcome(() => openWithGrant(member(casts[b], c.opener), c.account ?? account, lookupOf(heldFor(casts[b], c)), envelopes[c.envelope], c.grant));
      check(got === c.error, `grant must-fail "${c.name}" on ${b}: ${got}`);
    }
  }
  void laptopIndex;
  const heldJson = (held: HeldKey[]) =>
    held.map((x) => ({ sender: ALL_DEVICE_NAMES.find((n) => hex(member(cast, n).id) === hex(x.sender)) ?? null, senderId: hex(x.sender), ref: x.ref, kek: hex(x.kek) }));

  return {
    description:
      'Record bodies and history grants. `bodies`: a RecordBody, its wire map (c collection, t sort time, v value, x ' +
      'local expiry, g grants, h clock: 48-bit ms ‖ 16-bit counter big-endian, b base: the clock replaced) and its CBOR as seal writes it (`compact`) and canonically. `envelopes`: envelopes ' +
      'sealed with such bodies (reproduce from bodyCbor and random as in envelopes.json; the account is chain.json\'s ' +
      'account id). `grant`: the laptop grants the call record\'s content key to the ' +
      'tablet: 0x02 ‖ record id ‖ H ‖ grantor id ‖ u32(ref) ‖ XChaCha20-Poly1305(kek(laptop→tablet, ref), nonce, K, aad = H), ' +
      'nonce = BLAKE2b-192(nonceInput). The bundle envelope carries it in the $grants collection. Each envelope\'s ' +
      '`stanzas` and the grant\'s kek are pairkeys.json\'s keys (devices by name). `bodyDecodes` and ' +
      '`collectionNames`: what readers and writers accept (error null) or refuse. `invalidGrants`: the opener opens ' +
      'the named envelope ("truncated" is the record envelope cut to 74 bytes) with `grant`, holding the pair keys ' +
      '`keys` (looked up by grantor id and ref), in `account` when given (else chain.json\'s), and must fail with ' +
      '`error`. See docs/protocol.md §9 and §23.',
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
      ref: laptopToTablet.ref,
      refBytes: hex(refBytes),
      contentKey: hex(contentKey),
      kek: hex(kek),
      nonceInput: hex(labelled(LABELS.grantNonceV2, h)),
      nonce: hex(grantNonce),
      wrappedKey: hex(grant.subarray(69)),
      grant: hex(grant),
    },
    bodyDecodes: bodyDecodes.map((c) => ({ name: c.name, cbor: hex(c.cbor), error: c.error })),
    collectionNames,
    invalidGrants: grantCases.map(({ keys: which, account: acc, ...c }) => ({
      ...c,
      ...(acc === undefined ? {} : { account: hex(acc) }),
      keys: heldJson(heldFor(cast, { ...c, ...(which === undefined ? {} : { keys: which }) })),
      grant: hex(c.grant),
    })),
  };
}
