/** docs/protocol.md §5 → envelopes.json: envelopes that must seal to exactly the recorded bytes and
 * open for every recipient, with every intermediate value; and sealing inputs that must be refused
 * (§5.6 step 1).
 */
import { concatBytes, equalBytes } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import type { Device } from '../../src/core/device.js';
import { parseEnvelope, STANZA_BYTES, stanzaRef, type EnvelopeKind } from '../../src/core/envelopeFormat.js';
import { envelopeHash, keyCommitment } from '../../src/core/envelopeHash.js';
import { open } from '../../src/core/open.js';
import { pad } from '../../src/core/padding.js';
import { BODY_NONCE, seal, sealEnvelope, type SealInput, type SealRecipient } from '../../src/core/seal.js';
import {
  BACKENDS,
  CALL,
  check,
  drbg,
  heldFrom,
  hex,
  LAPTOP,
  lookupOf,
  outcome,
  PHONE,
  recording,
  replay,
  sameBytes,
  sameValue,
  sealRecipients,
  TABLET,
  withRotated,
  type DeviceSet,
  type PairKeyFixture,
} from './shared.js';

interface SuccessCase {
  name: string;
  sender: number;
  recipients: number[];
  body: unknown;
  kind?: EnvelopeKind;
  revision: number;
  expiryDay?: number;
  /** When set, the record id is an input (a later revision); otherwise seal draws it. */
  recordIdFrom?: string;
}

/** An envelope of envelopes.json with what sealed it; envelopes-invalid.json alters case 2. */
export interface SealedCase {
  spec: SuccessCase;
  account: Uint8Array;
  recordId?: Uint8Array;
  random: Uint8Array;
  envelope: Uint8Array;
}

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
    { name: 'call record sealed by the phone to itself only', sender: PHONE, recipients: [PHONE], body: CALL, revision: 0 },
    {
      name: 'call record from the laptop to phone and laptop, record id given (revision 2)',
      sender: LAPTOP,
      recipients: [PHONE, LAPTOP],
      body: CALL_2,
      revision: 2,
      expiryDay: 19_920,
      recordIdFrom: 'record/laptop-call',
    },
    {
      name: 'call record from the phone to three devices (base of the must-fail cases)',
      sender: PHONE,
      recipients: [PHONE, LAPTOP, TABLET],
      body: CALL,
      revision: 1,
      expiryDay: 19_800,
    },
    {
      name: 'call record from the tablet to five devices',
      sender: TABLET,
      recipients: [0, 1, 2, 3, 4],
      body: CALL_3,
      revision: 0,
      expiryDay: 20_051,
    },
    {
      name: 'tombstone from the watch to four devices',
      sender: 3,
      recipients: [3, 0, 1, 2],
      body: null,
      kind: 'tombstone',
      revision: 3,
      recordIdFrom: 'record/deleted-call',
    },
    {
      name: 'body of 255 CBOR bytes: the largest that pads to 256',
      sender: 4,
      recipients: [4, 0],
      body: bodyOfCborSize(255),
      revision: 0,
    },
    {
      name: 'body of 256 CBOR bytes: the smallest that Padmé rounds up (to 272)',
      sender: 4,
      recipients: [4, 0],
      body: bodyOfCborSize(256),
      revision: 0,
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
      expiryDay: 65_535,
    },
  ];
}

function sealCase(set: DeviceSet, suite: CryptoProvider, keys: PairKeyFixture[][], spec: SuccessCase, index: number): SealedCase {
  const devs = set.byBackend.sodium;
  const account = drbg(suite, `envelope/${index}/params`)(32);
  const recordId = spec.recordIdFrom === undefined ? undefined : drbg(suite, spec.recordIdFrom)(16);
  const input: SealInput = {
    body: spec.body,
    revision: spec.revision,
    ...(spec.kind === undefined ? {} : { kind: spec.kind }),
    ...(spec.expiryDay === undefined ? {} : { expiryDay: spec.expiryDay }),
    ...(recordId === undefined ? {} : { recordId }),
  };
  const rec = recording(drbg(suite, `envelope/${index}/seal`));
  const sealed = sealEnvelope(devs[spec.sender]!, account, sealRecipients(keys, devs, spec.sender, spec.recipients), input, { random: rec.random });
  const envelope = sealed.bytes;
  const random = rec.drawn();
  sameBytes(sealed.contentKey, random.subarray(0, 32), 'the content key is the first 32 bytes drawn');
  for (const b of BACKENDS) {
    const bdevs = set.byBackend[b];
    const again = seal(bdevs[spec.sender]!, account, sealRecipients(keys, bdevs, spec.sender, spec.recipients), input, { random: replay(random) });
    sameBytes(again, envelope, `envelope "${spec.name}" on ${b}`);
  }
  return { spec, account, ...(recordId === undefined ? {} : { recordId }), random, envelope };
}

