/**
 * Enrollment section (issue 4): history handoff and chain verification, in process (no HTTP).
 *
 * Handoff: an account of two devices plus its recovery key holds 100k live records (5k with
 * --quick), sealed half by each device under pair keys made as the protocol makes them
 * (bench/pairKeys.ts). The approving device grants a newly enrolled one the content key of each
 * (`grantEnvelope`, core/grant.ts, format 2: 117-byte grants under the pair key toward the new
 * device), looping over the pre-sealed envelopes. Floor = the two AEADs a grant cannot avoid,
 * through the same provider, on the same inputs: unwrap the grantor's stanza (48-byte
 * ciphertext, 24-byte nonce, 32-byte AAD) and wrap the content key for the new device (32
 * bytes, same sizes). Everything else a grant does (parse, the envelope hash, stanza search,
 * the grant nonce hash, pair-key lookups, assembly, wiping) is what `handoff_vs_floor` measures.
 * A third case, the floor plus the two BLAKE2b hashes the grant format itself requires (the
 * envelope hash H and the grant nonce derived from it), shows how near the floor any
 * implementation of this format can get (`handoff_hashes_vs_floor`).
 *
 * Chain verification: `replayChain` over genesis + 999 entries built with chainOps (adds,
 * rotations and removals, with five or six devices active at a time), in entries per second.
 * Floor = the public-key checks the rules require, on the same inputs: one Ed25519 verify per
 * entry, plus the consent and the card binding of each add, the card binding of each rotation,
 * each card's X25519 low-order probe, and for the genesis and each add the epoch-0 key
 * statement's signature, its X-Wing key's X25519 probe and its ML-KEM modulus check.
 */
import { Device } from '../src/core/device.js';
import { bindingMessage, deviceIdOf, idKey } from '../src/core/devicePublic.js';
import { parseEnvelope, STANZA_BYTES } from '../src/core/envelopeFormat.js';
import { envelopeHash, WRAP_NONCE_BYTES } from '../src/core/envelopeHash.js';
import { GRANT_BYTES, grantEnvelope } from '../src/core/grant.js';
import { KEY_STATEMENT_BYTES } from '../src/core/keyStatement.js';
import { seal } from '../src/core/seal.js';
import { equalBytes } from '../src/crypto/bytes.js';
import { labelled, labelledHash } from '../src/crypto/kdf.js';
import { LABELS } from '../src/crypto/labels.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { mlkemKeyIsCanonical } from '../src/crypto/xwingKeyCheck.js';
import { consentBytes, entrySigningBytes, type ChainEntry, type EncodedEntry } from '../src/enrollment/chainEntry.js';
import { createGenesis, deviceKeys, makeAdd, makeRemove, makeRotate, signConsent } from '../src/enrollment/chainOps.js';
import { EMPTY_LOG } from '../src/enrollment/logCut.js';
import { applyEntry, genesisState, replayChain, type ChainState } from '../src/enrollment/chainState.js';
import { encodeClock } from '../src/sync/hlc.js';
import { bodyToWire } from '../src/sync/recordBody.js';
import { callAt } from './calls.js';
import {
  compareSync,
  consume,
  median,
  round3,
  type BenchCase,
  type Rate,
  type Section,
  type SectionOptions,
  type SectionResult,
  type TimingPlan,
} from './harness.js';
import { startMeter } from './meters.js';
import { BenchKeys } from './pairKeys.js';

interface Plan {
  records: number;
  chainEntries: number;
  grants: TimingPlan;
  chain: TimingPlan;
}

const FULL: Plan = {
  records: 100_000,
  chainEntries: 1000,
  grants: { sliceMs: 250, rounds: 7, warmupMs: 300 },
  chain: { sliceMs: 400, rounds: 5, warmupMs: 300, minOps: 2 },
};
const QUICK: Plan = {
  records: 5_000,
  chainEntries: 1000,
  grants: { sliceMs: 50, rounds: 1, warmupMs: 30 },
  chain: { sliceMs: 50, rounds: 1, warmupMs: 0, minOps: 1 },
};

