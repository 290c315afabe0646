/** docs/protocol.md §5 → envelopes.json: envelopes that must seal to exactly the recorded bytes and
 * open for every recipient, with every intermediate value.
 */
import { concatBytes, equalBytes } from '../../src/crypto/bytes.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import { DeviceDirectory } from '../../src/core/deviceDirectory.js';
import { parseEnvelope, STANZA_BYTES, type EnvelopeKind } from '../../src/core/envelopeFormat.js';
import { envelopeHash } from '../../src/core/envelopeHash.js';
import { open } from '../../src/core/open.js';
import { pad } from '../../src/core/padding.js';
import { BODY_NONCE, seal, type SealInput } from '../../src/core/seal.js';
import { BACKENDS, CALL, check, drbg, hex, LAPTOP, PHONE, recording, replay, sameBytes, TABLET, type DeviceSet } from './shared.js';

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

/** An envelope of envelopes.json with what sealed it; envelopes-invalid.json alters case 2. */
export interface SealedCase {
  spec: SuccessCase;
  account: Uint8Array;
  chainHead: Uint8Array;
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

/** envelopes.json, sealed by the six devices of `set`; `sealed` is each case with what made it. */
export function envelopesVectors(set: DeviceSet, suite: CryptoProvider): { json: object; sealed: SealedCase[] } {
  const sealed = successCases().map((spec, i) => sealCase(set, suite, spec, i));
  return {
    sealed,
    json: {
      description:
        'Envelopes that must seal to exactly `envelope` and open for every recipient. Device indices refer to ' +
        'devices.json. seal draws `random` in one call: the 32-byte content key, then (when input.recordId is null) ' +
        'the 16-byte record id. bodyCbor is the body as seal encodes it (see cbor.json "compact"); a second ' +
        'implementation reproduces the envelope from bodyCbor. size = paddedLength + 95 + 64·n. Intermediate ' +
        'values (padded, bodyAad, hashInput, hash, wrapNonce, per-stanza kek and wrap) are given for debugging. ' +
        'See docs/protocol.md §5.',
      version: 1,
      envelopes: sealed.map((c) => envelopeVector(set, suite, c)),
    },
  };
}
