/**
 * Sync section (issue 3): push, then pull, 100k call records through the real server over HTTP
 * on loopback (createServer + HttpClient, 1,000 envelopes per push and per page), into SQLite
 * and into PostgreSQL, sealed for 5 devices, beside the same pipeline carrying plaintext; then
 * (replicaPull.ts) a `Replica` pulling into a SQLite replica beside its plaintext twin.
 *
 * Format 2: every push carries the pusher's signed log checkpoint claiming its envelopes, and
 * the pull returns each checkpoint before its envelopes. The sealed reader checks them as a
 * reader must before it uses a record: it decodes and verifies each checkpoint's signature, opens
 * each envelope, and checks the envelope's H against its claim. The plaintext baseline
 * (plainFrame.ts) is the same record CBOR, padded as seal pads it, in the smallest frame the
 * server accepts: header + padded body + 16-byte tag slot + one empty stanza (415 bytes against
 * 687 sealed), with the sealed twin's header fields; its pushes carry the checkpoint the server
 * requires (claims of the frames), which its reader skips. It pays every cost of the pipeline
 * (request signing and checking, the nonce store, CBOR bodies, envelope parsing, the server's
 * checkpoint and claim checks, the store's writes and reads, the reader's bounded CBOR decode)
 * and none of encryption's: no seal, no open, no wrapped keys on the wire or on disk, no
 * checkpoint verification on the reader's side.
 *
 * Everything is sealed or framed, and every checkpoint signed, before the clock starts, as issue
 * 3 asks, so push compares moving and storing the bytes; open and the checks are inside the pull
 * timing (a reader must do them). The seal row gives seal's own rate with the checkpoints signed,
 * to read push + seal together, and a per-record comparison of open against the plaintext decode
 * shows how much of the pull gap is crypto. Server and client share this process (and its two
 * cores), as on a loopback deployment.
 *
 * Rates are records per CPU-second by default: this process plus, for PostgreSQL, the cluster's
 * processes (meters.ts), so work moved out of process is still counted; `--clock wall` switches
 * to wall time; both are in the JSON. Each run gets a fresh database, after an untimed warm-up
 * run of each variant.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device } from '../src/core/device.js';
import { idKey } from '../src/core/devicePublic.js';
import { decodeCheckpoint, isCheckpoint, NO_PREVIOUS, signCheckpoint, verifyCheckpointSignature, type Checkpoint, type PairKeyOffer } from '../src/core/logCheckpoint.js';
import { open } from '../src/core/open.js';
import { sealEnvelope } from '../src/core/seal.js';
import { equalBytes } from '../src/crypto/bytes.js';
import { PostgresStore } from '../src/storage/postgresStore.js';
import { SqliteStore } from '../src/storage/sqliteStore.js';
import type { Store } from '../src/storage/store.js';
import { encodeClock } from '../src/sync/hlc.js';
import { bodyToWire } from '../src/sync/recordBody.js';
import { createDatabase, startPostgres, type PostgresCluster } from '../test/support/postgres.js';
import { callAt } from './calls.js';
import { compareSync, consume, median, round3, type BenchCase, type Section, type SectionOptions, type SectionResult } from './harness.js';
import { buildChain, createOnServer, startLoopback, type PrebuiltChain } from './loopback.js';
import { peakRssMiB, postgresCpuReader, resetPeakRss, rssMiB, sampleRss, startMeter, type Elapsed } from './meters.js';
import { BenchKeys } from './pairKeys.js';
import { plainFrame, plainLog, readPlainFrame } from './plainFrame.js';
import { replicaPull, type ReplicaPullResult } from './replicaPull.js';

const DEVICES = 5;
const DAY_MS = 86_400_000;

interface Plan {
  records: number;
  /** Envelopes per push (the server's default maximum is 1,000). */
  batch: number;
  /** Envelopes per pull page (the API's maximum is 1,000). */
  page: number;
  /** Timed runs per variant and store; variants alternate (AB, then BA). */
  rounds: number;
  /** Records in the untimed warm-up run of each variant. */
  warmupRecords: number;
  /** Slices of the per-record open-versus-decode comparison. */
  decode: { sliceMs: number; rounds: number; warmupMs: number };
  /** Records a replica pulls per round, and rounds (replicaPull.ts). */
  replica: { records: number; rounds: number; warmup: number };
}

