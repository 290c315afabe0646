/** docs/protocol.md §9 and §23 → records.json: record bodies and their wire form, envelopes sealed
 * with them, a history grant with every part, bodies and collection names readers accept or refuse,
 * and grants that must fail.
 */
import { concatBytes, fromHex, utf8 } from '../../src/crypto/bytes.js';
import { labelled, labelledHash } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../../src/crypto/provider.js';
import { decodeValue, encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import { DeviceDirectory } from '../../src/core/deviceDirectory.js';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { envelopeHash } from '../../src/core/envelopeHash.js';
import { grantEnvelope, GRANT_BYTES, openWithGrant } from '../../src/core/grant.js';
import { open } from '../../src/core/open.js';
import { seal, type SealInput } from '../../src/core/seal.js';
import { bodyFromWire, bodyToWire, checkCollectionName, GRANTS_COLLECTION, type RecordBody } from '../../src/sync/recordBody.js';
import type { BuiltChain } from './chain.js';
import {
  BACKENDS,
  CALL,
  check,
  DAY_MS,
  drbg,
  flip,
  hex,
  member,
  notation,
  outcome,
  recording,
  replay,
  sameBytes,
  sameValue,
  UPPER_T0,
  withByte,
  type Cast,
} from './shared.js';

/** records.json: envelopes sealed in the account of `built`, at its entry 1. */
export function recordsVectors(casts: Record<BackendName, Cast>, suite: CryptoProvider, built: BuiltChain): object {
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