// verifyDevicePublic's low-order probe: any fixed scalar serves.
const PROBE = new Uint8Array(32).fill(0x5a);

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/** Every slice of a case and its floor, on both clocks, for the JSON. */
function detail(ours: Rate, floor: Rate, scale = 1): Record<string, number[] | number> {
  const s = (x: number): number => round3(x * scale);
  return {
    wallOpsPerSec: s(median(ours.wall)),
    wallFloorOpsPerSec: s(median(floor.wall)),
    cpuSamples: ours.cpu.map(s),
    wallSamples: ours.wall.map(s),
    floorCpuSamples: floor.cpu.map(s),
    floorWallSamples: floor.wall.map(s),
  };
}

/** Returns a function that walks `list` round and round. */
function cycle<T>(list: readonly T[]): () => T {
  let i = 0;
  return () => {
    const item = list[i]!;
    i = i + 1 === list.length ? 0 : i + 1;
    return item;
  };
}

async function handoff(plan: Plan, clock: 'cpu' | 'wall', log: (line: string) => void) {
  const phone = await Device.generate();
  const laptop = await Device.generate();
  const recovery = await Device.generate();
  const tablet = await Device.generate();
  const suite = phone.suite;
  const account = new Uint8Array(32).fill(0xac);
  const holders = [phone, laptop, recovery];
  // Pair keys from each writer to every holder, and from the phone to the tablet (its grants).
  const keys = BenchKeys.between([phone, laptop], holders);
  keys.establish(phone, tablet, 1);
  const toTablet = keys.recipients(phone, [tablet.public])[0]!;
  const phoneKeys = keys.lookup(phone);
  log(`enrollment: sealing ${plan.records} records for the handoff`);
  const envelopes = Array.from({ length: plan.records }, (_, i) => {
    const sender = i % 2 === 0 ? phone : laptop;
    return seal(sender, account, keys.recipients(sender, holders.map((d) => d.public)), {
      body: bodyToWire({ collection: 'calls', sortTime: callAt(i).startedAt, value: callAt(i), clock: encodeClock({ ms: callAt(i).startedAt, counter: 0 }) }),
      revision: 1,
    });
  });

  // The floor's inputs, prepared from the same envelopes: the phone's stanza, H, and the keys.
  const kekTo = toTablet.key;
  const floorInputs = envelopes.map((bytes) => {
    const p = parseEnvelope(bytes);
    const h = envelopeHash(suite, account, p.headerAndBody, p.stanzas);
    const at = holders.indexOf(phone) * STANZA_BYTES;
    return {
      kekFrom: phoneKeys.get(p.sender, 1)!,
      h,
      unwrapNonce: h.subarray(0, WRAP_NONCE_BYTES),
      wrapped: p.stanzas.subarray(at + 20, at + STANZA_BYTES),
      grantNonce: labelledHash(suite, LABELS.grantNonceV2, 24, h),
    };
  });
  const floorOne = (x: (typeof floorInputs)[number]): Uint8Array => {
    const key = suite.aeadDecrypt(x.kekFrom, x.unwrapNonce, x.wrapped, x.h)!;
    return suite.aeadEncrypt(kekTo, x.grantNonce, key, x.h);
  };
  // The floor plus the two hashes the grant format makes every grant compute: the envelope
  // hash H (AAD and nonce source of both AEADs) and the grant nonce derived from H.
  const stanzaBytes = holders.length * STANZA_BYTES;
  const hashedFloorOne = (bytes: Uint8Array, x: (typeof floorInputs)[number]): Uint8Array => {
    const h = envelopeHash(suite, account, bytes.subarray(0, bytes.length - stanzaBytes), bytes.subarray(bytes.length - stanzaBytes));
    const key = suite.aeadDecrypt(x.kekFrom, h.subarray(0, WRAP_NONCE_BYTES), x.wrapped, h)!;
    return suite.aeadEncrypt(kekTo, labelledHash(suite, LABELS.grantNonceV2, 24, h), key, h);
  };
  const grantOne = (bytes: Uint8Array): Uint8Array => grantEnvelope(phone, account, phoneKeys, bytes, toTablet)!;
  for (const i of [0, 1, plan.records - 1]) {
    const wrapped = grantOne(envelopes[i]!).subarray(GRANT_BYTES - 48);
    check(equalBytes(wrapped, floorOne(floorInputs[i]!)) && equalBytes(wrapped, hashedFloorOne(envelopes[i]!, floorInputs[i]!)), `grant ${i} wraps what its floors wrap`);
  }

  log('enrollment: grants against their floor');
  const nextEnvelope = cycle(envelopes);
  const nextInput = cycle(floorInputs);
  const nextPair = cycle(envelopes.map((e, i) => [e, floorInputs[i]!] as const));
  const r = compareSync(
    {
      grant: () => grantOne(nextEnvelope()),
      floor: () => floorOne(nextInput()),
      hashedFloor: () => hashedFloorOne(...nextPair()),
    },
    { ...plan.grants, clock },
  );

  // One pass over the whole history, as a handoff makes it.
  const pass = startMeter();
  for (const e of envelopes) consume(grantOne(e));
  const whole = pass.stop();
  const wholeRate = (plan.records * 1000) / (clock === 'cpu' ? whole.cpuMs : whole.wallMs);
  const us = (rate: number): string => (1e6 / rate).toFixed(2);
  const breakdown =
    `per grant: ${us(r.grant.median)} µs; floor (2 AEADs) ${us(r.floor.median)} µs; floor + envelope hash + grant-nonce hash ` +
    `${us(r.hashedFloor.median)} µs, so the format alone puts the best possible grant at ${(r.floor.median / r.hashedFloor.median).toFixed(2)}x the floor`;
  return { r, wholeRate, breakdown, bytes: envelopes[0]!.length, recipients: holders.length };
}

