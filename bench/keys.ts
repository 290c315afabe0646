/**
 * Keys section: the key business format 2 adds around seal and open, in process, on both
 * backends, each beside the raw provider calls it cannot avoid.
 *
 * - Pair-key setup (`pairwise_setup_per_sec`): one `establishPairKey` (64 bytes of system
 *   randomness, one X-Wing encapsulation, one X25519, the BLAKE2b KDF) and one `acceptPairKey`
 *   (one X-Wing decapsulation, one X25519, the KDF). Floor: exactly those provider calls, the
 *   KDF over a message of the real length.
 * - Log checkpoint per push (`log_sign_per_batch_us`, `log_verify_per_batch_us`): build and sign
 *   the checkpoint of a batch of 100 envelopes (100 claims, 4 seen heads), and what a reader does
 *   with it on pull before any claim is used: decode and bounds-check it (with its hash) and
 *   verify its signature. Floor: one Ed25519 signature (or verification) over a message of the
 *   real length and the BLAKE2b checkpoint hash.
 * - Epoch rollover (`epoch_rollover_ms_n5`): one device of five begins a new epoch as
 *   `Outbound` does before a push (src/sync/outbound.ts): the new X-Wing key and its signed
 *   statement, new pair keys toward the five recipients (its four peers and itself) through the
 *   real `KeyRing`, the checkpoint that carries the statement and the five ciphertexts, and the
 *   ring sealed for the local store. Floor: X-Wing key generation, two Ed25519 signatures, five
 *   encapsulations with their randomness, X25519 and KDF, and the checkpoint hash (the ring's
 *   storage is this library's choice, not the format's, so it is not in the floor). Beside it,
 *   one libsodium `crypto_box_seal` of 32 bytes, to read the rollover in "boxes".
 * - Bytes per pair per epoch, from real encoded checkpoints (no timing).
 */
import sodium from 'libsodium-wrappers';
import { Device } from '../src/core/device.js';
import { decodeCheckpoint, signCheckpoint, verifyCheckpointSignature, type CheckpointFields, type Claim, type SeenHead } from '../src/core/logCheckpoint.js';
import { pairKeyMessage } from '../src/core/pairKey.js';
import { sealEnvelope } from '../src/core/seal.js';
import { equalBytes } from '../src/crypto/bytes.js';
import { labelled } from '../src/crypto/kdf.js';
import { LABELS } from '../src/crypto/labels.js';
import type { BackendName, CryptoProvider } from '../src/crypto/provider.js';
import { sealRandom, systemRandom } from '../src/crypto/random.js';
import { XWING_ESEED_BYTES, XWING_SEED_BYTES } from '../src/crypto/xwingSizes.js';
import { KeyRing } from '../src/sync/keyRing.js';
import { CALL_RECORD } from './core.js';
import { compareSync, consume, median, round3, type BenchCase, type Figure, type Rate, type Section, type SectionOptions, type SectionResult, type TimingPlan } from './harness.js';
import { BenchKeys } from './pairKeys.js';

const DEVICES = 5;
const BATCH = 100;
const BACKENDS: BackendName[] = ['sodium', 'noble'];
const ACCOUNT = new Uint8Array(32).fill(0xac);
const CHAIN_HEAD = new Uint8Array(32).fill(0x4e);

interface Plan {
  timing: TimingPlan;
}
const FULL: Plan = { timing: { sliceMs: 250, rounds: 5, warmupMs: 200, minOps: 3 } };
const QUICK: Plan = { timing: { sliceMs: 40, rounds: 1, warmupMs: 20, minOps: 2 } };

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

function detail(ours: Rate, floor: Rate): Record<string, number[] | number> {
  return {
    wallOpsPerSec: round3(median(ours.wall)),
    wallFloorOpsPerSec: round3(median(floor.wall)),
    cpuSamples: ours.cpu.map(round3),
    floorCpuSamples: floor.cpu.map(round3),
  };
}

/** Seen heads of the sender's peers, as a checkpoint carries them. */
function seenOf(peers: readonly Device[]): SeenHead[] {
  return peers.map((p, i) => ({ device: p.id, position: 1000 + i, hash: sealRandom(32) }));
}

