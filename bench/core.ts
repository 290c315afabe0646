/**
 * Core section: seal and open of one call record for 1…100 devices, on both backends, each beside
 * its floor, and against the naive per-device seal (libsodium sealed boxes + one Ed25519
 * signature) and age (npm `age-encryption`) at the same recipient counts.
 *
 * Format 2 (docs/protocol.md §5, §8). Pair keys are established beforehand, as a replica holds
 * them (bench/pairKeys.ts); seal and open do no public-key work. Floors do what the format makes
 * any seal or open do, through the same provider methods and the same random pool, on inputs of
 * the same sizes:
 *   seal floor = one pool draw (content key ‖ record id), encodeValue, pad, the key commitment
 *                (keyed BLAKE2b-256 of the label), one body AEAD, H (BLAKE2b-256 over label ‖
 *                account ‖ header ‖ body ciphertext ‖ 20 bytes per stanza), and n 32-byte wrap
 *                AEADs under 32-byte pair keys with H as nonce source and AAD;
 *   open floor = the stanza search (open.ts's findStanza loop), H, one unwrap AEAD, the key
 *                commitment and its comparison, one body AEAD, strip the padding, and the bounded
 *                CBOR decode every untrusted body goes through (decodeValue: scan + cbor-x).
 * Their AEADs get the same plaintext, AAD and nonce sizes as ours (107-byte body AAD = account id
 * ‖ header, 32-byte wrap AAD). What separates ours from the floor is everything else: input
 * validation, duplicate checks, assembling the envelope and H's input, key lookups, header
 * parsing and bounds checks, copies of the header fields, wiping.
 *
 * Beside them, the format-1 floor ("raw floor": AEADs, encode/pad, raw cbor-x decode; no hashes,
 * no scan) is measured too, so the ratios can be read against format 1's published ones
 * (`seal_vs_raw_floor_n*`, `open_vs_raw_floor_n*`).
 */
import { Encrypter, Decrypter, generateIdentity, identityToRecipient } from 'age-encryption';
import { Decoder, type Options } from 'cbor-x';
import sodium from 'libsodium-wrappers';
import { decodeValue, encodeValue } from '../src/core/cbor.js';
import { Device } from '../src/core/device.js';
import { ACCOUNT_ID_BYTES, HEADER_BYTES, parseEnvelope, STANZA_BYTES, STANZA_LABEL_BYTES, TAG_BYTES } from '../src/core/envelopeFormat.js';
import { WRAP_NONCE_BYTES } from '../src/core/envelopeHash.js';
import { findStanza, open } from '../src/core/open.js';
import { pad } from '../src/core/padding.js';
import { seal } from '../src/core/seal.js';
import { equalBytes } from '../src/crypto/bytes.js';
import { labelled } from '../src/crypto/kdf.js';
import { LABELS } from '../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../src/crypto/provider.js';
import { sealRandom } from '../src/crypto/random.js';
import { loadSuite } from '../src/crypto/suite.js';
import {
  compareSync,
  consume,
  measureAsync,
  median,
  round3,
  warmUp,
  type BenchCase,
  type Rate,
  type Section,
  type SectionOptions,
  type SectionResult,
  type TimingPlan,
} from './harness.js';
import { BenchKeys } from './pairKeys.js';

/** A typical synced call: a missed WhatsApp call. */
export const CALL_RECORD = {
  collection: 'calls',
  record: {
    service: 'voip',
    app: 'net.whatsapp.WhatsApp',
    direction: 'incoming',
    answered: false,
    peer: '+14155550123',
    startedAt: 1_700_000_000_000,
    durationSec: 0,
  },
  updatedAt: 1_700_000_000_000,
};

const ACCOUNT = new Uint8Array(ACCOUNT_ID_BYTES).fill(0xac);
const ZERO_NONCE = new Uint8Array(24);
const NAIVE_LABEL = 'multikey-sync/bench/naive-record';
/** The key commitment's message: labelled("multikey-sync/v2/key-commitment"), made once. */
const COMMITMENT_MESSAGE = labelled(LABELS.keyCommitment);
/** Bytes of H's input before the stanza labels: label prefix ‖ account id. */
const HASH_PREFIX_BYTES = labelled(LABELS.envelopeHashV2).length + ACCOUNT_ID_BYTES;

const BACKENDS: BackendName[] = ['sodium', 'noble'];