function envelopeVector(set: DeviceSet, suite: CryptoProvider, keys: PairKeyFixture[][], c: SealedCase): object {
  const devs = set.byBackend.sodium;
  const parsed = parseEnvelope(c.envelope);
  const body = encodeValue(c.spec.body);
  const padded = pad(body);
  const h = envelopeHash(suite, c.account, parsed.headerAndBody, parsed.stanzas);
  const stanzaLabels = concatBytes(...c.spec.recipients.map((_, i) => parsed.stanzas.subarray(i * STANZA_BYTES, i * STANZA_BYTES + 20)));
  const hashInput = labelled(LABELS.envelopeHashV2, c.account, parsed.headerAndBody, stanzaLabels);
  sameBytes(suite.blake2b(32, hashInput), h, 'H construction');
  // Every recipient opens it on both backends with the keys it holds from every device; everyone else gets null.
  for (const b of BACKENDS) {
    const bdevs = set.byBackend[b];
    for (let i = 0; i < bdevs.length; i++) {
      const held = lookupOf(heldFrom(keys, withRotated(set, b), i, [0, 1, 2, 3, 4, 5]));
      const opened = open(bdevs[i]!, c.account, held, c.envelope);
      if (c.spec.recipients.includes(i)) {
        check(opened !== null && sameValue(opened.body, c.spec.body), `open "${c.spec.name}" by ${i} on ${b}`);
        sameBytes(opened!.hash, h, 'hash');
      } else {
        check(opened === null, `non-recipient ${i} gets null`);
      }
    }
  }
  const contentKey = c.random.subarray(0, 32);
  const commitment = keyCommitment(suite, contentKey);
  sameBytes(commitment, suite.blake2b(32, labelled(LABELS.keyCommitment), contentKey), 'key commitment construction');
  sameBytes(parsed.keyCommitment, commitment, 'the header carries the key commitment');
  sameBytes(
    parsed.body,
    suite.aeadEncrypt(contentKey, BODY_NONCE, padded, concatBytes(c.account, parsed.headerBytes)),
    'body construction',
  );
  const stanzas = c.spec.recipients.map((r, i) => {
    const at = i * STANZA_BYTES;
    const wrap = parsed.stanzas.subarray(at + 20, at + STANZA_BYTES);
    const k = keys[c.spec.sender]![r]!;
    check(stanzaRef(parsed.stanzas, at) === k.ref, 'stanza ref');
    sameBytes(wrap, suite.aeadEncrypt(k.kek, h.subarray(0, 24), contentKey, h), 'wrap construction');
    return { recipient: r, deviceId: hex(devs[r]!.id), ref: k.ref, refBytes: hex(parsed.stanzas.subarray(at + 16, at + 20)), kek: hex(k.kek), wrap: hex(wrap), stanza: hex(parsed.stanzas.subarray(at, at + STANZA_BYTES)) };
  });
  check(c.envelope.length === padded.length + 91 + 68 * c.spec.recipients.length, 'size formula');
  return {
    name: c.spec.name,
    sender: c.spec.sender,
    recipients: c.spec.recipients,
    account: hex(c.account),
    input: {
      kind: c.spec.kind ?? 'record',
      revision: c.spec.revision,
      expiryDay: c.spec.expiryDay ?? 0,
      recordId: c.recordId === undefined ? null : hex(c.recordId),
    },
    body: c.spec.body,
    bodyCbor: hex(body),
    bodyCborIsCanonical: equalBytes(body, encodeCanonical(c.spec.body)),
    random: hex(c.random),
    contentKey: hex(contentKey),
    recordId: hex(parsed.recordId),
    keyCommitmentInput: hex(labelled(LABELS.keyCommitment)),
    keyCommitment: hex(commitment),
    paddedLength: padded.length,
    padded: hex(padded),
    header: hex(parsed.headerBytes),
    bodyAad: hex(concatBytes(c.account, parsed.headerBytes)),
    bodyCiphertext: hex(parsed.body),
    hashInput: hex(hashInput),
    hash: hex(h),
    wrapNonce: hex(h.subarray(0, 24)),
    stanzas,
    size: c.envelope.length,
    envelope: hex(c.envelope),
  };
}

