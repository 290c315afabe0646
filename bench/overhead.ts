/**
 * Where seal and open spend the time their floors do not: `npx tsx bench/overhead.ts [sodium|noble] [devices] [rounds]`.
 * Not part of `npm run bench`; it backs the profiling findings reported with the core section.
 *
 * Part 1 times the pieces of src/core/seal.ts and open.ts (format 2) in isolation, each beside
 * the raw call it wraps where there is one. Part 2 times, interleaved, src's seal and open and
 * the floors of core.ts (the format-2 floor and format 1's), as the core section does but with
 * more and shorter slices, and prints the ratio of the medians beside the ratio of the best
 * slices (this machine is shared: the best slices are the least disturbed).
 */
import { Decoder, type Options } from 'cbor-x';
import { decodeValue, encodeValue } from '../src/core/cbor.js';
import { Device } from '../src/core/device.js';
import { cardKey } from '../src/core/devicePublic.js';
import { HEADER_BYTES, parseEnvelope, writeHeader } from '../src/core/envelopeFormat.js';
import { envelopeHash, keyCommitment } from '../src/core/envelopeHash.js';
import { findStanza } from '../src/core/open.js';
import { pad, unpad } from '../src/core/padding.js';
import { bodyAad, seal } from '../src/core/seal.js';
import { labelled } from '../src/crypto/kdf.js';
import { LABELS } from '../src/crypto/labels.js';
import type { BackendName } from '../src/crypto/provider.js';
import { sealRandom } from '../src/crypto/random.js';
import { loadSuite } from '../src/crypto/suite.js';
import { CALL_RECORD, coreCases } from './core.js';
import { compareSync, type Rate } from './harness.js';
import { BenchKeys } from './pairKeys.js';

const backend = (process.argv[2] ?? 'sodium') as BackendName;
const n = Number(process.argv[3] ?? 5);
const rounds = Number(process.argv[4] ?? 25);
const plan = { sliceMs: 60, rounds, warmupMs: 300 };

const suite = await loadSuite(backend);
const devices: Device[] = [];
for (let i = 0; i < n; i++) devices.push(await Device.generate({ backend }));
const keys = BenchKeys.between([devices[0]!], devices);
const sender = devices[0]!;
const reader = devices[n - 1]!;
const recipients = keys.recipients(sender, devices.map((d) => d.public));
const lookup = keys.lookup(reader);
const ACCOUNT = new Uint8Array(32).fill(0xac);
const ZERO = new Uint8Array(24);
const rawDecoder = new Decoder({
  useRecords: false, structuredClone: false, tagUint8Array: false, pack: false, mapsAsObjects: true,
  variableMapSize: true, copyBuffers: true, int64AsNumber: true,
} as Options & { int64AsNumber: boolean });

const envelope = seal(sender, ACCOUNT, recipients, { body: CALL_RECORD, revision: 1 });
const parsed = parseEnvelope(envelope);
const cbor = encodeValue(CALL_RECORD);
const paddedBody = pad(cbor);
const key = sealRandom(32);
const aad = sealRandom(32 + HEADER_BYTES);
const bodyCt = suite.aeadEncrypt(key, ZERO, paddedBody, aad);
const hashInput = labelled(LABELS.envelopeHashV2, ACCOUNT, parsed.headerAndBody, sealRandom(n * 20));
const commitment = labelled(LABELS.keyCommitment);
const scratchOut = new Uint8Array(envelope.length);

const us = (rate: Rate): string => (1e6 / rate.median).toFixed(2).padStart(7);
const best = (rate: Rate): number => Math.max(...rate.samples);

// ---- part 1: pieces in isolation ------------------------------------------------------------------
console.log(`${backend}, ${n} devices, ${rounds} x ${plan.sliceMs} ms slices, CPU clock; µs per call (median)\n`);
const pieces = compareSync(
  {
    'aeadEncrypt, 32-byte wrap': () => suite.aeadEncrypt(key, ZERO, key, aad.subarray(0, 32)),
    'aeadEncrypt, 256-byte body': () => suite.aeadEncrypt(key, ZERO, paddedBody, aad),
    'aeadDecrypt, 272-byte body': () => suite.aeadDecrypt(key, ZERO, bodyCt, aad),
    'encodeValue (floor too)': () => encodeValue(CALL_RECORD),
    'pad(encodeValue) (floor too)': () => pad(encodeValue(CALL_RECORD)),
    'cbor-x decode, raw': () => rawDecoder.decode(cbor),
    'decodeValue = pre-scan + cbor-x (floor)': () => decodeValue(cbor),
    'envelopeHash (src: scratch + blake2b)': () => envelopeHash(suite, ACCOUNT, parsed.headerAndBody, parsed.stanzas),
    '  blake2b of as many bytes (floor)': () => suite.blake2b(32, hashInput),
    'keyCommitment (src)': () => keyCommitment(suite, key),
    '  keyed blake2b of the label (floor)': () => suite.blake2b(32, commitment, key),
    [`seal's recipient checks x ${n} (cardKey set)`]: () => {
      const seen = new Set<string>();
      for (const r of recipients) seen.add(cardKey(r.card));
      return seen.size;
    },
    'bodyAad (scratch)': () => bodyAad(ACCOUNT, parsed.headerBytes),
    'writeHeader': () => writeHeader(scratchOut, { ...parsed, recipientCount: n }),
    'parseEnvelope': () => parseEnvelope(envelope),
    [`findStanza, last of ${n} (floor)`]: () => findStanza(parsed.stanzas, reader.id),
    'pair-key lookup (KeyRing.get)': () => lookup.get(parsed.sender, 1),
    '3 x slice() of header fields (open)': () => [parsed.recordId.slice(), parsed.sender.slice(), parsed.keyCommitment.slice()],
    'unpad': () => unpad(paddedBody),
  },
  plan,
);
for (const [name, rate] of Object.entries(pieces)) console.log(`  ${name.padEnd(44)}${us(rate)}`);

// ---- part 2: src beside the floors ----------------------------------------------------------------
const { cases } = coreCases(suite, devices, keys, n);
const totals = compareSync(cases, plan);
console.log(`\n  ${''.padEnd(20)}     µs  floor/this (median)  (best slices)  raw floor/this (median)`);
for (const [name, rate] of Object.entries(totals)) {
  const side = name.startsWith('seal') ? 'seal' : 'open';
  const floor = totals[`${side}Floor` as keyof typeof totals];
  const raw = totals[`${side}RawFloor` as keyof typeof totals];
  console.log(
    `  ${name.padEnd(20)}${us(rate)}  ${(floor.median / rate.median).toFixed(2).padStart(19)}  ${(best(floor) / best(rate)).toFixed(2).padStart(13)}` +
      `  ${(raw.median / rate.median).toFixed(2).padStart(23)}`,
  );
}