/** Pair-key setup: establish and accept, against the raw calls. */
function pairSetup(suite: CryptoProvider, sender: Device, recipient: Device, timing: TimingPlan) {
  const statement = recipient.epochs.current!.statement;
  const made = sender.establishPairKey(recipient.public, statement, 1);
  check(equalBytes(recipient.acceptPairKey(sender.public, statement.epoch, 1, made.ciphertext), made.key), 'pair key agreement');
  const message = pairKeyMessage({ sender: sender.public, recipient: recipient.public, epoch: statement.epoch, ref: 1, ciphertext: made.ciphertext });
  const x25519Secret = sealRandom(32);
  const xwingSeed = systemRandom(XWING_SEED_BYTES);
  const publicKey = suite.xwingPublicKey(xwingSeed);
  const secret = new Uint8Array(64);
  const floorCt = suite.xwingEncapsulate(publicKey, systemRandom(XWING_ESEED_BYTES))!.ciphertext;
  const kdf = (x: Uint8Array | null, ss: Uint8Array): Uint8Array => {
    secret.set(x!, 0);
    secret.set(ss, 32);
    return suite.blake2b(32, message, secret);
  };
  return compareSync(
    {
      establish: () => sender.establishPairKey(recipient.public, statement, 1),
      establishFloor: () => {
        const kem = suite.xwingEncapsulate(publicKey, systemRandom(XWING_ESEED_BYTES))!;
        return kdf(suite.x25519(x25519Secret, recipient.public.encryptionKey), kem.sharedSecret);
      },
      accept: () => recipient.acceptPairKey(sender.public, statement.epoch, 1, made.ciphertext),
      acceptFloor: () => kdf(suite.x25519(x25519Secret, sender.public.encryptionKey), suite.xwingDecapsulate(floorCt, xwingSeed)!),
    },
    timing,
  );
}

/** A checkpoint of `BATCH` real claims, signed and verified, against one Ed25519 call and the hash. */
function logBatch(suite: CryptoProvider, devices: Device[], keys: BenchKeys, timing: TimingPlan) {
  const sender = devices[0]!;
  const recipients = keys.recipients(sender, devices.map((d) => d.public));
  const claims: Claim[] = [];
  for (let i = 0; i < BATCH; i++) {
    const sealed = sealEnvelope(sender, ACCOUNT, recipients, { body: CALL_RECORD, revision: 1, expiryDay: 20_000 });
    claims.push({ recordId: sealed.recordId, revision: 1, kind: 'record', expiryDay: 20_000, hash: sealed.hash });
  }
  const fields: CheckpointFields = {
    sender: sender.id,
    position: 42,
    prev: sealRandom(32),
    chainHead: CHAIN_HEAD,
    time: Date.now(),
    claims,
    purges: [],
    pairKeys: [],
    seen: seenOf(devices.slice(1)),
  };
  const checkpoint = signCheckpoint(sender, ACCOUNT, fields);
  const identityKey = sender.public.identityKey;
  const verify = (): unknown => {
    const cp = decodeCheckpoint(suite, ACCOUNT, checkpoint.bytes);
    verifyCheckpointSignature(suite, ACCOUNT, cp, identityKey);
    return cp;
  };
  verify();
  const floorSeed = sealRandom(32);
  const floorKey = suite.ed25519PublicKey(floorSeed);
  const signed = labelled(LABELS.logCheckpoint, ACCOUNT, checkpoint.bytes.subarray(0, checkpoint.bytes.length - 64));
  const hashed = labelled(LABELS.logCheckpointHash, ACCOUNT, checkpoint.bytes);
  const floorSignature = suite.ed25519Sign(floorSeed, floorKey, signed);
  const r = compareSync(
    {
      sign: () => signCheckpoint(sender, ACCOUNT, fields),
      signFloor: () => {
        consume(suite.blake2b(32, hashed));
        return suite.ed25519Sign(floorSeed, floorKey, signed);
      },
      verify,
      verifyFloor: () => {
        consume(suite.blake2b(32, hashed));
        return suite.ed25519Verify(floorSignature, signed, floorKey);
      },
    },
    timing,
  );
  return { r, bytes: checkpoint.bytes.length };
}

