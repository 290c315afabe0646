/**
 * Where seal and open spend the time their floors do not: `npx tsx bench/overhead.ts [sodium|noble] [devices] [rounds]`.
 * Not part of `npm run bench`; it backs the profiling findings reported with the core section.
 *
 * Part 1 times the pieces of src/core/seal.ts and open.ts in isolation. Part 2 times, interleaved,
 * the floors of core.ts, src's seal/open, and `leanSeal`/`leanOpen` below: the same wire format
 * and checks with the proposed changes applied (pairwise keys and id strings cached per card
 * object, the envelope hash and body AAD built in reused buffers, the header written and read
 * without DataView or intermediate views, stanza search without a view per stanza). The lean
 * versions are checked against src before anything is timed: src's open must accept lean seals,
 * and leanOpen must return what src's open returns.
 *
 * Slices are short and many (default 25 x 60 ms) because this machine is shared; the ratio of
 * the best slices is printed beside the ratio of the medians.
 */
import { Decoder, type Options } from 'cbor-x';
import { decodeValue, encodeValue } from '../src/core/cbor.js';
import { Device } from '../src/core/device.js';
import { DeviceDirectory } from '../src/core/deviceDirectory.js';
import { idKey, type DevicePublic } from '../src/core/devicePublic.js';
import { HEADER_BYTES, parseEnvelope, writeHeader } from '../src/core/envelopeFormat.js';
import { envelopeHash } from '../src/core/envelopeHash.js';
import { open } from '../src/core/open.js';
import { isPaddedLength, pad, unpad } from '../src/core/padding.js';
import { seal } from '../src/core/seal.js';
import { equalBytes, expectBytes } from '../src/crypto/bytes.js';
import { labelled } from '../src/crypto/kdf.js';
import { LABELS } from '../src/crypto/labels.js';
import type { BackendName } from '../src/crypto/provider.js';
import { sealRandom } from '../src/crypto/random.js';
import { loadSuite } from '../src/crypto/suite.js';
import { CALL_RECORD } from './core.js';
import { compareSync, consume, type Rate } from './harness.js';

const backend = (process.argv[2] ?? 'sodium') as BackendName;
const n = Number(process.argv[3] ?? 5);
const rounds = Number(process.argv[4] ?? 25);
const plan = { sliceMs: 60, rounds, warmupMs: 300 };

const suite = await loadSuite(backend);
const devices: Device[] = [];
for (let i = 0; i < n; i++) devices.push(await Device.generate({ backend }));
const cards = devices.map((d) => d.public);
const directory = new DeviceDirectory(cards);
const sender = devices[0]!;
const reader = devices[n - 1]!;
const ACCOUNT = new Uint8Array(32).fill(0xac);
const HEAD = new Uint8Array(32).fill(0x4e);
const ZERO = new Uint8Array(24);
const rawDecoder = new Decoder({
  useRecords: false, structuredClone: false, tagUint8Array: false, pack: false, mapsAsObjects: true,
  variableMapSize: true, copyBuffers: true, int64AsNumber: true,
} as Options & { int64AsNumber: boolean });

// ---- the proposed changes, as they would sit in src ---------------------------------------------

// devicePublic.ts: a card's id string, computed (and its id checked) once per card object.
const cardKeys = new WeakMap<DevicePublic, string>();
function cardKey(card: DevicePublic): string {
  let key = cardKeys.get(card);
  if (key === undefined) {
    if (!(card.id instanceof Uint8Array) || card.id.length !== 16) throw new Error('RECIPIENTS_INVALID');
    key = idKey(card.id);
    cardKeys.set(card, key);
  }
  return key;
}