interface Plan {
  devices: number[];
  /** Untimed run of every path per backend before the first measurement. */
  warmupMs: number;
  naiveDevices: number[];
  ageDevices: number[];
  sync: TimingPlan;
  slow: TimingPlan;
  /** Also time libsodium's own crypto_box_seal (its randombytes per box) at n = 5. */
  naiveWithSodiumRng: boolean;
}

const FULL: Plan = {
  devices: [1, 2, 5, 10, 32, 100],
  warmupMs: 500,
  naiveDevices: [1, 2, 5, 10, 32, 100],
  ageDevices: [1, 2, 5, 10, 32, 100],
  sync: { sliceMs: 250, rounds: 5, warmupMs: 200 },
  slow: { sliceMs: 250, rounds: 5, warmupMs: 150, minOps: 3 },
  naiveWithSodiumRng: true,
};

const QUICK: Plan = {
  devices: [1, 5],
  warmupMs: 30,
  naiveDevices: [5],
  ageDevices: [1, 5],
  sync: { sliceMs: 40, rounds: 1, warmupMs: 20 },
  slow: { sliceMs: 40, rounds: 1, warmupMs: 10, minOps: 2 },
  naiveWithSodiumRng: false,
};

// The decoder src/core/cbor.ts configures, without its structural pre-scan: the raw cbor-x call.
const rawDecoder = new Decoder({
  useRecords: false,
  structuredClone: false,
  tagUint8Array: false,
  pack: false,
  mapsAsObjects: true,
  variableMapSize: true,
  copyBuffers: true,
  int64AsNumber: true,
} as Options & { int64AsNumber: boolean });