/** A seal call that must be refused (§5.6 step 1), with its inputs as JSON. */
interface SealRefusal {
  name: string;
  why: string;
  sender: number;
  account: Uint8Array;
  /** Each recipient: a device index (its card and pairkeys.json's ref and kek), with overrides. */
  recipients: Array<{ device: number; ref?: number; kek?: Uint8Array; deviceId?: Uint8Array }>;
  input: { body: unknown; kind?: string; revision: unknown; expiryDay?: unknown; recordId?: Uint8Array };
  error: string;
}

function sealRefusals(suite: CryptoProvider, keys: PairKeyFixture[][], account: Uint8Array): SealRefusal[] {
  const to = (...ds: number[]) => ds.map((device) => ({ device }));
  const base = { sender: PHONE, account, recipients: to(PHONE, LAPTOP), input: { body: CALL, revision: 1 } };
  const recordId = drbg(suite, 'envelope/refusals/record-id')(16);
  void keys;
  return [
    { ...base, name: 'a 31-byte account', why: 'the account id is 32 bytes', account: account.subarray(0, 31), error: 'ACCOUNT_ID_INVALID' },
    { ...base, name: 'a 31-byte account and no recipients', why: 'the account is checked first', account: account.subarray(0, 31), recipients: [], error: 'ACCOUNT_ID_INVALID' },
    { ...base, name: 'a 15-byte record id', why: 'a record id is 16 bytes', input: { ...base.input, recordId: recordId.subarray(0, 15) }, error: 'SEAL_INPUT_INVALID' },
    { ...base, name: 'kind "deleted"', why: 'kind is record or tombstone', input: { ...base.input, kind: 'deleted' }, error: 'SEAL_INPUT_INVALID' },
    { ...base, name: 'revision −1', why: 'a revision is a u32', input: { ...base.input, revision: -1 }, error: 'SEAL_INPUT_INVALID' },
    { ...base, name: 'revision 2^32', why: 'a revision is a u32', input: { ...base.input, revision: 2 ** 32 }, error: 'SEAL_INPUT_INVALID' },
    { ...base, name: 'revision 1.5', why: 'a revision is an integer', input: { ...base.input, revision: 1.5 }, error: 'SEAL_INPUT_INVALID' },
    { ...base, name: 'expiry day 65536', why: 'an expiry day is a u16', input: { ...base.input, expiryDay: 65_536 }, error: 'SEAL_INPUT_INVALID' },
    {
      ...base,
      name: 'a 15-byte record id and no recipients',
      why: 'the header fields are checked before the recipients',
      recipients: [],
      input: { ...base.input, recordId: recordId.subarray(0, 15) },
      error: 'SEAL_INPUT_INVALID',
    },
    { ...base, name: 'no recipients', why: 'an envelope has 1..1024 recipients', recipients: [], error: 'RECIPIENTS_INVALID' },
    {
      ...base,
      name: '1025 recipients',
      why: 'an envelope has 1..1024 recipients (each a distinct made-up id under the phone→laptop key)',
      recipients: Array.from({ length: 1025 }, (_, i) => ({ device: LAPTOP, deviceId: Uint8Array.from({ length: 16 }, (_, k) => (k < 2 ? (i >> (8 * (1 - k))) & 0xff : 0x77)) })),
      error: 'RECIPIENTS_INVALID',
    },
    { ...base, name: 'ref 0', why: 'a key ref is 1..2^32−1', recipients: [{ device: PHONE }, { device: LAPTOP, ref: 0 }], error: 'RECIPIENTS_INVALID' },
    { ...base, name: 'ref 2^32', why: 'a key ref is 1..2^32−1', recipients: [{ device: PHONE }, { device: LAPTOP, ref: 2 ** 32 }], error: 'RECIPIENTS_INVALID' },
    { ...base, name: 'a 31-byte pair key', why: 'a pair key is 32 bytes', recipients: [{ device: PHONE }, { device: LAPTOP, kek: keys[PHONE]![LAPTOP]!.kek.subarray(0, 31) }], error: 'RECIPIENTS_INVALID' },
    { ...base, name: 'a 15-byte card id', why: 'a device id is 16 bytes', recipients: [{ device: PHONE }, { device: LAPTOP, deviceId: new Uint8Array(15) }], error: 'RECIPIENTS_INVALID' },
    { ...base, name: 'the laptop twice', why: 'recipient ids are unique', recipients: to(PHONE, LAPTOP, LAPTOP), error: 'RECIPIENT_DUPLICATE' },
    {
      ...base,
      name: 'the laptop twice, then ref 0',
      why: 'every recipient is checked before the ids are compared',
      recipients: [{ device: PHONE }, { device: LAPTOP }, { device: LAPTOP }, { device: TABLET, ref: 0 }],
      error: 'RECIPIENTS_INVALID',
    },
    { ...base, name: 'a body with the integer 2^53', why: 'outside the CBOR data model of §7', input: { ...base.input, body: { c: 'calls', t: 2 ** 53 } }, error: 'CBOR_UNSUPPORTED_VALUE' },
    {
      ...base,
      name: 'the laptop twice and an unencodable body',
      why: 'the recipients are checked before the body is encoded',
      recipients: to(PHONE, LAPTOP, LAPTOP),
      input: { ...base.input, body: { c: 'calls', t: 2 ** 53 } },
      error: 'RECIPIENT_DUPLICATE',
    },
  ];
}

