/**
 * Meters for the pipeline sections: wall time, CPU time (this process, plus a PostgreSQL
 * cluster's processes when the store lives there), and peak resident memory.
 *
 * CPU of the database counts because the pipeline's work includes it: SQLite runs inside this
 * process, PostgreSQL in its own, so without the cluster's share a PostgreSQL run would look
 * cheaper than it is. fsync waits are on neither CPU clock; they show in wall time.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** Wall and CPU milliseconds of one timed stretch. */
export interface Elapsed {
  wallMs: number;
  cpuMs: number;
}

/** Starts a stopwatch; `extraCpuMs` adds another process's CPU (read at start and stop). */
export function startMeter(extraCpuMs?: () => number): { stop(): Elapsed } {
  const own = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const cpu = (): number => own() + (extraCpuMs?.() ?? 0);
  const c0 = cpu();
  const t0 = performance.now();
  return {
    stop: () => ({ wallMs: performance.now() - t0, cpuMs: cpu() - c0 }),
  };
}

// Linux reports process times in clock ticks; 100 per second on every mainstream build.
const TICK_MS = 10;

/** utime, stime, cutime, cstime and ppid of a process, from /proc (undefined if gone). */
function procTimes(pid: number): { ppid: number; own: number; children: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses; the fields start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS };
}

/**
 * A reader of the total CPU milliseconds spent by the cluster serving `connectionString`: the
 * postmaster, its live children (backends, WAL writer, checkpointer) and the children it has
 * already reaped. Linux only; undefined elsewhere or when the data directory is not readable.
 */
export async function postgresCpuReader(connectionString: string): Promise<(() => number) | undefined> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  let dataDir: string;
  try {
    dataDir = String((await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory);
  } finally {
    await client.end();
  }
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (procTimes(postmaster) === undefined) return undefined;
  return () => {
    const root = procTimes(postmaster);
    if (root === undefined) return 0;
    let total = root.own + root.children;
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === postmaster) continue;
      const t = procTimes(pid);
      if (t !== undefined && t.ppid === postmaster) total += t.own;
    }
    return total;
  };
}

/**
 * Peak resident memory since the last {@link resetPeakRss}, in MiB, from the kernel's own
 * high-water mark (VmHWM), so no spike between two samples is missed.
 */
export function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? process.memoryUsage().rss / 2 ** 20 : Number(m[1]) / 1024;
}

/** Resets the kernel's peak-RSS mark to the current RSS (Linux ≥ 4.0); false if unsupported. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Current resident memory in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

/**
 * Samples RSS every `everyMs` as a fallback (and a cross-check) for the kernel's high-water
 * mark; the samples run on the event loop, so they land between requests.
 */
export function sampleRss(everyMs = 20): { stop(): number } {
  let peak = rssMiB();
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMiB());
    },
  };
}
