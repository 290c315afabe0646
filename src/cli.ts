/**
 * `multikey-sync serve`: the sync server as a command. One process per port; on SQLite one
 * file, on PostgreSQL any number of processes sharing the database (see docs/server.md).
 * Prints where it listens and which store it uses (a PostgreSQL password is never printed),
 * logs one line per request, collects expired envelopes at start and hourly, and on SIGINT or
 * SIGTERM finishes the requests in flight and exits 0.
 */
import { parseArgs } from 'node:util';
import { createServer } from './server/createServer.js';
import { MemoryStore, PostgresStore, SqliteStore } from './storage/index.js';
import type { Store } from './storage/store.js';
import { redactPostgresUrl } from './server/redactUrl.js';

const HELP = `multikey-sync — end-to-end encrypted multi-device sync server

Usage:
  multikey-sync serve [options]
  multikey-sync --help

The server stores and relays sealed envelopes; it holds no keys and cannot read them.

Options of "serve":
  --db FILE            SQLite database file, created if missing (default ./data.sqlite).
                       Run one server process per file: a long-poll wakes only for
                       pushes through its own process.
  --postgres URL       Use PostgreSQL instead of SQLite, e.g. postgres://user:pass@host/db.
                       Any number of server processes may share one database.
                       The password may also come from PGPASSWORD.
  --memory             Keep everything in memory (lost on exit; for trying things out).
  --port N             TCP port to listen on (default 8787; 0 picks a free one).
  --host ADDR          Address to bind (default 127.0.0.1; 0.0.0.0 for every interface).
                       Put a TLS-terminating proxy in front when it is reachable from outside.
  --quota-mb N         Storage quota per account, in MiB of envelope bytes (default 256).
  --max-body-kb N      Largest push request body, in KiB (default 16384).
  --cors-origin ORIGIN Allow browser apps from ORIGIN to call the API (repeatable).
  --quiet              Do not log a line per request.
  -h, --help           Show this help.

Drivers: SQLite needs the package better-sqlite3, PostgreSQL the package pg; install the one
you use beside multikey-sync, or fetch it with the command in one go:
  npx -p multikey-sync -p better-sqlite3@12 multikey-sync serve --db ./data.sqlite
  npx -p multikey-sync -p pg@8 multikey-sync serve --postgres URL
--memory needs neither.

Signals: SIGINT and SIGTERM stop accepting connections, let requests in flight finish
(at most 10 s), close the database and exit 0.`;

const ONE_COMMAND = `Or run the server and its driver in one command:
  npx -p multikey-sync -p better-sqlite3@12 multikey-sync serve --db ./data.sqlite
  npx -p multikey-sync -p pg@8 multikey-sync serve --postgres URL
(--memory needs no driver.)`;

interface ServeConfig {
  store: 'sqlite' | 'postgres' | 'memory';
  db: string;
  postgres: string | undefined;
  port: number;
  host: string;
  quotaBytes: number | undefined;
  maxBodyBytes: number | undefined;
  corsOrigins: string[];
  quiet: boolean;
}

class CliError extends Error {}

function positiveInt(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new CliError(`--${name} must be an integer ≥ ${min}`);
  }
  return value;
}

function parseServe(args: string[]): ServeConfig | 'help' {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      postgres: { type: 'string' },
      memory: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      'quota-mb': { type: 'string' },
      'max-body-kb': { type: 'string' },
      'cors-origin': { type: 'string', multiple: true },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
  const stores = [values.db !== undefined, values.postgres !== undefined, values.memory === true].filter(Boolean).length;
  if (stores > 1) throw new CliError('choose one of --db, --postgres and --memory');
  const port = positiveInt('port', values.port, 0) ?? 8787;
  if (port > 65535) throw new CliError('--port must be at most 65535');
  const quotaMb = positiveInt('quota-mb', values['quota-mb'], 1);
  const maxBodyKb = positiveInt('max-body-kb', values['max-body-kb'], 1);
  return {
    store: values.postgres !== undefined ? 'postgres' : values.memory === true ? 'memory' : 'sqlite',
    db: values.db ?? './data.sqlite',
    postgres: values.postgres,
    port,
    host: values.host ?? '127.0.0.1',
    quotaBytes: quotaMb === undefined ? undefined : quotaMb * 1024 * 1024,
    maxBodyBytes: maxBodyKb === undefined ? undefined : maxBodyKb * 1024,
    corsOrigins: values['cors-origin'] ?? [],
    quiet: values.quiet === true,
  };
}

async function openStore(config: ServeConfig): Promise<{ store: Store; description: string }> {
  const limits = config.quotaBytes === undefined ? {} : { quotaBytes: config.quotaBytes };
  switch (config.store) {
    case 'postgres':
      return {
        store: await PostgresStore.connect(config.postgres!, limits),
        description: `PostgreSQL ${redactPostgresUrl(config.postgres!)}`,
      };
    case 'memory':
      return { store: new MemoryStore(limits), description: 'memory (nothing is kept after exit)' };
    case 'sqlite':
      return { store: await SqliteStore.open(config.db, limits), description: `SQLite ${config.db}` };
  }
}

const DAY_MS = 86_400_000;
const COLLECT_EVERY_MS = 60 * 60_000;

async function serve(config: ServeConfig): Promise<void> {
  // Signals are handled from the start, so one that arrives during startup still stops cleanly.
  let stopRequested: string | undefined;
  let stop = (signal: string): void => {
    stopRequested ??= signal;
  };
  // A terminal's Ctrl-C reaches every process of the group, and npx/tsx relay it again, so a
  // second signal is expected and does not cut the shutdown short; the deadline bounds it.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const { store, description } = await openStore(config);
  const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const server = createServer({
    store,
    limits: config.maxBodyBytes === undefined ? {} : { maxBodyBytes: config.maxBodyBytes },
    corsOrigins: config.corsOrigins,
    ...(config.quiet ? {} : { log }),
  });
  let listening;
  try {
    listening = await server.listen(config.port, config.host);
  } catch (error) {
    await server.close();
    throw error;
  }
  process.stdout.write(`multikey-sync listening on ${listening.url}\nstore: ${description}\n`);

  const collect = (): void => {
    store
      .collectExpired(Math.floor(Date.now() / DAY_MS))
      .then((n) => n > 0 && log(`collected ${n} expired envelopes`))
      .catch((error: unknown) => log(`collecting expired envelopes failed: ${(error as { code?: string }).code ?? 'error'}`));
  };
  collect();
  const collector = setInterval(collect, COLLECT_EVERY_MS);
  collector.unref();

  let stopping = false;
  stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: finishing requests in flight, then exiting\n`);
    clearInterval(collector);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${(error as Error).name}\n`);
        process.exit(1);
      },
    );
  };
  if (stopRequested !== undefined) stop(stopRequested);
}

/** Runs the command line; resolves with an exit code, or -1 while `serve` keeps running. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${HELP}\n`);
      return command === undefined ? 1 : 0;
    }
    if (command !== 'serve') throw new CliError(`unknown command "${command}"`);
    const config = parseServe(rest);
    if (config === 'help') {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    await serve(config);
    return -1;
  } catch (error) {
    if (error instanceof CliError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`multikey-sync: ${(error as Error).message}\nRun "multikey-sync --help" for the options.\n`);
      return 2;
    }
    const code = (error as { code?: string }).code;
    process.stderr.write(`multikey-sync: could not start: ${(error as Error).name}${code === undefined ? '' : ` ${code}`}: ${(error as Error).message}\n`);
    if (code === 'DEPENDENCY_MISSING') process.stderr.write(`${ONE_COMMAND}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exit(code);
});