function sameRecord(value: unknown): boolean {
  return JSON.stringify(value) === JSON.stringify(CALL_RECORD);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/** Where ISO/IEC 7816-4 padding ends: the last 0x80 before trailing zeros (input is authenticated). */
function stripPadding(padded: Uint8Array): Uint8Array {
  let m = padded.length - 1;
  while (m > 0 && padded[m] === 0) m--;
  return padded.subarray(0, m);
}

/** The interleaved cases of one backend and device count: ours, the floor, the format-1 floor (overhead.ts reuses them). */
export function coreCases(suite: CryptoProvider, devices: Device[], keys: BenchKeys, n: number) {
  const sender = devices[0]!;
  const recipients = keys.recipients(sender, devices.slice(0, n).map((d) => d.public));
  // The last stanza: the longest search open can make.
  const reader = devices[n - 1]!;
  const lookup = keys.lookup(reader);
  const sealOne = (): Uint8Array => seal(sender, ACCOUNT, recipients, { body: CALL_RECORD, revision: 1 });
  const envelope = sealOne();
  check(sameRecord(open(reader, ACCOUNT, lookup, envelope)?.body), `${suite.name} open(seal) at n=${n}`);

  const paddedBody = pad(encodeValue(CALL_RECORD));
  const bodyAad = sealRandom(ACCOUNT_ID_BYTES + HEADER_BYTES);
  // H's input, as long as the real one: prefix, header, body ciphertext, n stanza labels.
  const hashInput = sealRandom(HASH_PREFIX_BYTES + HEADER_BYTES + paddedBody.length + TAG_BYTES + n * STANZA_LABEL_BYTES);
  const pairKeys = recipients.map((r) => r.key);
  const sealFloor = (): Uint8Array => {
    const contentKey = sealRandom(32 + 16).subarray(0, 32);
    consume(suite.blake2b(32, COMMITMENT_MESSAGE, contentKey));
    const body = suite.aeadEncrypt(contentKey, ZERO_NONCE, pad(encodeValue(CALL_RECORD)), bodyAad);
    const h = suite.blake2b(32, hashInput);
    const nonce = h.subarray(0, WRAP_NONCE_BYTES);
    for (let i = 0; i < n; i++) consume(suite.aeadEncrypt(pairKeys[i]!, nonce, contentKey, h));
    return body;
  };
  // Format 1's floor: the draw, encode, pad, the body AEAD and the wraps; no hash at all.
  const wrapAad = sealRandom(32);
  const rawNonce = new Uint8Array(WRAP_NONCE_BYTES);
  const sealRawFloor = (): Uint8Array => {
    const fresh = sealRandom(32 + 16);
    const contentKey = fresh.subarray(0, 32);
    rawNonce.set(fresh.subarray(32), 0);
    const body = suite.aeadEncrypt(contentKey, ZERO_NONCE, pad(encodeValue(CALL_RECORD)), bodyAad);
    for (let i = 0; i < n; i++) consume(suite.aeadEncrypt(pairKeys[i]!, rawNonce, contentKey, wrapAad));
    return body;
  };

  // The open floor's inputs: a content key wrapped under the reader's pair key for the H its
  // floor computes, its commitment, and the body under it. The stanza search runs on the real
  // envelope's stanzas.
  const stanzas = parseEnvelope(envelope).stanzas;
  const kek = pairKeys[n - 1]!;
  const floorKey = sealRandom(32);
  const floorH = suite.blake2b(32, hashInput);
  const floorWrap = suite.aeadEncrypt(kek, floorH.subarray(0, WRAP_NONCE_BYTES), floorKey, floorH);
  const floorCommitment = suite.blake2b(32, COMMITMENT_MESSAGE, floorKey);
  const bodyCt = suite.aeadEncrypt(floorKey, ZERO_NONCE, paddedBody, bodyAad);
  const openFloor = (): unknown => {
    if (findStanza(stanzas, reader.id) < 0) return null;
    const h = suite.blake2b(32, hashInput);
    const contentKey = suite.aeadDecrypt(kek, h.subarray(0, WRAP_NONCE_BYTES), floorWrap, h)!;
    if (!equalBytes(suite.blake2b(32, COMMITMENT_MESSAGE, contentKey), floorCommitment)) return null;
    const padded = suite.aeadDecrypt(contentKey, ZERO_NONCE, bodyCt, bodyAad)!;
    return decodeValue(stripPadding(padded));
  };
  const rawNonceOpen = sealRandom(WRAP_NONCE_BYTES);
  const rawWrap = suite.aeadEncrypt(kek, rawNonceOpen, floorKey, wrapAad);
  const openRawFloor = (): unknown => {
    const contentKey = suite.aeadDecrypt(kek, rawNonceOpen, rawWrap, wrapAad)!;
    const padded = suite.aeadDecrypt(contentKey, ZERO_NONCE, bodyCt, bodyAad)!;
    return rawDecoder.decode(stripPadding(padded));
  };
  check(sameRecord(openFloor()), `${suite.name} open floor at n=${n}`);
  check(sameRecord(openRawFloor()), `${suite.name} open raw floor at n=${n}`);

  return {
    envelope,
    cases: {
      seal: sealOne,
      sealFloor,
      sealRawFloor,
      open: () => open(reader, ACCOUNT, lookup, envelope),
      openFloor,
      openRawFloor,
    },
  };
}

/** Every slice of a case and its floor, on both clocks, for the JSON. */
function detail(ours: Rate, floor: Rate): Record<string, number[] | number> {
  return {
    wallOpsPerSec: round3(median(ours.wall)),
    wallFloorOpsPerSec: round3(median(floor.wall)),
    cpuSamples: ours.cpu.map(round3),
    wallSamples: ours.wall.map(round3),
    floorCpuSamples: floor.cpu.map(round3),
    floorWallSamples: floor.wall.map(round3),
  };
}

/** crypto_box_seal, byte for byte, but with its ephemeral secret drawn from our pool. */
function boxSealPooled(message: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const ephemeralSecret = sealRandom(32);
  const ephemeralPublic = sodium.crypto_scalarmult_base(ephemeralSecret);
  const nonceInput = new Uint8Array(64);
  nonceInput.set(ephemeralPublic, 0);
  nonceInput.set(publicKey, 32);
  const nonce = sodium.crypto_generichash(24, nonceInput, null);
  const boxed = sodium.crypto_box_easy(message, nonce, publicKey, ephemeralSecret);
  ephemeralSecret.fill(0);
  const out = new Uint8Array(32 + boxed.length);
  out.set(ephemeralPublic, 0);
  out.set(boxed, 32);
  return out;
}

/** The iMessage way: sign the record once, then seal the whole signed record to each device. */
function naiveSeal(
  signingKey: Uint8Array,
  publicKeys: Uint8Array[],
  box: (m: Uint8Array, pk: Uint8Array) => Uint8Array,
): () => Uint8Array[] {
  return () => {
    const cbor = encodeValue(CALL_RECORD);
    const signature = sodium.crypto_sign_detached(labelled(NAIVE_LABEL, cbor), signingKey);
    const signed = new Uint8Array(64 + cbor.length);
    signed.set(signature, 0);
    signed.set(cbor, 64);
    const plaintext = pad(signed);
    return publicKeys.map((pk) => box(plaintext, pk));
  };
}

async function runCore({ quick, clock, log }: SectionOptions): Promise<SectionResult> {
  const base = quick ? QUICK : FULL;
  const plan: Plan = { ...base, sync: { ...base.sync, clock }, slow: { ...base.slow, clock } };
  const maxDevices = Math.max(...plan.devices);
  const paddedBody = pad(encodeValue(CALL_RECORD)).length;
  const cases: BenchCase[] = [];
  const ratios: Record<string, number> = {};
  const sealRate = new Map<number, number>();
  const sealFloorRate = new Map<number, number>();

  for (const backend of BACKENDS) {
    const suite = await loadSuite(backend);
    const devices: Device[] = [];
    for (let i = 0; i < maxDevices; i++) devices.push(await Device.generate({ backend }));
    // kek(sender→r, 1) toward every device: one encapsulation and one decapsulation per pair, untimed.
    const keys = BenchKeys.between([devices[0]!], devices);
    const prefix = backend === 'sodium' ? '' : `${backend}_`;
    // Bring every code path to its optimised tier before the first measured slice.
    warmUp(coreCases(suite, devices, keys, Math.min(5, maxDevices)).cases, plan.warmupMs);
    for (const n of plan.devices) {
      log(`core: ${backend} n=${n}`);
      const { envelope, cases: fns } = coreCases(suite, devices, keys, n);
      const r = compareSync(fns, plan.sync);
      const bytes = envelope.length;
      cases.push(
        { name: 'seal', backend, devices: n, opsPerSec: round3(r.seal.median), floorOpsPerSec: round3(r.sealFloor.median), bytes,
          rawFloorOpsPerSec: round3(r.sealRawFloor.median), ...detail(r.seal, r.sealFloor) },
        { name: 'open', backend, devices: n, opsPerSec: round3(r.open.median), floorOpsPerSec: round3(r.openFloor.median), bytes,
          rawFloorOpsPerSec: round3(r.openRawFloor.median), note: 'last stanza', ...detail(r.open, r.openFloor) },
      );
      ratios[`${prefix}seal_vs_floor_n${n}`] = round3(r.sealFloor.median / r.seal.median);
      ratios[`${prefix}open_vs_floor_n${n}`] = round3(r.openFloor.median / r.open.median);
      ratios[`${prefix}seal_vs_raw_floor_n${n}`] = round3(r.sealRawFloor.median / r.seal.median);
      ratios[`${prefix}open_vs_raw_floor_n${n}`] = round3(r.openRawFloor.median / r.open.median);
      if (backend === 'sodium') {
        sealRate.set(n, r.seal.median);
        sealFloorRate.set(n, r.sealFloor.median);
        check(bytes === HEADER_BYTES + paddedBody + TAG_BYTES + n * STANZA_BYTES, `envelope size at n=${n}`);
        if (n === 5) {
          ratios.envelope_bytes_n5 = bytes;
          ratios.envelope_overhead_n5 = bytes - paddedBody;
          ratios.padded_body_bytes = paddedBody;
        }
      }
    }
  }

  // The baselines are compared with our libsodium seal at the same n; their floor column is
  // that seal's floor, so "floor/this" reads the same for every row.
  const baseline = (name: string, n: number, measured: Rate, bytes: number, note = ''): void => {
    const rate = measured.median;
    const ours = sealRate.get(n);
    const speedup = ours === undefined ? undefined : ours / rate;
    cases.push({
      name,
      backend: name.startsWith('age') ? 'age' : 'sodium',
      devices: n,
      opsPerSec: round3(rate),
      floorOpsPerSec: round3(sealFloorRate.get(n) ?? Number.NaN),
      bytes,
      wallOpsPerSec: round3(median(measured.wall)),
      cpuSamples: measured.cpu.map(round3),
      wallSamples: measured.wall.map(round3),
      ...(ours === undefined ? {} : { oursOpsPerSec: round3(ours), speedupOfOurs: round3(speedup!) }),
      note: [note, speedup === undefined ? '' : `ours ${speedup.toFixed(1)}x`].filter(Boolean).join('; '),
    });
    if (speedup !== undefined && name === 'naive-seal') ratios[`seal_speedup_vs_naive_n${n}`] = round3(speedup);
    if (speedup !== undefined && name === 'age-seal') ratios[`seal_speedup_vs_age_n${n}`] = round3(speedup);
  };

  await sodium.ready;
  const signer = sodium.crypto_sign_keypair();
  const boxKeys = Array.from({ length: Math.max(...plan.naiveDevices) }, () => sodium.crypto_box_keypair());
  for (const n of plan.naiveDevices) {
    log(`core: naive n=${n}`);
    const fn = naiveSeal(signer.privateKey, boxKeys.slice(0, n).map((k) => k.publicKey), boxSealPooled);
    const sample = fn();
    const opened = sodium.crypto_box_seal_open(sample[n - 1]!, boxKeys[n - 1]!.publicKey, boxKeys[n - 1]!.privateKey);
    check(sameRecord(rawDecoder.decode(stripPadding(opened).subarray(64))), `naive seal at n=${n}`);
    const bytes = sample.reduce((sum, b) => sum + b.length, 0);
    baseline('naive-seal', n, compareSync({ naive: fn }, plan.slow).naive, bytes, 'box_seal per device, pooled ephemeral keys');
    if (plan.naiveWithSodiumRng && n === 5) {
      log('core: naive n=5 with libsodium randombytes');
      const sodiumRng = naiveSeal(signer.privateKey, boxKeys.slice(0, n).map((k) => k.publicKey), (m, pk) => sodium.crypto_box_seal(m, pk));
      baseline('naive-seal-sodium-rng', n, compareSync({ naive: sodiumRng }, plan.slow).naive, bytes, "libsodium's own crypto_box_seal");
    }
  }

  const ageIdentities: string[] = [];
  const ageRecipients: string[] = [];
  for (let i = 0; i < Math.max(...plan.ageDevices); i++) {
    const identity = await generateIdentity();
    ageIdentities.push(identity);
    ageRecipients.push(await identityToRecipient(identity));
  }
  for (const n of plan.ageDevices) {
    log(`core: age n=${n}`);
    const encrypter = new Encrypter();
    for (const r of ageRecipients.slice(0, n)) encrypter.addRecipient(r);
    const fn = (): Promise<Uint8Array> => encrypter.encrypt(encodeValue(CALL_RECORD));
    const sample = await fn();
    const decrypter = new Decrypter();
    decrypter.addIdentity(ageIdentities[n - 1]!);
    check(sameRecord(rawDecoder.decode(await decrypter.decrypt(sample))), `age at n=${n}`);
    baseline('age-seal', n, await measureAsync(fn, plan.slow), sample.length, 'X25519 recipients');
  }

  return {
    cases,
    ratios,
    targets: [
      { key: 'seal_vs_floor_n5', op: '<=', limit: 1.3, label: 'seal within 1.3x of its floor (n=5, sodium)' },
      { key: 'open_vs_floor_n5', op: '<=', limit: 2.0, label: "open within 2.0x of its floor (n=5, sodium): no worse than format 1's 1.75-1.96" },
      { key: 'seal_speedup_vs_naive_n5', op: '>=', limit: 20, label: 'seal >= 20x the naive per-device seal (n=5)' },
      { key: 'seal_speedup_vs_age_n5', op: '>=', limit: 300, label: 'seal >= 300x age (n=5)' },
      { key: 'envelope_overhead_n5', op: '<=', limit: 120 + 64 * 5, label: 'envelope <= padded body + 120 + 64x5 bytes (n=5; format 2 is 91 + 68x5)' },
    ],
    notes: [
      `record: ${encodeValue(CALL_RECORD).length} bytes of CBOR, padded to ${paddedBody}`,
      `timing: ${plan.sync.rounds} interleaved slices of ${plan.sync.sliceMs} ms per case (seal, its floor and format-1 floor, open, its floors), median, ` +
        (clock === 'cpu' ? 'ops per CPU-second of this process (wall-clock rates are in the JSON)' : 'ops per wall-clock second'),
      'floor/this = floor ops/s ÷ this row ops/s (1.0 is the floor); naive and age rows use the sodium seal floor at the same n',
      'seal floor = draw + encode + pad + key commitment + body AEAD + H + n wrap AEADs; open floor = stanza search + H + unwrap + ' +
        'commitment check + body AEAD + unpad + bounded CBOR decode (seal_vs_raw_floor / open_vs_raw_floor: against the AEADs and raw decode alone, as format 1 measured)',
      'open reads the last stanza (longest search); seal passes recipients as an array',
      "age draws its own randomness (noble's randomBytes) and uses WebCrypto X25519; it cannot use our pool",
    ],
  };
}

/** The core section for run.ts. */
export const coreSection: Section = { name: 'core', run: runCore };
