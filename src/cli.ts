/**
 * `multikey-sync`: the sync server as a command. `serve` runs it (src/cli/serve.ts); its options
 * come from flags or `MKS_*` environment variables (src/cli/flags.ts), and `--help` lists them
 * all. One process per port; on SQLite one file, on PostgreSQL any number of processes sharing
 * the database (docs/server.md).
 */
import { createRequire } from 'node:module';
import { UsageError } from './errors.js';
import { CliError, flagsHelp } from './cli/flags.js';
import { serve, StoreRefused } from './cli/serve.js';
import { parseServe } from './cli/serveConfig.js';

/** The package's version: `../package.json` from both src/cli.ts and dist/cli.js. */
function packageVersion(): string {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function help(version: string): string {
  return `multikey-sync ${version} — end-to-end encrypted multi-device sync server

Usage:
  multikey-sync serve [options]
  multikey-sync --version
  multikey-sync --help

The server stores and relays sealed envelopes; it holds no keys and cannot read them.
Every option can also be set by the environment variable listed under it; a flag wins.

Options of "serve":
${flagsHelp()
  .split('\n')
  .map((line) => (line === '' ? '' : `  ${line}`))
  .join('\n')}

  -h, --help                 Show this help.

Endpoints besides the API under /v1: GET /healthz (JSON) and GET /v1/health check that the
store can write and read (200, or 503/507 with STORE_READ_ONLY, STORE_BUSY, STORE_FULL);
GET /metrics serves Prometheus metrics.

Startup: the port is bound first, then the store is opened and must accept a write, or the
command exits 1 naming the database. Exit codes: 0 after a signal, 1 when it cannot start,
2 for a bad option.

Drivers: SQLite needs the package better-sqlite3, PostgreSQL the package pg; install the one
you use beside multikey-sync, or fetch it with the command in one go:
  npx -p multikey-sync -p better-sqlite3@12 multikey-sync serve --db ./data.sqlite
  npx -p multikey-sync -p pg@8 multikey-sync serve --postgres URL
--memory needs neither.

Signals: SIGINT and SIGTERM stop accepting connections, let requests in flight finish
(at most 10 s), close the database and exit 0.`;
}

const ONE_COMMAND = `Or run the server and its driver in one command:
  npx -p multikey-sync -p better-sqlite3@12 multikey-sync serve --db ./data.sqlite
  npx -p multikey-sync -p pg@8 multikey-sync serve --postgres URL
(--memory needs no driver.)`;

/** Runs the command line; resolves with an exit code, or -1 while `serve` keeps running. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const version = packageVersion();
  try {
    if (command === '--version' || command === '-v' || command === 'version') {
      process.stdout.write(`${version}\n`);
      return 0;
    }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${help(version)}\n`);
      return command === undefined ? 1 : 0;
    }
    if (command !== 'serve') throw new CliError(`unknown command "${command}"`);
    const config = parseServe(rest, process.env);
    if (config === 'help') {
      process.stdout.write(`${help(version)}\n`);
      return 0;
    }
    await serve(config, version);
    return -1;
  } catch (error) {
    if (error instanceof CliError || (error instanceof UsageError && error.code === 'SERVER_OPTIONS_INVALID')) {
      process.stderr.write(`multikey-sync: ${error.message}\nRun "multikey-sync --help" for the options.\n`);
      return 2;
    }
    if (error instanceof StoreRefused) {
      process.stderr.write(`multikey-sync: ${error.message}\n`);
      return 1;
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