/** The crypto calls the chain rules require, with their inputs, for the chain floor. */
interface FloorCheck {
  verify?: { sig: Uint8Array; message: Uint8Array; key: Uint8Array };
  probe?: Uint8Array;
  /** An X-Wing public key whose ML-KEM part gets FIPS 203's modulus check. */
  mlkem?: Uint8Array;
}

/** Genesis by one device, then adds, rotations and removals up to `length` entries. */
async function buildLongChain(length: number, suite: CryptoProvider): Promise<{ entries: Uint8Array[]; checks: FloorCheck[]; state: ChainState }> {
  let now = Date.now() - length;
  const first = await Device.generate();
  const genesis = createGenesis(first, { now });
  const encoded: EncodedEntry[] = [genesis];
  let state = genesisState(suite, genesis);
  let active: Device[] = [first];
  const push = (entry: EncodedEntry): void => {
    state = applyEntry(suite, state, entry);
    encoded.push(entry);
  };
  const add = async (): Promise<void> => {
    const joining = await Device.generate();
    push(makeAdd(active[0]!, state, deviceKeys(joining), signConsent(joining, state.accountId), { now: ++now }));
    active.push(joining);
  };
  for (let k = 1; k < length; k++) {
    if (k < 5) {
      await add();
      continue;
    }
    const step = (k - 5) % 3;
    if (step === 0) await add();
    else if (step === 1) {
      const newest = active[active.length - 1]!;
      const rotated = newest.rotateEncryptionKey();
      push(makeRotate(rotated, state, EMPTY_LOG, ++now));
      active[active.length - 1] = rotated;
    } else {
      const [oldest, ...rest] = active;
      push(makeRemove(rest[rest.length - 1]!, state, oldest!.id, EMPTY_LOG, ++now));
      active = rest;
    }
  }

  const checks: FloorCheck[] = [];
  const card = (bytes: Uint8Array): void => {
    const identityKey = bytes.subarray(1, 33);
    const encryptionKey = bytes.subarray(33, 65);
    checks.push({ verify: { sig: bytes.subarray(65, 129), message: bindingMessage(identityKey, encryptionKey), key: identityKey }, probe: encryptionKey });
  };
  // An epoch-0 key statement: its signature, its X-Wing key's X25519 probe, its ML-KEM modulus check.
  const statement = (bytes: Uint8Array, identityKey: Uint8Array): void => {
    const signed = KEY_STATEMENT_BYTES - 64;
    const publicKey = bytes.subarray(21, signed);
    checks.push({
      verify: { sig: bytes.subarray(signed), message: labelled(LABELS.keyStatement, bytes.subarray(0, signed)), key: identityKey },
      probe: publicKey.subarray(publicKey.length - 32),
      mlkem: publicKey,
    });
  };
  // Signers are named by id; their identity keys come from the cards earlier entries carried.
  const identities = new Map<string, Uint8Array>();
  for (const { entry: e } of encoded) {
    const { sig, ...unsigned } = e as ChainEntry;
    if (e.dev !== undefined) card(e.dev);
    if (e.xk !== undefined) statement(e.xk, e.dev!.subarray(1, 33));
    const signer = e.t === 'genesis' ? e.dev!.subarray(1, 33) : identities.get(idKey(e.by!))!;
    checks.push({ verify: { sig, message: entrySigningBytes(e.t === 'genesis' ? undefined : state.accountId, unsigned), key: signer } });
    if (e.t === 'add') checks.push({ verify: { sig: e.ok!, message: consentBytes(state.accountId, e.dev!), key: e.dev!.subarray(1, 33) } });
    if (e.t === 'genesis' || e.t === 'add') identities.set(idKey(deviceIdOf(suite, e.dev!.subarray(1, 33))), e.dev!.subarray(1, 33));
  }
  return { entries: encoded.map((e) => e.bytes), checks, state };
}