const FULL: Plan = {
  records: 100_000,
  batch: 1000,
  page: 1000,
  rounds: 1,
  warmupRecords: 5_000,
  decode: { sliceMs: 200, rounds: 5, warmupMs: 200 },
  replica: { records: 10_000, rounds: 3, warmup: 2_000 },
};
const QUICK: Plan = {
  records: 2_000,
  batch: 500,
  page: 500,
  rounds: 1,
  warmupRecords: 1_000,
  decode: { sliceMs: 40, rounds: 1, warmupMs: 20 },
  replica: { records: 1_000, rounds: 1, warmup: 200 },
};

type Variant = 'sealed' | 'plain';
const VARIANTS: readonly Variant[] = ['sealed', 'plain'];

/** What one push-then-pull run measured. */
interface Run {
  push: Elapsed;
  pull: Elapsed;
  rssBeforeMiB: number;
  peakRssMiB: number;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/** One push: the pusher's checkpoint and the envelopes it claims. */
interface Batch {
  log: Uint8Array;
  envelopes: Uint8Array[];
}

/**
 * Cuts `envelopes` into pushes of `size`, each with the pusher's next checkpoint (position 1, 2,
 * … of a fresh log, so the same batches serve every fresh database); `logOf` signs it.
 */
function batches(envelopes: readonly Uint8Array[], size: number, logOf: (position: number, prev: Uint8Array, envelopes: Uint8Array[]) => Checkpoint): Batch[] {
  const out: Batch[] = [];
  let prev: Uint8Array = NO_PREVIOUS;
  for (let i = 0; i < envelopes.length; i += size) {
    const slice = envelopes.slice(i, i + size);
    const log = logOf(out.length + 1, prev, slice);
    prev = log.hash;
    out.push({ log: log.bytes, envelopes: slice });
  }
  return out;
}

/** Copies `list` into one buffer and returns views of it (one allocation instead of 100k). */
function packed(list: readonly Uint8Array[]): Uint8Array[] {
  const all = new Uint8Array(list.reduce((n, b) => n + b.length, 0));
  let at = 0;
  return list.map((b) => {
    all.set(b, at);
    at += b.length;
    return all.subarray(at - b.length, at);
  });
}

/** A store per backend: each run gets a fresh, empty database. */
interface Backend {
  name: 'sqlite' | 'postgres';
  open(): Promise<{ store: Store; cleanup(): Promise<void> }>;
  /** CPU of processes outside this one that do the store's work. */
  extraCpuMs?: () => number;
}

function sqliteBackend(dir: string): Backend {
  let n = 0;
  return {
    name: 'sqlite',
    async open() {
      const path = join(dir, `sync-${++n}.sqlite`);
      // The library's defaults: WAL, synchronous = FULL, default quotas.
      const store = await SqliteStore.open(path);
      return { store, cleanup: async () => rmSync(path, { force: true }) };
    },
  };
}

async function postgresBackend(cluster: PostgresCluster): Promise<Backend> {
  const extraCpuMs = await postgresCpuReader(cluster.connectionString);
  return {
    name: 'postgres',
    ...(extraCpuMs === undefined ? {} : { extraCpuMs }),
    async open() {
      const db = await createDatabase(cluster.connectionString);
      const store = await PostgresStore.connect(db.connectionString);
      return { store, cleanup: () => db.drop() };
    },
  };
}

/** Pushes every batch, then pulls everything back in pages, reading each item with `read`. */
async function runOnce(
  backend: Backend,
  chain: PrebuiltChain,
  pusher: Device,
  pushes: readonly Batch[],
  read: (bytes: Uint8Array) => unknown,
  plan: Plan,
): Promise<Run> {
  const { store, cleanup } = await backend.open();
  const loop = await startLoopback(store);
  const envelopes = pushes.reduce((n, b) => n + b.envelopes.length, 0);
  try {
    const client = loop.client(pusher);
    await createOnServer(client, chain);
    const rssBeforeMiB = rssMiB();
    const sampler = resetPeakRss() ? undefined : sampleRss();

    const pushMeter = startMeter(backend.extraCpuMs);
    let stored = 0;
    for (const b of pushes) {
      const outcomes = await client.push(b.envelopes, b.log);
      for (const o of outcomes) if (o === 'stored') stored++;
    }
    const push = pushMeter.stop();
    check(stored === envelopes, `${backend.name}: stored ${stored} of ${envelopes}`);

    const pullMeter = startMeter(backend.extraCpuMs);
    let cursor = 0;
    let pulled = 0;
    for (;;) {
      const page = await client.pull(cursor, plan.page);
      for (const bytes of page.items) consume(read(bytes));
      pulled += page.items.length;
      cursor = page.cursor;
      if (!page.more) break;
    }
    const pull = pullMeter.stop();
    check(pulled === envelopes + pushes.length, `${backend.name}: pulled ${pulled} items, expected ${envelopes} envelopes and ${pushes.length} checkpoints`);
    return { push, pull, rssBeforeMiB, peakRssMiB: sampler === undefined ? peakRssMiB() : sampler.stop() };
  } finally {
    await loop.close();
    await cleanup();
  }
}

const perSec = (records: number, e: Elapsed, clock: 'cpu' | 'wall'): number =>
  (records * 1000) / Math.max(clock === 'cpu' ? e.cpuMs : e.wallMs, 1e-3);

async function runSync({ quick, clock, log }: SectionOptions): Promise<SectionResult> {
  const plan = quick ? QUICK : FULL;
  const n = plan.records;
  const devices: Device[] = [];
  for (let i = 0; i < DEVICES; i++) devices.push(await Device.generate());
  const pusher = devices[0]!;
  const reader = devices[DEVICES - 1]!;
  // kek(pusher→d, 1) for every device, published by the pusher's first checkpoint.
  const keys = BenchKeys.between([pusher], devices);
  const recipients = keys.recipients(pusher, devices.map((d) => d.public));
  const lookup = keys.lookup(reader);
  const chain = buildChain(devices);
  const accountId = chain.state.accountId;
  const head = chain.state.head;
  const expiryDay = Math.floor(Date.now() / DAY_MS) + 121;
  const bodyOf = (i: number): Record<string, unknown> => bodyToWire({ collection: 'calls', sortTime: callAt(i).startedAt, value: callAt(i), clock: encodeClock({ ms: callAt(i).startedAt, counter: 0 }) });
  const logFields = (position: number, prev: Uint8Array) => ({ sender: pusher.id, position, prev, chainHead: head, time: Date.now(), purges: [], seen: [] });

  log(`sync: sealing ${n} records for ${DEVICES} devices and signing their checkpoints`);
  const sealMeter = startMeter();
  const sealedList: Uint8Array[] = [];
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const sealed = sealEnvelope(pusher, accountId, recipients, { body: bodyOf(i), revision: 1, expiryDay });
    sealed.contentKey.fill(0);
    sealedList.push(sealed.bytes);
    hashes.push(sealed.hash);
  }
  const offers: PairKeyOffer[] = keys.offers(pusher);
  let hashAt = 0;
  const sealedPushes = batches(packed(sealedList), plan.batch, (position, prev, slice) =>
    signCheckpoint(pusher, accountId, {
      ...logFields(position, prev),
      claims: slice.map((env) => ({ recordId: env.subarray(3, 19), revision: 1, kind: 'record' as const, expiryDay, hash: hashes[hashAt++]! })),
      pairKeys: position === 1 ? offers : [],
    }),
  );
  const sealTime = sealMeter.stop();
  sealedList.length = 0;
  hashes.length = 0;
  const sealed = sealedPushes.flatMap((b) => b.envelopes);
  // The same header fields as the sealed twin (record id included), so the server does the same work.
  const plain = packed(
    sealed.map((env, i) => plainFrame({ kind: 'record', recordId: env.subarray(3, 19), revision: 1, sender: pusher.id, expiryDay }, bodyOf(i), 1)),
  );
  const plainPushes = batches(plain, plan.batch, (position, prev, slice) => plainLog(pusher, accountId, head, position, prev, slice));
  const pushes: Record<Variant, Batch[]> = { sealed: sealedPushes, plain: plainPushes };