/** One device's epoch rollover among five, as Outbound builds it, against its raw calls. */
function rollover(suite: CryptoProvider, devices: Device[], keys: BenchKeys, timing: TimingPlan) {
  const me = devices[0]!;
  const peers = devices.slice(1);
  // A ring as a replica of five devices holds it: keys toward and from everyone, peers' statements.
  const ring = new KeyRing();
  for (const p of devices) {
    const received = keys.offers(p).find((o) => equalBytes(o.recipient, me.id))!;
    ring.accept(me, p.public, received.epoch, 1, received.ciphertext);
    if (p !== me) ring.noteStatement(p.id, p.epochs.current!.statement, Date.now());
  }
  const seen = seenOf(peers);
  let position = 1;
  let prev: Uint8Array = new Uint8Array(32);
  let now = Date.now();
  const roll = (): Uint8Array => {
    const started = me.epochs.current!.epoch;
    const seed = systemRandom(XWING_SEED_BYTES);
    me.epochs.begin(me, seed, ++now);
    seed.fill(0);
    position++;
    const out = devices.map((d) => ring.sendKey(me, d.public, d === me ? me.epochs.current!.statement : ring.statementOf(d.id)!.statement, position));
    const cp = signCheckpoint(me, ACCOUNT, {
      sender: me.id,
      position,
      prev,
      chainHead: CHAIN_HEAD,
      time: now,
      claims: [],
      purges: [],
      pairKeys: ring.unpublished().map((k) => ({ recipient: k.recipient, epoch: k.recipientEpoch, ciphertext: k.ciphertext })),
      seen,
      statement: me.epochs.current!.statement.bytes,
    });
    const stored = ring.seal(me);
    // Published: the next roll starts from a clean ring, and the ended epoch is forgotten so the
    // device never holds more than two (a real one keeps them for the grace period).
    ring.markPublished(position);
    ring.publishedEpoch = me.epochs.current!.epoch;
    me.epochs.forget(started);
    prev = cp.hash;
    consume(out);
    consume(stored);
    return cp.bytes;
  };
  const sample = decodeCheckpoint(suite, ACCOUNT, roll());
  check(sample.pairKeys.length === DEVICES && sample.statement !== undefined, 'a rollover checkpoint carries a statement and five pair keys');

  // The floor's inputs: an X-Wing key to encapsulate to, the checkpoint's signed and hashed bytes.
  const signSeed = sealRandom(32);
  const signKey = suite.ed25519PublicKey(signSeed);
  const statementMessage = labelled(LABELS.keyStatement, sample.statement!.subarray(0, sample.statement!.length - 64));
  const cpSigned = labelled(LABELS.logCheckpoint, ACCOUNT, sample.bytes.subarray(0, sample.bytes.length - 64));
  const cpHashed = labelled(LABELS.logCheckpointHash, ACCOUNT, sample.bytes);
  const peerKey = suite.xwingPublicKey(systemRandom(XWING_SEED_BYTES));
  const x25519Secret = sealRandom(32);
  const kdfMessage = pairKeyMessage({ sender: me.public, recipient: peers[0]!.public, epoch: 1, ref: 1, ciphertext: sample.pairKeys[0]!.ciphertext });
  const secret = new Uint8Array(64);
  const rollFloor = (): Uint8Array => {
    const seed = systemRandom(XWING_SEED_BYTES);
    consume(suite.xwingPublicKey(seed));
    consume(suite.ed25519Sign(signSeed, signKey, statementMessage));
    for (let i = 0; i < DEVICES; i++) {
      const kem = suite.xwingEncapsulate(peerKey, systemRandom(XWING_ESEED_BYTES))!;
      secret.set(suite.x25519(x25519Secret, peers[0]!.public.encryptionKey)!, 0);
      secret.set(kem.sharedSecret, 32);
      consume(suite.blake2b(32, kdfMessage, secret));
    }
    consume(suite.blake2b(32, cpHashed));
    return suite.ed25519Sign(signSeed, signKey, cpSigned);
  };
  const boxKey = sodium.crypto_box_keypair().publicKey;
  const message = sealRandom(32);
  const r = compareSync({ roll, rollFloor, box: () => sodium.crypto_box_seal(message, boxKey) }, timing);
  return { r, sample };
}

