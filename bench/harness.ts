/**
 * Timing helpers and the result shapes every bench section returns.
 *
 * Method: each case is warmed up, then run for a fixed wall-clock slice in calibrated batches (so
 * the clock is read about once a millisecond, not once a call), and slices of the cases being
 * compared are interleaved round by round so drift (GC, turbo, a neighbour process) hits all of
 * them alike. A case's rate is the median of its slices. Nothing here asserts a time.
 *
 * Each slice is timed on two clocks: wall time, and this process's CPU time (user + system, all
 * its threads, so concurrent GC counts). On a shared machine another process's bursts stretch
 * wall time but not CPU time, so CPU time is the default: rates are ops per CPU-second.
 */

/** One measured row of the results. Sections may add fields. */
export interface BenchCase {
  name: string;
  backend: string;
  devices: number;
  opsPerSec: number;
  /** The same work done with only the irreducible calls, measured beside this case. */
  floorOpsPerSec?: number;
  /** Bytes produced (or consumed) per operation. */
  bytes?: number;
  /** Short remark printed in the table. */
  note?: string;
  [extra: string]: unknown;
}

/** A number in `ratios` checked against a goal from the issue; printed as PASS or MISS. */
export interface Target {
  key: string;
  op: '<=' | '>=';
  limit: number;
  label: string;
}

/** A number in `ratios` the issue asks to see, with no goal attached; printed by name and unit. */
export interface Figure {
  key: string;
  /** What the number counts, as printed after it ("per s", "µs", "ms", "B"). */
  unit: string;
  label: string;
}

/** What a section hands back to run.ts, which merges every section's cases and ratios. */
export interface SectionResult {
  cases: BenchCase[];
  ratios: Record<string, number>;
  targets?: Target[];
  figures?: Figure[];
  /** Lines printed under the table (method, caveats). */
  notes?: string[];
}

/** Which clock a rate is computed from (both are always recorded). */
export type Clock = 'cpu' | 'wall';

/** Options every section receives. */
export interface SectionOptions {
  /** A short smoke run: fewer device counts, short slices, one round. */
  quick: boolean;
  /** The clock rates are reported on. */
  clock: Clock;
  /** Progress output (stderr), so stdout stays the table. */
  log: (line: string) => void;
}

/** A named part of the benchmark; run.ts runs the sections listed there in order. */
export interface Section {
  name: string;
  run(options: SectionOptions): Promise<SectionResult>;
}

/** Slice length, rounds and warm-up of a comparison. */
export interface TimingPlan {
  sliceMs: number;
  rounds: number;
  warmupMs: number;
  /** Fewest calls a slice may count (slow async cases); the slice runs longer if needed. */
  minOps?: number;
  /** The clock `Rate.median` uses (default cpu). */
  clock?: Clock;
}

/** Rate of one case in ops/s on the plan's clock, the median and every slice, plus the other clock. */
export interface Rate {
  median: number;
  samples: number[];
  cpu: number[];
  wall: number[];
}

interface Slice {
  cpu: number;
  wall: number;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function toRate(slices: Slice[], clock: Clock = 'cpu'): Rate {
  const cpu = slices.map((s) => s.cpu);
  const wall = slices.map((s) => s.wall);
  const samples = clock === 'cpu' ? cpu : wall;
  return { median: median(samples), samples, cpu, wall };
}

// Results flow into this so no measured call's output is dead code to the JIT.
let sink = 0;
/** Keeps `value` observable. */
export function consume(value: unknown): void {
  if (value instanceof Uint8Array) sink ^= value.length ^ (value[0] ?? 0);
  else if (value !== null && value !== undefined) sink ^= 1;
}
/** The accumulated sink (print or ignore; reading it keeps `consume` honest). */
export function sinkValue(): number {
  return sink;
}

const nowMs = (): number => performance.now();

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Calls `fn` for `ms` milliseconds (at least once) and returns a batch size that lasts about 1 ms. */
function warmSync(fn: () => unknown, ms: number): number {
  // Grow the batch until one batch lasts ~1 ms; the warm-up time is spent doing it.
  let batch = 1;
  const end = nowMs() + ms;
  for (;;) {
    const t0 = nowMs();
    for (let i = 0; i < batch; i++) consume(fn());
    const took = nowMs() - t0;
    if (took < 1 && batch < 1 << 20) batch *= 2;
    if (nowMs() >= end) return batch;
  }
}

function sliceSync(fn: () => unknown, batch: number, sliceMs: number, minOps: number): Slice {
  let ops = 0;
  const c0 = cpuMs();
  const t0 = nowMs();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) consume(fn());
    ops += batch;
    elapsed = nowMs() - t0;
  } while (elapsed < sliceMs || ops < minOps);
  return { wall: (ops * 1000) / elapsed, cpu: (ops * 1000) / Math.max(cpuMs() - c0, 1e-3) };
}

async function sliceAsync(fn: () => Promise<unknown>, sliceMs: number, minOps: number): Promise<Slice> {
  let ops = 0;
  const c0 = cpuMs();
  const t0 = nowMs();
  let elapsed = 0;
  do {
    consume(await fn());
    ops++;
    elapsed = nowMs() - t0;
  } while (elapsed < sliceMs || ops < minOps);
  return { wall: (ops * 1000) / elapsed, cpu: (ops * 1000) / Math.max(cpuMs() - c0, 1e-3) };
}

/** Runs each case, untimed, for `ms` milliseconds, so the first measured slice meets optimised code. */
export function warmUp(cases: Record<string, () => unknown>, ms: number): void {
  for (const fn of Object.values(cases)) warmSync(fn, ms);
}

/**
 * Measures synchronous cases against each other: warm each, then `rounds` rounds in which
 * every case runs one slice, in order. Returns each case's median ops/s.
 */
export function compareSync<K extends string>(cases: Record<K, () => unknown>, plan: TimingPlan): Record<K, Rate> {
  const names = Object.keys(cases) as K[];
  const batches = new Map<K, number>();
  for (const name of names) batches.set(name, warmSync(cases[name], plan.warmupMs));
  const slices = new Map<K, Slice[]>(names.map((n) => [n, []]));
  for (let r = 0; r < plan.rounds; r++) {
    for (const name of names) {
      slices.get(name)!.push(sliceSync(cases[name], batches.get(name)!, plan.sliceMs, plan.minOps ?? 1));
    }
  }
  return Object.fromEntries(names.map((n) => [n, toRate(slices.get(n)!, plan.clock)])) as Record<K, Rate>;
}

/** Measures one asynchronous case (awaited one call at a time) the same way. */
export async function measureAsync(fn: () => Promise<unknown>, plan: TimingPlan): Promise<Rate> {
  const end = nowMs() + plan.warmupMs;
  do consume(await fn());
  while (nowMs() < end);
  const slices: Slice[] = [];
  for (let r = 0; r < plan.rounds; r++) slices.push(await sliceAsync(fn, plan.sliceMs, plan.minOps ?? 1));
  return toRate(slices, plan.clock);
}

/** Rounds to 3 significant digits for the JSON (rates are not more precise than that). */
export function round3(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const p = 10 ** (2 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * p) / p;
}