  // The sealed reader: checkpoints decoded and verified (their claims kept), envelopes opened and
  // matched to their claim. The plain reader skips checkpoints and decodes the frames.
  const claimed = new Map<string, Uint8Array>();
  const readSealed = (b: Uint8Array): unknown => {
    if (isCheckpoint(b)) {
      const cp = decodeCheckpoint(pusher.suite, accountId, b);
      verifyCheckpointSignature(pusher.suite, accountId, cp, pusher.public.identityKey);
      for (const c of cp.claims) claimed.set(idKey(c.recordId), c.hash);
      return cp;
    }
    const opened = open(reader, accountId, lookup, b);
    if (opened === null) throw new Error('a sealed envelope has no stanza for the reader');
    const claim = claimed.get(idKey(opened.recordId));
    if (claim === undefined || !equalBytes(claim, opened.hash)) throw new Error('a pulled envelope is not the one its checkpoint claims');
    return opened.body;
  };
  const readers: Record<Variant, (b: Uint8Array) => unknown> = {
    sealed: readSealed,
    plain: (b) => (isCheckpoint(b) ? null : readPlainFrame(b).value),
  };
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  readSealed(sealedPushes[sealedPushes.length - 1]!.log);
  check(same(readSealed(sealed[n - 1]!), bodyOf(n - 1)), 'open(seal) round trip');
  check(same(readers.plain(plain[n - 1]!), bodyOf(n - 1)), 'plain frame round trip');