/** Bytes of the key business, read off real encoded checkpoints. */
function epochBytes(devices: Device[], keys: BenchKeys, sampleRollover: { bytes: Uint8Array }) {
  const me = devices[0]!;
  const base: CheckpointFields = {
    sender: me.id,
    position: 2,
    prev: sealRandom(32),
    chainHead: CHAIN_HEAD,
    time: Date.now(),
    claims: [],
    purges: [],
    pairKeys: [],
    seen: seenOf(devices.slice(1)),
  };
  const size = (f: CheckpointFields): number => signCheckpoint(me, ACCOUNT, f).bytes.length;
  const offers = keys.offers(me);
  const bare = size(base);
  const withStatement = size({ ...base, statement: me.epochs.current!.statement.bytes });
  const withOne = size({ ...base, pairKeys: offers.slice(0, 1) });
  const withAll = size({ ...base, statement: me.epochs.current!.statement.bytes, pairKeys: offers });
  check(withAll === sampleRollover.bytes.length, 'the rollover checkpoint is as long as its parts say');
  const entry = withOne - bare;
  const statement = withStatement - bare;
  const peers = DEVICES - 1;
  return {
    entry,
    statement,
    rolloverCheckpoint: withAll,
    // What one recipient downloads for one pair in one epoch: its entry, and its share of the
    // sender's statement (read by the sender's 4 peers).
    perPair: entry + statement / peers,
    // What one device downloads of key business per epoch: every device's rollover checkpoint,
    // statement and all n entries (its own and everyone else's), frames excluded.
    perDevice: DEVICES * (withAll - bare),
  };
}