// device.ts: pairwiseKey's hit path looked up by card object (the id-string map stays the fallback).
interface Cached { peerKey: Uint8Array; key: Uint8Array }
const toCache = new WeakMap<DevicePublic, Cached>();
const fromCache = new WeakMap<DevicePublic, Cached>();
function pairwise(device: Device, peer: DevicePublic, direction: 'to' | 'from'): Uint8Array {
  const cache = direction === 'to' ? toCache : fromCache;
  const hit = cache.get(peer);
  if (hit !== undefined && hit.peerKey === peer.encryptionKey) return hit.key;
  const key = device.pairwiseKey(peer, direction);
  cache.set(peer, { peerKey: peer.encryptionKey, key });
  return key;
}

// envelopeHash.ts: header ‖ body are contiguous in the envelope; hash them from one reused buffer.
const HASH_PREFIX = labelled(LABELS.envelopeHash);
let hashInput = new Uint8Array(4096);
function envelopeHashOf(account: Uint8Array, headerAndBody: Uint8Array, precomputed?: Uint8Array): Uint8Array {
  if (precomputed !== undefined) return precomputed; // info rows only: what the hash costs
  const length = HASH_PREFIX.length + 32 + headerAndBody.length;
  if (hashInput.length < length) hashInput = new Uint8Array(length);
  hashInput.set(HASH_PREFIX, 0);
  hashInput.set(account, HASH_PREFIX.length);
  hashInput.set(headerAndBody, HASH_PREFIX.length + 32);
  return suite.blake2b(32, hashInput.subarray(0, length));
}

// seal.ts / open.ts: the body AAD (account ‖ header, public) in one reused buffer.
const BODY_AAD = new Uint8Array(32 + HEADER_BYTES);
const readU32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
function uint(value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw new Error('SEAL_INPUT_INVALID');
  return value;
}

interface Input { body: unknown; revision: number; sequence: number; chainHead: Uint8Array; expiryDay?: number; kind?: 'record' | 'tombstone' }

function leanSeal(from: Device, account: Uint8Array, recipients: Iterable<DevicePublic>, input: Input, hash?: Uint8Array): Uint8Array {
  expectBytes(account, 32, 'account id', 'ACCOUNT_ID_INVALID');
  expectBytes(input.chainHead, 32, 'chain head', 'SEAL_INPUT_INVALID');
  const kind = input.kind ?? 'record';
  if (kind !== 'record' && kind !== 'tombstone') throw new Error('SEAL_INPUT_INVALID');
  const revision = uint(input.revision, 0xffffffff);
  const sequence = uint(input.sequence, 0xffffffff);
  const expiryDay = uint(input.expiryDay ?? 0, 0xffff);
  const to = Array.isArray(recipients) ? (recipients as DevicePublic[]) : [...recipients];
  if (to.length === 0 || to.length > 1024) throw new Error('RECIPIENTS_INVALID');
  const seen = new Set<string>();
  for (const card of to) seen.add(cardKey(card));
  if (seen.size !== to.length) throw new Error('RECIPIENT_DUPLICATE');

  const fresh = sealRandom(48);
  const contentKey = fresh.subarray(0, 32);
  const padded = pad(encodeValue(input.body));
  const bodyLength = padded.length + 16;
  const out = new Uint8Array(HEADER_BYTES + bodyLength + to.length * 64);
  out[0] = 1;
  out[1] = 1;
  out[2] = kind === 'record' ? 0 : 1;
  out.set(fresh.subarray(32), 3);
  writeU32(out, 19, revision);
  out.set(from.id, 23);
  writeU32(out, 39, sequence);
  out.set(input.chainHead, 43);
  out[75] = expiryDay >>> 8;
  out[76] = expiryDay & 0xff;
  out[77] = to.length >>> 8;
  out[78] = to.length & 0xff;
  BODY_AAD.set(account, 0);
  BODY_AAD.set(out.subarray(0, HEADER_BYTES), 32);
  out.set(suite.aeadEncrypt(contentKey, ZERO, padded, BODY_AAD), HEADER_BYTES);
  const h = envelopeHashOf(account, out.subarray(0, HEADER_BYTES + bodyLength), hash);
  const nonce = h.subarray(0, 24);
  let offset = HEADER_BYTES + bodyLength;
  for (const card of to) {
    out.set(card.id, offset);
    out.set(suite.aeadEncrypt(pairwise(from, card, 'to'), nonce, contentKey, h), offset + 16);
    offset += 64;
  }
  contentKey.fill(0);
  padded.fill(0);
  return out;
}

