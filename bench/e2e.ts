/**
 * End-to-end section (issue 5): three devices of one account, paired by QR through the real
 * server on SQLite (library defaults: WAL, synchronous = FULL), each with a `Replica` on a
 * `MemoryLocalStore`. One device writes 10,000 calls (`calls.put`) and syncs, then the other two
 * sync and hold them all; the figure is records per second over that whole flow. Beside it, in
 * the same run and on the same server, a second account of three devices runs the same flow
 * with encryption off (plainReplica.ts says exactly what that keeps and drops). Each round
 * writes 10,000 new calls per flow, the flows alternate (AB, BA, AB), and the median is kept.
 *
 * Then the memory figure (bigPull.ts): a device pulls 1,000,000 records (20,000 with --quick)
 * in a child process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpClient } from '../src/client/httpClient.js';
import type { CallRecord } from '../src/core/callRecord.js';
import type { Account } from '../src/enrollment/account.js';
import { SqliteStore } from '../src/storage/sqliteStore.js';
import { callLogOptions } from '../src/sync/callLog.js';
import type { Collection } from '../src/sync/collection.js';
import { MemoryLocalStore } from '../src/sync/memoryLocalStore.js';
import { Replica } from '../src/sync/replica.js';
import { bigPull } from './bigPull.js';
import { callAt } from './calls.js';
import { median, round3, type BenchCase, type Section, type SectionOptions, type SectionResult } from './harness.js';
import { pairedAccounts, settle, startLoopback } from './loopback.js';
import { startMeter, type Elapsed } from './meters.js';
import { PlainReplica } from './plainReplica.js';

interface Plan {
  records: number;
  rounds: number;
  /** Calls written in the untimed warm-up flow of each kind. */
  warmup: number;
  /** Records the child device pulls for the memory figure. */
  bigPull: number;
}

const FULL: Plan = { records: 10_000, rounds: 3, warmup: 1_000, bigPull: 1_000_000 };
const QUICK: Plan = { records: 1_000, rounds: 1, warmup: 200, bigPull: 20_000 };

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

type Kind = 'sealed' | 'plain';
const KINDS: readonly Kind[] = ['sealed', 'plain'];
const STEPS = ['put', 'writerSync', 'readersSync'] as const;

/** One device as a flow drives it: write a call, sync, count what it holds. */
interface FlowDevice {
  put(call: CallRecord): Promise<unknown>;
  sync(): Promise<unknown>;
  count(): Promise<number>;
}

/** The time of each step of one flow. */
interface FlowTimes {
  put: Elapsed;
  writerSync: Elapsed;
  readersSync: Elapsed;
  total: Elapsed;
}

function sealedDevice(replica: Replica): FlowDevice {
  const calls: Collection<CallRecord> = replica.collection('calls', callLogOptions());
  return { put: (c) => calls.put(c), sync: () => replica.sync(), count: () => calls.count() };
}

function plainDevice(account: Account<HttpClient>): FlowDevice {
  const store = new MemoryLocalStore();
  const replica = new PlainReplica<CallRecord>(account, store, 'calls', callLogOptions());
  return { put: (c) => replica.put(c), sync: () => replica.sync(), count: () => store.countRecords('calls') };
}

/** Writes `count` calls on the first device; the writer syncs, then each reader syncs. */
async function flow(devices: FlowDevice[], from: number, count: number): Promise<FlowTimes> {
  const [writer, ...readers] = devices as [FlowDevice, ...FlowDevice[]];
  const total = startMeter();
  let step = startMeter();
  for (let i = 0; i < count; i++) await writer.put(callAt(from + i));
  const put = step.stop();
  await settle(); // no CPU, and 50 ms of wall time in the total of both kinds alike
  step = startMeter();
  await writer.sync();
  const writerSync = step.stop();
  step = startMeter();
  for (const r of readers) await r.sync();
  const readersSync = step.stop();
  const times = { put, writerSync, readersSync, total: total.stop() };
  for (const d of devices) {
    const held = await d.count();
    check(held === from + count, `a device holds ${held} calls, expected ${from + count}`);
  }
  return times;
}

const perSec = (records: number, e: Elapsed, clock: 'cpu' | 'wall'): number => (records * 1000) / Math.max(clock === 'cpu' ? e.cpuMs : e.wallMs, 1e-3);