async function runKeys({ quick, clock, log }: SectionOptions): Promise<SectionResult> {
  const plan = quick ? QUICK : FULL;
  const timing = { ...plan.timing, clock };
  await sodium.ready;
  const cases: BenchCase[] = [];
  const ratios: Record<string, number> = {};
  const notes: string[] = [];
  for (const backend of BACKENDS) {
    const prefix = backend === 'sodium' ? '' : `${backend}_`;
    const suite = (await Device.generate({ backend })).suite;
    const devices: Device[] = [];
    for (let i = 0; i < DEVICES; i++) devices.push(await Device.generate({ backend }));
    const keys = BenchKeys.between(devices, devices);

    log(`keys: ${backend} pair-key setup`);
    const p = pairSetup(suite, devices[0]!, devices[1]!, timing);
    const setup = 1 / (1 / p.establish.median + 1 / p.accept.median);
    const setupFloor = 1 / (1 / p.establishFloor.median + 1 / p.acceptFloor.median);
    cases.push(
      { name: 'pair-establish', backend, devices: 2, opsPerSec: round3(p.establish.median), floorOpsPerSec: round3(p.establishFloor.median), bytes: 1120,
        note: 'X-Wing encapsulation + X25519 + KDF', ...detail(p.establish, p.establishFloor) },
      { name: 'pair-accept', backend, devices: 2, opsPerSec: round3(p.accept.median), floorOpsPerSec: round3(p.acceptFloor.median), bytes: 1120,
        note: 'X-Wing decapsulation + X25519 + KDF', ...detail(p.accept, p.acceptFloor) },
    );
    ratios[`${prefix}pairwise_setup_per_sec`] = round3(setup);
    ratios[`${prefix}pairwise_setup_vs_floor`] = round3(setupFloor / setup);

    log(`keys: ${backend} log checkpoint of ${BATCH} claims`);
    const l = logBatch(suite, devices, keys, timing);
    cases.push(
      { name: 'log-sign', backend, devices: DEVICES, opsPerSec: round3(l.r.sign.median), floorOpsPerSec: round3(l.r.signFloor.median), bytes: l.bytes,
        note: `build + sign a checkpoint of ${BATCH} claims: ${(1e6 / l.r.sign.median).toFixed(0)} µs`, ...detail(l.r.sign, l.r.signFloor) },
      { name: 'log-verify', backend, devices: DEVICES, opsPerSec: round3(l.r.verify.median), floorOpsPerSec: round3(l.r.verifyFloor.median), bytes: l.bytes,
        note: `decode + verify it on pull: ${(1e6 / l.r.verify.median).toFixed(0)} µs`, ...detail(l.r.verify, l.r.verifyFloor) },
    );
    ratios[`${prefix}log_sign_per_batch_us`] = round3(1e6 / l.r.sign.median);
    ratios[`${prefix}log_verify_per_batch_us`] = round3(1e6 / l.r.verify.median);
    ratios[`${prefix}log_sign_vs_floor`] = round3(l.r.signFloor.median / l.r.sign.median);
    ratios[`${prefix}log_verify_vs_floor`] = round3(l.r.verifyFloor.median / l.r.verify.median);

    log(`keys: ${backend} epoch rollover among ${DEVICES} devices`);
    const e = rollover(suite, devices, keys, timing);
    const boxes = e.r.box.median / e.r.roll.median;
    cases.push({
      name: 'epoch-rollover',
      backend,
      devices: DEVICES,
      opsPerSec: round3(e.r.roll.median),
      floorOpsPerSec: round3(e.r.rollFloor.median),
      bytes: e.sample.bytes.length,
      note: `${(1000 / e.r.roll.median).toFixed(2)} ms; = ${boxes.toFixed(0)} crypto_box_seal of 32 B`,
      boxSealOpsPerSec: round3(e.r.box.median),
      ...detail(e.r.roll, e.r.rollFloor),
    });
    ratios[`${prefix}epoch_rollover_ms_n5`] = round3(1000 / e.r.roll.median);
    ratios[`${prefix}epoch_rollover_vs_floor_n5`] = round3(e.r.rollFloor.median / e.r.roll.median);
    ratios[`${prefix}epoch_rollover_vs_box_seal_n5`] = round3(boxes);

    if (backend === 'sodium') {
      const b = epochBytes(devices, keys, e.sample);
      ratios.pair_key_entry_bytes = b.entry;
      ratios.key_statement_bytes = b.statement;
      ratios.rollover_checkpoint_bytes_n5 = b.rolloverCheckpoint;
      ratios.epoch_bytes_per_pair_n5 = Math.round(b.perPair);
      ratios.epoch_download_bytes_n5 = b.perDevice;
      notes.push(
        `keys: bytes per pair per epoch (n=${DEVICES}): ${b.entry} B pair-key entry (1120 B X-Wing ciphertext + recipient id and epoch) + ` +
          `${b.statement} B statement / ${DEVICES - 1} peers = ${Math.round(b.perPair)} B; a rollover checkpoint is ${b.rolloverCheckpoint} B; ` +
          `each device pulls all ${DEVICES} devices' rollovers, ${b.perDevice} B of key business per epoch`,
      );
    }
  }
  notes.push(
    'keys: pair-setup = 1 / (1/establish + 1/accept); floors are the raw provider calls (randomness, X-Wing, X25519, BLAKE2b, Ed25519) on inputs of the real length',
    `keys: log rows = one checkpoint of ${BATCH} claims and ${DEVICES - 1} seen heads; verify = decode (bounds, hash) + signature, what a reader does before using a claim`,
    `keys: epoch-rollover = new X-Wing key + statement, ${DEVICES} new pair keys (4 peers + itself) via KeyRing, the checkpoint carrying them, the ring sealed for storage; ` +
      'each peer then pays one pair-accept and one log-verify (and a statement verify) for it',
  );
  return { cases, ratios, notes, figures: FIGURES };
}

/** What issue 12 asks the bench to print (no goal is set for these). */
const FIGURES: Figure[] = [
  { key: 'pairwise_setup_per_sec', unit: 'per s', label: 'pair keys set up (one encapsulation + KDF and one decapsulation + KDF), sodium' },
  { key: 'noble_pairwise_setup_per_sec', unit: 'per s', label: 'the same, noble' },
  { key: 'epoch_rollover_ms_n5', unit: 'ms', label: "one device's whole epoch rollover among 5 devices, sodium" },
  { key: 'noble_epoch_rollover_ms_n5', unit: 'ms', label: 'the same, noble' },
  { key: 'epoch_bytes_per_pair_n5', unit: 'B', label: 'what a recipient downloads per pair per epoch (its pair-key entry + its share of the statement)' },
  { key: 'epoch_download_bytes_n5', unit: 'B', label: 'key business one device downloads per epoch (5 devices)' },
  { key: 'log_sign_per_batch_us', unit: 'µs', label: 'build + sign the checkpoint of a 100-envelope push, sodium' },
  { key: 'log_verify_per_batch_us', unit: 'µs', label: 'decode + verify it on pull, sodium' },
];

/** The keys section for run.ts. */
export const keysSection: Section = { name: 'keys', run: runKeys };