function refusalRecipients(keys: PairKeyFixture[][], devs: Device[], r: SealRefusal): SealRecipient[] {
  return r.recipients.map((x) => ({
    card: x.deviceId === undefined ? devs[x.device]!.public : { ...devs[x.device]!.public, id: x.deviceId },
    ref: x.ref ?? keys[r.sender]![x.device]!.ref,
    key: x.kek ?? keys[r.sender]![x.device]!.kek,
  }));
}

/** envelopes.json, sealed by the six devices of `set` with `keys`; `sealed` is each case with what made it. */
export function envelopesVectors(set: DeviceSet, suite: CryptoProvider, keys: PairKeyFixture[][]): { json: object; sealed: SealedCase[] } {
  const sealed = successCases().map((spec, i) => sealCase(set, suite, keys, spec, i));
  const refusals = sealRefusals(suite, keys, sealed[0]!.account);
  for (const r of refusals) {
    for (const b of BACKENDS) {
      const devs = set.byBackend[b];
      const got = outcome(() =>
        seal(devs[r.sender]!, r.account, refusalRecipients(keys, devs, r), r.input as SealInput, { random: drbg(suite, 'envelope/refusals/seal') }),
      );
      check(got === r.error, `seal refusal "${r.name}" on ${b}: expected ${r.error}, got ${got}`);
    }
  }
  const refusalJson = (r: SealRefusal) => ({
    name: r.name,
    why: r.why,
    sender: r.sender,
    account: hex(r.account),
    recipients: r.recipients.length > 8 ? { count: r.recipients.length, rule: 'recipient i: the laptop\'s card with id = u16(i) ‖ 0x77 × 14, ref and kek of phone→laptop' } : r.recipients.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v]))),
    input: Object.fromEntries(Object.entries(r.input).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v])),
    error: r.error,
  });
  return {
    sealed,
    json: {
      description:
        'Envelopes that must seal to exactly `envelope` and open for every recipient. Device indices refer to ' +
        'devices.json; each stanza\'s ref and kek are pairkeys.json\'s for (sender, recipient). seal draws `random` in ' +
        'one call: the 32-byte content key K, then (when input.recordId is null) the 16-byte record id. bodyCbor is the ' +
        'body as seal encodes it (see cbor.json "compact"); a second implementation reproduces the envelope from bodyCbor. ' +
        'keyCommitment = BLAKE2b-256(key = K, message = keyCommitmentInput); body = AEAD(K, 0^24, padded, bodyAad), ' +
        'bodyAad = account ‖ header; hashInput = len(label) ‖ label ‖ account ‖ header ‖ body ‖ (recipient id ‖ u32 ref) ' +
        'of each stanza; wrap = AEAD(kek, wrapNonce = hash[0..24], K, aad = hash); stanza = deviceId ‖ refBytes ‖ wrap. ' +
        'size = paddedLength + 91 + 68·n. `sealRefusals`: seal calls that must fail with `error` (recipients are device ' +
        'indices with pairkeys.json\'s ref and kek unless `ref`, `kek` or `deviceId` overrides them; the input is given as ' +
        'passed, numbers and strings as they are). See docs/protocol.md §5.',
      version: 1,
      labels: {
        keyCommitment: { text: LABELS.keyCommitment, prefix: hex(labelled(LABELS.keyCommitment)) },
        envelopeHash: { text: LABELS.envelopeHashV2, prefix: hex(labelled(LABELS.envelopeHashV2)) },
      },
      envelopes: sealed.map((c) => envelopeVector(set, suite, keys, c)),
      sealRefusals: refusals.map(refusalJson),
    },
  };
}