interface Lookup { get(id: Uint8Array): DevicePublic | undefined }

function leanOpen(me: Device, account: Uint8Array, senders: Lookup, envelope: Uint8Array, opts: { hash?: Uint8Array; rawDecode?: boolean } = {}) {
  expectBytes(account, 32, 'account id', 'ACCOUNT_ID_INVALID');
  if (!(envelope instanceof Uint8Array)) throw new Error('ENVELOPE_MALFORMED');
  const length = envelope.length;
  if (length > 4 * 1024 * 1024) throw new Error('ENVELOPE_TOO_LARGE');
  if (length < HEADER_BYTES) throw new Error('ENVELOPE_TRUNCATED');
  if (envelope[0] !== 1) throw new Error('ENVELOPE_VERSION_UNSUPPORTED');
  if (envelope[1] !== 1) throw new Error('ENVELOPE_SUITE_UNSUPPORTED');
  const kindByte = envelope[2];
  if (kindByte !== 0 && kindByte !== 1) throw new Error('ENVELOPE_MALFORMED');
  const count = (envelope[77]! << 8) | envelope[78]!;
  if (count === 0 || count > 1024) throw new Error('ENVELOPE_MALFORMED');
  const bodyLength = length - HEADER_BYTES - count * 64;
  if (bodyLength < 16) throw new Error('ENVELOPE_TRUNCATED');
  if (!isPaddedLength(bodyLength - 16)) throw new Error('ENVELOPE_MALFORMED');

  const id = me.id;
  let stanza = -1;
  search: for (let at = HEADER_BYTES + bodyLength; at < length; at += 64) {
    for (let i = 0; i < 16; i++) if (envelope[at + i] !== id[i]) continue search;
    stanza = at;
    break;
  }
  if (stanza < 0) return null;
  const from = senders.get(envelope.subarray(23, 39));
  if (from === undefined) throw new Error('ENVELOPE_UNKNOWN_SENDER');
  const h = envelopeHashOf(account, envelope.subarray(0, HEADER_BYTES + bodyLength), opts.hash);
  const contentKey = suite.aeadDecrypt(pairwise(me, from, 'from'), h.subarray(0, 24), envelope.subarray(stanza + 16, stanza + 64), h);
  if (contentKey === null) throw new Error('ENVELOPE_TAMPERED');
  BODY_AAD.set(account, 0);
  BODY_AAD.set(envelope.subarray(0, HEADER_BYTES), 32);
  const padded = suite.aeadDecrypt(contentKey, ZERO, envelope.subarray(HEADER_BYTES, HEADER_BYTES + bodyLength), BODY_AAD);
  contentKey.fill(0);
  if (padded === null) throw new Error('ENVELOPE_TAMPERED');
  const body = opts.rawDecode ? rawDecoder.decode(unpad(padded)) : decodeValue(unpad(padded));
  const header = envelope.slice(0, HEADER_BYTES); // one copy; the id fields are views of it
  return {
    kind: kindByte === 0 ? 'record' : 'tombstone',
    recordId: header.subarray(3, 19),
    revision: readU32(header, 19),
    sender: header.subarray(23, 39),
    sequence: readU32(header, 39),
    chainHead: header.subarray(43, 75),
    expiryDay: (header[75]! << 8) | header[76]!,
    recipientCount: count,
    body,
    hash: h,
  };
}