async function runE2e({ quick, clock, log }: SectionOptions): Promise<SectionResult> {
  const plan = quick ? QUICK : FULL;
  const dir = mkdtempSync(join(tmpdir(), 'mks-bench-e2e-'));
  const cases: BenchCase[] = [];
  const ratios: Record<string, number> = {};
  const notes: string[] = [];
  try {
    const loop = await startLoopback(await SqliteStore.open(join(dir, 'server.sqlite')));
    try {
      log('e2e: pairing two accounts of three devices by QR');
      const sealedAccounts = await pairedAccounts(loop, 3);
      const plainAccounts = await pairedAccounts(loop, 3);
      const recipients = sealedAccounts[0]!.chain.activeDevices().length;
      const flows: Record<Kind, FlowDevice[]> = { sealed: [], plain: plainAccounts.map(plainDevice) };
      for (const account of sealedAccounts) flows.sealed.push(sealedDevice(await Replica.open({ account, store: new MemoryLocalStore() })));
      const written: Record<Kind, number> = { sealed: 0, plain: 0 };
      const times: Record<Kind, FlowTimes[]> = { sealed: [], plain: [] };
      const run = async (kind: Kind, count: number): Promise<FlowTimes> => {
        const t = await flow(flows[kind], written[kind], count);
        written[kind] += count;
        return t;
      };
      for (const kind of KINDS) {
        log(`e2e: ${kind} warm-up`);
        await run(kind, plan.warmup);
      }
      for (let r = 0; r < plan.rounds; r++) {
        for (const kind of r % 2 === 0 ? KINDS : [...KINDS].reverse()) {
          log(`e2e: ${kind} round ${r + 1}/${plan.rounds}`);
          times[kind].push(await run(kind, plan.records));
        }
      }

      const n = plan.records;
      const rateOf = (kind: Kind, step: keyof FlowTimes, on: 'cpu' | 'wall' = clock): number => median(times[kind].map((t) => perSec(n, t[step], on)));
      const samples = (kind: Kind, on: 'cpu' | 'wall'): number[] => times[kind].map((t) => round3(perSec(n, t.total, on)));
      const ours = rateOf('sealed', 'total');
      const floor = rateOf('plain', 'total');
      ratios.sync_e2e_vs_plain = round3(ours / floor);
      ratios.sync_e2e_records_per_sec = round3(ours);
      ratios.sync_e2e_plain_records_per_sec = round3(floor);
      const steps = STEPS.map((s) => `${s} ${round3(rateOf('sealed', s))} vs ${round3(rateOf('plain', s))}`);
      cases.push({
        name: 'e2e-3-devices',
        backend: 'sqlite+memory',
        devices: recipients,
        opsPerSec: round3(ours),
        floorOpsPerSec: round3(floor),
        note: `${round3(ours / floor)}x encryption off`,
        wallOpsPerSec: round3(rateOf('sealed', 'total', 'wall')),
        wallFloorOpsPerSec: round3(rateOf('plain', 'total', 'wall')),
        cpuSamples: samples('sealed', 'cpu'),
        wallSamples: samples('sealed', 'wall'),
        floorCpuSamples: samples('plain', 'cpu'),
        floorWallSamples: samples('plain', 'wall'),
        steps: Object.fromEntries(STEPS.map((s) => [s, { sealed: round3(rateOf('sealed', s)), plain: round3(rateOf('plain', s)) }])),
      });
      notes.push(
        `e2e: ${n} calls per round written on 1 of 3 devices (${recipients} recipients per seal: the 3 devices and the recovery key), ` +
          `the writer syncs, then 2 readers sync; median of ${plan.rounds} round(s) after a ${plan.warmup}-call warm-up; ` +
          (clock === 'cpu' ? 'records per CPU-second of this process (server and the 3 replicas)' : 'records per wall-clock second'),
        'e2e: floor column = the same flow with encryption off (bench/plainReplica.ts: same local stores, HTTP client, server, ' +
          'batching and merge; no seal, open, pair keys or epochs, no checkpoint or claim checks, no version index, no wrapped keys; ' +
          'its pushes carry the signed checkpoint the server requires)',
        `e2e: records/s of each step, sealed vs plain: ${steps.join('; ')}`,
      );
    } finally {
      await loop.close();
    }

    const big = await bigPull(plan.bigPull, dir, clock, log);
    cases.push(big.row);
    Object.assign(ratios, big.ratios);
    notes.push(big.note);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    cases,
    ratios,
    targets: [
      { key: 'sync_e2e_vs_plain', op: '>=', limit: 0.5, label: '3-device sync >= 0.5x the same flow with encryption off' },
      { key: 'sync_1m_peak_rss_mib', op: '<=', limit: 300, label: `peak RSS of a device pulling ${plan.bigPull} records <= 300 MiB` },
    ],
    notes,
  };
}

/** The e2e section for run.ts. */
export const e2eSection: Section = { name: 'e2e', run: runE2e };
