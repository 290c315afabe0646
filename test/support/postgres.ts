/**
 * A throwaway PostgreSQL cluster for tests: real binaries, a private data directory, TCP on
 * 127.0.0.1 at a free port, a private Unix socket directory, fsync off. No vitest imports here,
 * so a vitest globalSetup (which runs outside any test) can use it too.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findPostgresBinDir } from './postgresBinaries.js';

const run = promisify(execFile);

/** A running cluster and the database created in it. */
export interface PostgresCluster {
  /** URL of a fresh database in the cluster; the superuser is `postgres`, auth is trust. */
  connectionString: string;
  /** Stops the cluster (`pg_ctl stop -m fast`) and removes its folders. Idempotent. */
  stop(): Promise<void>;
}

/** A database created for one test file or one test. */
export interface TestDatabase {
  connectionString: string;
  /** Drops the database, closing whatever connections are left. */
  drop(): Promise<void>;
}

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Who runs the cluster when we are root (initdb refuses root): `postgres` where Debian's
 * package made that user, else `nobody` (a machine with only the registry's binaries).
 */
function postgresOsUser(): OsUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const errors: unknown[] = [];
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { name, uid, gid };
    } catch (error) {
      errors.push(error);
    }
  }
  throw new Error('Running as root, but there is neither a `postgres` nor a `nobody` OS user to own the test cluster', { cause: errors });
}

/**
 * `bindir`, or a copy of its installation in the temporary directory when `user` cannot run
 * it from where it is (the repository under a home directory closed to others).
 */
function reachableBinDir(bindir: string, user: OsUser | undefined): string {
  if (user === undefined) return bindir;
  try {
    execFileSync('runuser', ['-u', user.name, '--', 'test', '-x', join(bindir, 'initdb')], { stdio: 'ignore' });
    return bindir;
  } catch {
    const copy = join(tmpdir(), `mks-pg-${user.name}-${bindir.replace(/[^a-z0-9]+/gi, '_').slice(-80)}`);
    if (!existsSync(join(copy, 'bin', 'initdb'))) {
      const partial = `${copy}.${process.pid}`;
      cpSync(join(bindir, '..'), partial, { recursive: true, verbatimSymlinks: true });
      try {
        renameSync(partial, copy);
      } catch (error) {
        rmSync(partial, { recursive: true, force: true });
        if (!existsSync(join(copy, 'bin', 'initdb'))) throw error; // else another process copied it first
      }
    }
    return join(copy, 'bin');
  }
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root). */
async function runAs(user: OsUser | undefined, file: string, args: string[]): Promise<string> {
  const [cmd, argv] = user === undefined ? [file, args] : ['runuser', ['-u', user.name, '--', file, ...args]];
  try {
    const { stdout } = await run(cmd, argv, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${file} ${args.join(' ')} failed: ${stderr.trim() || String(error)}`, { cause: error });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAccepting(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections at ${url}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Creates a database with a random name in the cluster reached through `adminUrl`.
 * @throws Error when the server refuses.
 */
export async function createDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `mks_${randomBytes(8).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  let dropped = false;
  return {
    connectionString: withDatabase(adminUrl, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Starts a private PostgreSQL cluster and creates one database in it.
 * @throws Error with a clear message when the binaries are missing or the server fails to start.
 */
export async function startPostgres(): Promise<PostgresCluster> {
  const user = postgresOsUser();
  const bindir = reachableBinDir(findPostgresBinDir(), user);
  const base = mkdtempSync(join(tmpdir(), 'mks-pg-'));
  const data = join(base, 'data');
  const socketDir = join(base, 'sock');
  const logFile = join(base, 'server.log');
  mkdirSync(socketDir, { mode: 0o700 });
  if (user !== undefined) {
    chownSync(base, user.uid, user.gid);
    chownSync(socketDir, user.uid, user.gid);
  }
  const pgCtl = join(bindir, 'pg_ctl');
  let running = false;
  const stopSync = (): void => {
    if (!running) return;
    running = false;
    try {
      const args = ['-D', data, 'stop', '-m', 'immediate', '-w'];
      if (user === undefined) execFileSync(pgCtl, args, { stdio: 'ignore' });
      else execFileSync('runuser', ['-u', user.name, '--', pgCtl, ...args], { stdio: 'ignore' });
    } catch {
      // Best effort: the process is exiting anyway.
    }
    rmSync(base, { recursive: true, force: true });
  };
  try {
    await runAs(user, join(bindir, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let url = '';
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      const options = [
        `-p ${port}`,
        '-c listen_addresses=127.0.0.1',
        `-c unix_socket_directories='${socketDir}'`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=400',
      ].join(' ');
      try {
        await runAs(user, pgCtl, ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
        running = true;
        url = `postgres://postgres@127.0.0.1:${port}/postgres`;
        break;
      } catch (error) {
        // The port may have been taken between probing and binding; try another.
        if (attempt >= 3) {
          let log = '';
          try {
            log = readFileSync(logFile, 'utf8').slice(-2000);
          } catch {
            // no log yet
          }
          throw new Error(`PostgreSQL failed to start: ${(error as Error).message}\n${log}`, { cause: error });
        }
      }
    }
    process.once('exit', stopSync);
    await waitUntilAccepting(url, 30_000);
    const database = await createDatabase(url);
    return {
      connectionString: database.connectionString,
      async stop() {
        if (!running) return;
        running = false;
        process.removeListener('exit', stopSync);
        await runAs(user, pgCtl, ['-D', data, 'stop', '-m', 'fast', '-w']);
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (error) {
    stopSync();
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
}