// ---- floors, as in core.ts -----------------------------------------------------------------------
const keks = Array.from({ length: n }, () => sealRandom(32));
const bodyAad = sealRandom(32 + HEADER_BYTES);
const wrapAad = sealRandom(32);
const floorNonce = new Uint8Array(24);
const sealFloor = (): Uint8Array => {
  const fresh = sealRandom(48);
  const key = fresh.subarray(0, 32);
  floorNonce.set(fresh.subarray(32), 0);
  const body = suite.aeadEncrypt(key, ZERO, pad(encodeValue(CALL_RECORD)), bodyAad);
  for (let i = 0; i < n; i++) consume(suite.aeadEncrypt(keks[i]!, floorNonce, key, wrapAad));
  return body;
};
const floorKey = sealRandom(32);
const openNonce = sealRandom(24);
const floorWrap = suite.aeadEncrypt(keks[n - 1]!, openNonce, floorKey, wrapAad);
const floorBody = suite.aeadEncrypt(floorKey, ZERO, pad(encodeValue(CALL_RECORD)), bodyAad);
const stripPadding = (p: Uint8Array): Uint8Array => {
  let m = p.length - 1;
  while (m > 0 && p[m] === 0) m--;
  return p.subarray(0, m);
};
const openFloor = (): unknown => {
  const key = suite.aeadDecrypt(keks[n - 1]!, openNonce, floorWrap, wrapAad)!;
  return rawDecoder.decode(stripPadding(suite.aeadDecrypt(key, ZERO, floorBody, bodyAad)!));
};

// ---- self-checks -----------------------------------------------------------------------------------
let sequence = 0;
const input = (): Input => ({ body: CALL_RECORD, revision: 1, sequence: ++sequence, chainHead: HEAD });
const envelope = seal(sender, ACCOUNT, cards, input());
const parsed = parseEnvelope(envelope);
const H = envelopeHash(suite, ACCOUNT, parsed.headerAndBody);
const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? [...x] : x));
if (json(open(reader, ACCOUNT, directory, leanSeal(sender, ACCOUNT, cards, input()))?.body) !== json(CALL_RECORD)) {
  throw new Error('src open does not accept leanSeal output');
}
if (json(open(reader, ACCOUNT, directory, envelope)) !== json(leanOpen(reader, ACCOUNT, directory, envelope))) {
  throw new Error('leanOpen differs from src open');
}
if (json(openFloor()) !== json(CALL_RECORD)) throw new Error('open floor broken');

const us = (rate: Rate): string => (1e6 / rate.median).toFixed(2).padStart(7);
const best = (rate: Rate): number => Math.max(...rate.samples);

