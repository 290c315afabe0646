/**
 * Sync section (issue 3): push, then pull, 100k call records through the real server over HTTP
 * on loopback (createServer + HttpClient, 1,000 envelopes per push and per page), into SQLite
 * and into PostgreSQL, sealed for 5 devices, beside the same pipeline carrying plaintext.
 *
 * The plaintext baseline (plainFrame.ts) is the same record CBOR, padded as seal pads it, in the
 * smallest frame the server accepts: header + padded body + 16-byte tag slot + one empty stanza
 * (415 bytes against 671 sealed), with the sealed twin's header fields. It pays every cost of
 * the pipeline (request signing and checking, the nonce store, CBOR bodies, envelope parsing,
 * the store's writes and reads, the reader's bounded CBOR decode) and none of encryption's: no
 * seal, no open, no wrapped keys on the wire or on disk.
 *
 * Everything is sealed or framed before the clock starts, as issue 3 asks, so push compares
 * moving and storing the bytes; open is inside the pull timing (a reader must open what it
 * pulls). The seal row gives seal's own rate, to read push + seal together, and a per-record
 * comparison of open against the plaintext decode shows how much of the pull gap is crypto.
 * Server and client share this process (and its two cores), as on a loopback deployment.
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
import { DeviceDirectory } from '../src/core/deviceDirectory.js';
import { open } from '../src/core/open.js';
import { seal } from '../src/core/seal.js';
import { PostgresStore } from '../src/storage/postgresStore.js';
import { SqliteStore } from '../src/storage/sqliteStore.js';
import type { Store } from '../src/storage/store.js';
import { bodyToWire } from '../src/sync/recordBody.js';
import { createDatabase, startPostgres, type PostgresCluster } from '../test/support/postgres.js';
import { callAt } from './calls.js';
import { compareSync, consume, median, round3, type BenchCase, type Section, type SectionOptions, type SectionResult } from './harness.js';
import { buildChain, createOnServer, startLoopback, type PrebuiltChain } from './loopback.js';
import { peakRssMiB, postgresCpuReader, resetPeakRss, rssMiB, sampleRss, startMeter, type Elapsed } from './meters.js';
import { plainFrame, readPlainFrame } from './plainFrame.js';

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
}

const FULL: Plan = { records: 100_000, batch: 1000, page: 1000, rounds: 1, warmupRecords: 5_000, decode: { sliceMs: 200, rounds: 5, warmupMs: 200 } };
const QUICK: Plan = { records: 2_000, batch: 500, page: 500, rounds: 1, warmupRecords: 1_000, decode: { sliceMs: 40, rounds: 1, warmupMs: 20 } };

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

/** Pushes every envelope in batches, then pulls them all back in pages, decoding each one. */
async function runOnce(
  backend: Backend,
  chain: PrebuiltChain,
  pusher: Device,
  envelopes: readonly Uint8Array[],
  decode: (bytes: Uint8Array) => unknown,
  plan: Plan,
): Promise<Run> {
  const { store, cleanup } = await backend.open();
  const loop = await startLoopback(store);
  try {
    const client = loop.client(pusher);
    await createOnServer(client, chain);
    const rssBeforeMiB = rssMiB();
    const sampler = resetPeakRss() ? undefined : sampleRss();

    const pushMeter = startMeter(backend.extraCpuMs);
    let stored = 0;
    for (let i = 0; i < envelopes.length; i += plan.batch) {
      const outcomes = await client.push(envelopes.slice(i, i + plan.batch));
      for (const o of outcomes) if (o === 'stored') stored++;
    }
    const push = pushMeter.stop();
    check(stored === envelopes.length, `${backend.name}: stored ${stored} of ${envelopes.length}`);

    const pullMeter = startMeter(backend.extraCpuMs);
    let cursor = 0;
    let pulled = 0;
    for (;;) {
      const page = await client.pull(cursor, plan.page);
      for (const bytes of page.envelopes) consume(decode(bytes));
      pulled += page.envelopes.length;
      cursor = page.cursor;
      if (!page.more) break;
    }
    const pull = pullMeter.stop();
    check(pulled === envelopes.length, `${backend.name}: pulled ${pulled} of ${envelopes.length}`);
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
  const cards = devices.map((d) => d.public);
  const directory = new DeviceDirectory(cards);
  const chain = buildChain(devices);
  const accountId = chain.state.accountId;
  const head = chain.state.head;
  const expiryDay = Math.floor(Date.now() / DAY_MS) + 121;
  const bodyOf = (i: number): Record<string, unknown> => bodyToWire({ collection: 'calls', sortTime: callAt(i).startedAt, value: callAt(i) });

  log(`sync: sealing ${n} records for ${DEVICES} devices`);
  const sealMeter = startMeter();
  const sealedList: Uint8Array[] = [];
  for (let i = 0; i < n; i++) sealedList.push(seal(pusher, accountId, cards, { body: bodyOf(i), revision: 1, sequence: i + 1, chainHead: head, expiryDay }));
  const sealTime = sealMeter.stop();
  const sealed = packed(sealedList);
  sealedList.length = 0;
  // The same header fields as the sealed twin (record id included), so the server does the same work.
  const plain = packed(
    sealed.map((env, i) =>
      plainFrame({ kind: 'record', recordId: env.subarray(3, 19), revision: 1, sender: pusher.id, sequence: i + 1, chainHead: head, expiryDay }, bodyOf(i), 1),
    ),
  );
  const payloads: Record<Variant, Uint8Array[]> = { sealed, plain };
  const decoders: Record<Variant, (b: Uint8Array) => unknown> = {
    sealed: (b) => {
      const opened = open(reader, accountId, directory, b);
      if (opened === null) throw new Error('a sealed envelope has no stanza for the reader');
      return opened.body;
    },
    plain: (b) => readPlainFrame(b).value,
  };
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  check(same(decoders.sealed(sealed[n - 1]!), bodyOf(n - 1)), 'open(seal) round trip');
  check(same(decoders.plain(plain[n - 1]!), bodyOf(n - 1)), 'plain frame round trip');

  const dir = mkdtempSync(join(tmpdir(), 'mks-bench-sync-'));
  const runs = new Map<string, Run[]>();
  const notes: string[] = [];
  let cluster: PostgresCluster | undefined;
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
        await runOnce(backend, chain, pusher, payloads[variant].slice(0, plan.warmupRecords), decoders[variant], plan);
      }
      for (let r = 0; r < plan.rounds; r++) {
        for (const variant of r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
          log(`sync: ${backend.name} ${variant} run ${r + 1}/${plan.rounds}`);
          const key = `${backend.name}/${variant}`;
          runs.set(key, [...(runs.get(key) ?? []), await runOnce(backend, chain, pusher, payloads[variant], decoders[variant], plan)]);
        }
      }
    }
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
  const decode = compareSync({ open: () => decoders.sealed(nextSealed()), plain: () => decoders.plain(nextPlain()) }, { ...plan.decode, clock });

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
      note: 'per record: open() vs parse + unpad + the same CBOR decode',
      cpuSamples: decode.open.cpu.map(round3),
      floorCpuSamples: decode.plain.cpu.map(round3),
    },
    {
      name: 'sync-seal',
      backend: 'sodium',
      devices: DEVICES,
      opsPerSec: round3(perSec(n, sealTime, clock)),
      bytes: sizes.sealed,
      note: 'one pass over the records before the runs (not in the push timing)',
    },
  );

  const unit = clock === 'cpu' ? 'records per CPU-second (this process + the PostgreSQL cluster)' : 'records per wall-clock second';
  return {
    cases,
    ratios,
    targets: [
      { key: 'sync_push_vs_plain_sqlite', op: '>=', limit: 0.5, label: 'sealed push >= 0.5x plaintext push (HTTP + SQLite)' },
      { key: 'sync_pull_vs_plain_sqlite', op: '>=', limit: 0.5, label: 'sealed pull + open >= 0.5x plaintext pull + decode (HTTP + SQLite)' },
    ],
    notes: [
      `sync: ${n} call records sealed for ${DEVICES} devices, push ${plan.batch}/request, pull ${plan.page}/page, server + client in this process; ${unit}; ` +
        `${plan.rounds} run(s) per variant and store after a ${plan.warmupRecords}-record warm-up, a fresh database each`,
      `sync: floor column = the plaintext pipeline in the same run: the record's padded CBOR in a ${sizes.plain}-byte frame ` +
        `(header, body, 16-byte tag slot, one empty stanza), no crypto; sealed envelopes are ${sizes.sealed} bytes`,
      'sync: push moves pre-sealed bytes (seal is the sync-seal row); pull includes open() for sealed, unpad + the same CBOR decode for plaintext',
      'sync: SQLite = library defaults (WAL, synchronous=FULL); PostgreSQL = test/support/postgres.ts cluster (fsync=off, synchronous_commit=off)',
      `sync: peak RSS while streaming (SQLite, sealed, server + client): ${ratios.sync_stream_peak_rss_mib ?? '-'} MiB, ` +
        `${ratios.sync_stream_rss_growth_mib ?? '-'} MiB above the RSS before the first push (which holds the ${n} pre-built envelopes of both variants)`,
      ...notes,
    ],
  };
}

/** The sync section for run.ts. */
export const syncSection: Section = { name: 'sync', run: runSync };