  const dir = mkdtempSync(join(tmpdir(), 'mks-bench-sync-'));
  const runs = new Map<string, Run[]>();
  const notes: string[] = [];
  let cluster: PostgresCluster | undefined;
  let replica: ReplicaPullResult;
  try {
    const backends: Backend[] = [sqliteBackend(dir)];
    try {
      log('sync: starting PostgreSQL');
      cluster = await startPostgres();
      backends.push(await postgresBackend(cluster));
    } catch (error) {
      notes.push(`sync: PostgreSQL unavailable, its rows are missing: ${(error as Error).message.split('\n')[0]}`);
    }
    for (const backend of backends) {
      // An untimed run of each variant first, so the first measured run meets optimised code.
      for (const variant of VARIANTS) {
        log(`sync: ${backend.name} ${variant} warm-up`);
        await runOnce(backend, chain, pusher, pushes[variant].slice(0, Math.ceil(plan.warmupRecords / plan.batch)), readers[variant], plan);
      }
      for (let r = 0; r < plan.rounds; r++) {
        for (const variant of r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
          log(`sync: ${backend.name} ${variant} run ${r + 1}/${plan.rounds}`);
          const key = `${backend.name}/${variant}`;
          runs.set(key, [...(runs.get(key) ?? []), await runOnce(backend, chain, pusher, pushes[variant], readers[variant], plan)]);
        }
      }
    }
    replica = await replicaPull(plan.replica, dir, clock, log);
  } finally {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  log('sync: open against the plaintext decode, per record');
  const next = (list: Uint8Array[]): (() => Uint8Array) => {
    let i = 0;
    return () => list[i++ % list.length]!;
  };
  const nextSealed = next(sealed);
  const nextPlain = next(plain);
  const decode = compareSync({ open: () => readers.sealed(nextSealed()), plain: () => readers.plain(nextPlain()) }, { ...plan.decode, clock });

  const rateOf = (key: string, phase: 'push' | 'pull' | 'both', on: 'cpu' | 'wall' = clock): number =>
    median(
      (runs.get(key) ?? []).map((r) =>
        perSec(n, phase === 'both' ? { wallMs: r.push.wallMs + r.pull.wallMs, cpuMs: r.push.cpuMs + r.pull.cpuMs } : r[phase], on),
      ),
    );
  const samples = (key: string, phase: 'push' | 'pull', on: 'cpu' | 'wall'): number[] => (runs.get(key) ?? []).map((r) => round3(perSec(n, r[phase], on)));
  const cases: BenchCase[] = [];
  const ratios: Record<string, number> = {};
  const sizes = { sealed: sealed[0]!.length, plain: plain[0]!.length };
  for (const store of ['sqlite', 'postgres'] as const) {
    if (!runs.has(`${store}/sealed`)) continue;
    for (const phase of ['push', 'pull'] as const) {
      const ours = rateOf(`${store}/sealed`, phase);
      const floor = rateOf(`${store}/plain`, phase);
      cases.push({
        name: `sync-${phase}`,
        backend: store,
        devices: DEVICES,
        opsPerSec: round3(ours),
        floorOpsPerSec: round3(floor),
        bytes: sizes.sealed,
        note: `${round3(ours / floor)}x plaintext (${sizes.plain}-byte frame)`,
        wallOpsPerSec: round3(rateOf(`${store}/sealed`, phase, 'wall')),
        wallFloorOpsPerSec: round3(rateOf(`${store}/plain`, phase, 'wall')),
        cpuSamples: samples(`${store}/sealed`, phase, 'cpu'),
        wallSamples: samples(`${store}/sealed`, phase, 'wall'),
        floorCpuSamples: samples(`${store}/plain`, phase, 'cpu'),
        floorWallSamples: samples(`${store}/plain`, phase, 'wall'),
      });
      ratios[`sync_${phase}_vs_plain_${store}`] = round3(ours / floor);
      ratios[`sync_${phase}_records_per_sec_${store}`] = round3(ours);
    }
    // A record synced = pushed once and pulled once: records over push + pull time.
    ratios[`sync_records_per_sec_${store}`] = round3(rateOf(`${store}/sealed`, 'both'));
    ratios[`sync_plain_records_per_sec_${store}`] = round3(rateOf(`${store}/plain`, 'both'));
  }
  const sqliteRuns = runs.get('sqlite/sealed') ?? [];
  if (sqliteRuns.length > 0) {
    ratios.sync_stream_peak_rss_mib = round3(Math.max(...sqliteRuns.map((r) => r.peakRssMiB)));
    ratios.sync_stream_rss_growth_mib = round3(Math.max(...sqliteRuns.map((r) => r.peakRssMiB - r.rssBeforeMiB)));
  }
  cases.push(
    {
      name: 'sync-open',
      backend: 'sodium',
      devices: DEVICES,
      opsPerSec: round3(decode.open.median),
      floorOpsPerSec: round3(decode.plain.median),
      bytes: sizes.sealed,
      note: 'per record: open() + its claim check vs parse + unpad + the same CBOR decode',
      cpuSamples: decode.open.cpu.map(round3),
      floorCpuSamples: decode.plain.cpu.map(round3),
    },
    {
      name: 'sync-seal',
      backend: 'sodium',
      devices: DEVICES,
      opsPerSec: round3(perSec(n, sealTime, clock)),
      bytes: sizes.sealed,
      note: 'seal + the checkpoints, one pass before the runs (not in the push timing)',
    },
    replica.row,
  );
  Object.assign(ratios, replica.ratios);

  const unit = clock === 'cpu' ? 'records per CPU-second (this process + the PostgreSQL cluster)' : 'records per wall-clock second';
  return {
    cases,
    ratios,
    targets: [
      { key: 'sync_push_vs_plain_sqlite', op: '>=', limit: 0.5, label: 'sealed push >= 0.5x plaintext push (HTTP + SQLite)' },
      { key: 'sync_pull_vs_plain_sqlite', op: '>=', limit: 0.5, label: 'sealed pull + checks + open >= 0.5x plaintext pull + decode (HTTP + SQLite)' },
      { key: 'pull_vs_plain_sqlite', op: '>=', limit: 0.6, label: 'a Replica pulling into SQLite, checkpoints verified, >= 0.6x its plaintext twin' },
    ],
    notes: [
      `sync: ${n} call records sealed for ${DEVICES} devices, push ${plan.batch}/request, pull ${plan.page}/page, server + client in this process; ${unit}; ` +
        `${plan.rounds} run(s) per variant and store after a ${plan.warmupRecords}-record warm-up, a fresh database each`,
      `sync: floor column = the plaintext pipeline in the same run: the record's padded CBOR in a ${sizes.plain}-byte frame ` +
        `(header, body, 16-byte tag slot, one empty stanza), no crypto; sealed envelopes are ${sizes.sealed} bytes`,
      'sync: push moves pre-sealed bytes with pre-signed checkpoints (seal is the sync-seal row); pull includes, for sealed, each checkpoint decoded ' +
        'and verified and each envelope opened and matched to its claim, for plaintext, unpad + the same CBOR decode (checkpoints skipped)',
      'sync: SQLite = library defaults (WAL, synchronous=FULL); PostgreSQL = test/support/postgres.ts cluster (fsync=off, synchronous_commit=off)',
      `sync: peak RSS while streaming (SQLite, sealed, server + client): ${ratios.sync_stream_peak_rss_mib ?? '-'} MiB, ` +
        `${ratios.sync_stream_rss_growth_mib ?? '-'} MiB above the RSS before the first push (which holds the ${n} pre-built envelopes of both variants)`,
      replica.note,
      ...notes,
    ],
  };
}

/** The sync section for run.ts. */
export const syncSection: Section = { name: 'sync', run: runSync };