async function runEnrollment({ quick, clock, log }: SectionOptions): Promise<SectionResult> {
  const plan = quick ? QUICK : FULL;
  const h = await handoff(plan, clock, log);

  log(`enrollment: building a chain of ${plan.chainEntries} entries`);
  const suite = (await Device.generate()).suite;
  const chain = await buildLongChain(plan.chainEntries, suite);
  check(replayChain(suite, chain.entries).length === plan.chainEntries, 'the chain replays to its length');
  const floorChecks = (): boolean => {
    let ok = true;
    for (const c of chain.checks) {
      if (c.verify !== undefined) ok = suite.ed25519Verify(c.verify.sig, c.verify.message, c.verify.key) && ok;
      if (c.probe !== undefined) ok = suite.x25519(PROBE, c.probe) !== null && ok;
      if (c.mlkem !== undefined) ok = mlkemKeyIsCanonical(c.mlkem) && ok;
    }
    return ok;
  };
  check(floorChecks(), 'every check of the chain floor passes');
  log('enrollment: chain verification against its floor');
  const c = compareSync({ verify: () => replayChain(suite, chain.entries), floor: floorChecks }, { ...plan.chain, clock });
  const entries = plan.chainEntries;
  const chainBytes = chain.entries.reduce((n, e) => n + e.length, 0);
  const verifies = chain.checks.filter((x) => x.verify !== undefined).length;
  const probes = chain.checks.filter((x) => x.probe !== undefined).length;
  const statements = chain.checks.filter((x) => x.mlkem !== undefined).length;

  const cases: BenchCase[] = [
    {
      name: 'handoff-grant',
      backend: 'sodium',
      devices: h.recipients,
      opsPerSec: round3(h.r.grant.median),
      floorOpsPerSec: round3(h.r.floor.median),
      bytes: GRANT_BYTES,
      note: `${plan.records} live records; one pass over all: ${round3(h.wholeRate)}/s`,
      hashedFloorOpsPerSec: round3(h.r.hashedFloor.median),
      ...detail(h.r.grant, h.r.floor),
    },
    {
      name: 'chain-verify',
      backend: 'sodium',
      devices: chain.state.devices.size,
      opsPerSec: round3(c.verify.median * entries),
      floorOpsPerSec: round3(c.floor.median * entries),
      bytes: Math.round(chainBytes / entries),
      note: `entries/s, ${entries}-entry chain; floor ${verifies} Ed25519 verifies + ${probes} X25519 + ${statements} ML-KEM key checks`,
      ...detail(c.verify, c.floor, entries),
    },
  ];
  return {
    cases,
    ratios: {
      handoff_vs_floor: round3(h.r.floor.median / h.r.grant.median),
      handoff_hashes_vs_floor: round3(h.r.floor.median / h.r.hashedFloor.median),
      handoff_grants_per_sec: round3(h.r.grant.median),
      chain_verify_entries_per_sec: round3(c.verify.median * entries),
      chain_verify_vs_floor: round3(c.floor.median / c.verify.median),
    },
    targets: [{ key: 'handoff_vs_floor', op: '<=', limit: 1.5, label: 'history grant within 1.5x of one unwrap + one wrap AEAD' }],
    notes: [
      `enrollment: handoff grants from one device to a new one over ${plan.records} records sealed for ${h.recipients} devices (${h.bytes} B each), ` +
        `interleaved slices, median; floor = the unwrap and wrap AEADs alone on the same inputs`,
      `enrollment: ${h.breakdown}`,
      `enrollment: chain-verify n = devices active at the end; bytes = mean entry size; chain of ${entries} entries replayed from genesis per op`,
    ],
  };
}

/** The enrollment section for run.ts. */
export const enrollmentSection: Section = { name: 'enrollment', run: runEnrollment };
