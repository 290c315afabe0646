/**
 * `npm run bench [-- --quick] [-- --out FILE] [-- --section NAME]`
 *
 * Runs every section listed in SECTIONS in one process, prints one table, the figures the
 * issues ask to see and the targets as PASS or MISS, and writes machine-readable results
 * (bench/results.json unless --out says otherwise).
 * To add a section, export a `Section` from its own file and append it to SECTIONS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreSection } from './core.js';
import { e2eSection } from './e2e.js';
import { enrollmentSection } from './enrollment.js';
import { forgedPushSection } from './forgedPush.js';
import { keysSection } from './keys.js';
import { syncSection } from './sync.js';
import { sinkValue, type BenchCase, type Clock, type Figure, type Section, type Target } from './harness.js';

const SECTIONS: Section[] = [coreSection, keysSection, syncSection, e2eSection, enrollmentSection, forgedPushSection];

interface Args {
  quick: boolean;
  clock: Clock;
  out: string;
  sections: string[];
}

const USAGE = 'usage: tsx bench/run.ts [--quick] [--out FILE] [--clock cpu|wall] [--section NAME]...';

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    clock: 'cpu',
    out: resolve(dirname(fileURLToPath(import.meta.url)), 'results.json'),
    sections: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--') continue; // npm versions that pass the separator through
    else if (flag === '--quick') args.quick = true;
    else if (flag === '--out') args.out = resolve(value());
    else if (flag === '--section') args.sections.push(value());
    else if (flag === '--clock') {
      const clock = value();
      if (clock !== 'cpu' && clock !== 'wall') throw new Error(`--clock is cpu or wall\n${USAGE}`);
      args.clock = clock;
    }
    else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return args;
}

function formatNumber(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(3);
}

function printTable(cases: BenchCase[]): void {
  const header = ['case', 'backend', 'n', 'ops/s', 'floor ops/s', 'floor/this', 'bytes', 'note'];
  const rows = cases.map((c) => [
    c.name,
    c.backend,
    String(c.devices),
    formatNumber(c.opsPerSec),
    formatNumber(c.floorOpsPerSec),
    c.floorOpsPerSec === undefined || !Number.isFinite(c.floorOpsPerSec) ? '-' : (c.floorOpsPerSec / c.opsPerSec).toFixed(2),
    c.bytes === undefined ? '-' : String(c.bytes),
    c.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w, i) => (i === widths.length - 1 ? '-'.repeat(4) : '-'.repeat(w))).join('  '));
  for (const row of rows) console.log(line(row));
}

function printFigures(figures: Figure[], ratios: Record<string, number>): void {
  for (const f of figures) console.log(`      ${f.key} = ${ratios[f.key] ?? 'missing'} ${f.unit}: ${f.label}`);
}

function printTargets(targets: Target[], ratios: Record<string, number>): void {
  for (const t of targets) {
    const value = ratios[t.key];
    const ok = value !== undefined && (t.op === '<=' ? value <= t.limit : value >= t.limit);
    console.log(`${ok ? 'PASS' : 'MISS'}  ${t.key} = ${value ?? 'missing'} (target ${t.op} ${t.limit}): ${t.label}`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const chosen = args.sections.length === 0 ? SECTIONS : SECTIONS.filter((s) => args.sections.includes(s.name));
  const unknown = args.sections.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);

  const started = Date.now();
  const cases: BenchCase[] = [];
  const ratios: Record<string, number> = {};
  const targets: Target[] = [];
  const figures: Figure[] = [];
  const notes: string[] = [];
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  for (const section of chosen) {
    const result = await section.run({ quick: args.quick, clock: args.clock, log });
    cases.push(...result.cases.map((c) => ({ ...c, section: section.name })));
    Object.assign(ratios, result.ratios);
    targets.push(...(result.targets ?? []));
    figures.push(...(result.figures ?? []));
    notes.push(...(result.notes ?? []));
  }

  const cpu = cpus();
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`\nmultikey-sync bench${args.quick ? ' (quick)' : ''}: node ${process.version}, ${cpu[0]?.model ?? 'unknown cpu'} x${cpu.length}, ${args.clock} clock, load ${load}\n`);
  printTable(cases);
  console.log('');
  for (const note of notes) console.log(`  ${note}`);
  console.log('');
  printFigures(figures, ratios);
  printTargets(targets, ratios);
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${seconds.toFixed(1)} s; results in ${args.out}`);

  const results = {
    node: process.version,
    date: new Date().toISOString(),
    quick: args.quick,
    clock: args.clock,
    cpu: cpu[0]?.model ?? 'unknown',
    loadAverage: loadavg(),
    cores: cpu.length,
    seconds,
    cases,
    ratios,
    targets: targets.map((t) => {
      const value = ratios[t.key];
      return { ...t, value: value ?? null, pass: value !== undefined && (t.op === '<=' ? value <= t.limit : value >= t.limit) };
    }),
    figures: figures.map((f) => ({ ...f, value: ratios[f.key] ?? null })),
    sink: sinkValue(),
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