// ---- part 1: pieces in isolation ------------------------------------------------------------------
const cbor = encodeValue(CALL_RECORD);
const paddedBody = pad(cbor);
const key = sealRandom(32);
const bodyCt = suite.aeadEncrypt(key, ZERO, paddedBody, bodyAad);
const hashMessage = labelled(LABELS.envelopeHash, ACCOUNT, parsed.headerBytes, parsed.body);
const headerFields = { ...parsed, recipientCount: n };
const scratchOut = new Uint8Array(envelope.length);
console.log(`${backend}, ${n} devices, ${rounds} x ${plan.sliceMs} ms slices, CPU clock; µs per call (median)\n`);
const pieces = compareSync(
  {
    'aeadEncrypt, 32-byte wrap': () => suite.aeadEncrypt(key, ZERO, key, wrapAad),
    'aeadEncrypt, 256-byte body': () => suite.aeadEncrypt(key, ZERO, paddedBody, bodyAad),
    'aeadDecrypt, 272-byte body': () => suite.aeadDecrypt(key, ZERO, bodyCt, bodyAad),
    'encodeValue (floor too)': () => encodeValue(CALL_RECORD),
    'cbor-x decode, raw (floor)': () => rawDecoder.decode(cbor),
    'decodeValue = pre-scan + cbor-x': () => decodeValue(cbor),
    'envelopeHash (labelled + blake2b)': () => envelopeHash(suite, ACCOUNT, parsed.headerAndBody),
    '  labelled() concat alone': () => labelled(LABELS.envelopeHash, ACCOUNT, parsed.headerBytes, parsed.body),
    '  blake2b(32, 415 B) alone': () => suite.blake2b(32, hashMessage),
    [`pairwiseKey('to') x ${n} (src)`]: () => { for (const c of cards) consume(sender.pairwiseKey(c, 'to')); },
    [`pairwise by card WeakMap x ${n}`]: () => { for (const c of cards) consume(pairwise(sender, c, 'to')); },
    [`dedupe: Set of idKey x ${n} (src)`]: () => { const s = new Set<string>(); for (const c of cards) s.add(idKey(c.id)); return s.size; },
    [`dedupe: Set of cached cardKey x ${n}`]: () => { const s = new Set<string>(); for (const c of cards) s.add(cardKey(c)); return s.size; },
    'new Uint8Array(111) body AAD (src)': () => new Uint8Array(32 + HEADER_BYTES),
    'writeHeader (DataView)': () => writeHeader(scratchOut, headerFields),
    'parseEnvelope': () => parseEnvelope(envelope),
    'directory.get(sender id)': () => directory.get(parsed.sender),
    [`findStanza: equalBytes on views x ${n}`]: () => {
      const s = parsed.stanzas;
      for (let o = 0; o < s.length; o += 64) if (equalBytes(s.subarray(o, o + 16), reader.id)) return s.subarray(o + 16, o + 64);
      return undefined;
    },
    '3 x slice() of header fields (src)': () => [parsed.recordId.slice(), parsed.sender.slice(), parsed.chainHead.slice()],
    'unpad': () => unpad(paddedBody),
  },
  plan,
);
for (const [name, rate] of Object.entries(pieces)) console.log(`  ${name.padEnd(40)}${us(rate)}`);

// ---- part 2: src and lean beside the floors -------------------------------------------------------
const totals = compareSync(
  {
    'seal floor': sealFloor,
    'seal (src)': () => seal(sender, ACCOUNT, cards, input()),
    'seal (lean)': () => leanSeal(sender, ACCOUNT, cards, input()),
    'seal (lean) without the hash [info]': () => leanSeal(sender, ACCOUNT, cards, input(), H),
    'open floor': openFloor,
    'open (src)': () => open(reader, ACCOUNT, directory, envelope),
    'open (lean)': () => leanOpen(reader, ACCOUNT, directory, envelope),
    'open (lean) without the hash [info]': () => leanOpen(reader, ACCOUNT, directory, envelope, { hash: H }),
    'open (lean) without the CBOR pre-scan [info]': () => leanOpen(reader, ACCOUNT, directory, envelope, { rawDecode: true }),
    'open floor + blake2b + pre-scan [protocol floor]': () => {
      consume(suite.blake2b(32, hashMessage));
      const k = suite.aeadDecrypt(keks[n - 1]!, openNonce, floorWrap, wrapAad)!;
      return decodeValue(stripPadding(suite.aeadDecrypt(k, ZERO, floorBody, bodyAad)!));
    },
  },
  plan,
);
console.log(`\n  ${''.padEnd(48)}     µs  floor/this (median)  (best slices)`);
for (const [name, rate] of Object.entries(totals)) {
  const floor = totals[name.startsWith('seal') ? 'seal floor' : 'open floor'];
  console.log(`  ${name.padEnd(48)}${us(rate)}  ${(floor.median / rate.median).toFixed(2).padStart(19)}  ${(best(floor) / best(rate)).toFixed(2).padStart(13)}`);
}
const protocolFloor = totals['open floor + blake2b + pre-scan [protocol floor]'];
console.log(`\n  open (lean) against the protocol floor: ${(protocolFloor.median / totals['open (lean)'].median).toFixed(2)}; open (src): ${(protocolFloor.median / totals['open (src)'].median).toFixed(2)}`);
