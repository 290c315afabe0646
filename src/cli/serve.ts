/**
 * `multikey-sync serve`: binds the port, then opens the store and checks it can write and read
 * (createServer's listen), then says where it listens. It refuses to start, with a message
 * naming the database, when the store cannot be opened or written. It collects expired
 * envelopes at start and hourly, and on SIGINT or SIGTERM finishes the requests in flight and
 * exits 0.
 */
import { StorageError } from '../errors.js';
import { createServer } from '../server/createServer.js';
import { redactPostgresUrl } from '../server/redactUrl.js';
import { MemoryStore, PostgresStore, SqliteStore } from '../storage/index.js';
import type { Store } from '../storage/store.js';
import { storageCause } from '../storage/storageErrors.js';
import { tokenAdmission } from './admissionToken.js';
import { createCliLogger, withoutRequestLines } from './logging.js';
import type { ServeConfig } from './serveConfig.js';

const DAY_MS = 86_400_000;
const COLLECT_EVERY_MS = 60 * 60_000;

/** The store `config` names, for messages (a PostgreSQL password is never shown). */
export function describeStore(config: ServeConfig): string {
  switch (config.store) {
    case 'postgres':
      return `PostgreSQL ${redactPostgresUrl(config.postgres!)}`;
    case 'memory':
      return 'memory (nothing is kept after exit)';
    case 'sqlite':
      return `SQLite ${config.db}`;
  }
}

function openStore(config: ServeConfig): Promise<Store> {
  const limits = config.quotaBytes === undefined ? {} : { quotaBytes: config.quotaBytes };
  switch (config.store) {
    case 'postgres':
      return PostgresStore.connect(config.postgres!, limits);
    case 'memory':
      return Promise.resolve(new MemoryStore(limits));
    case 'sqlite':
      return SqliteStore.open(config.db, limits);
  }
}

const ADVICE: Readonly<Record<string, string>> = {
  STORE_READ_ONLY:
    'it refuses writes. Check that the file, its folder and any -wal or -shm file beside it are writable by this user, or that the database is not a read-only standby',
  STORE_FULL: 'the disk is full. Free space, then start again',
  STORE_BUSY: 'it stayed locked. Is another process holding a write transaction on it?',
  STORE_FAILURE: 'it cannot be opened or written',
  SCHEMA_TOO_NEW: 'it was migrated by a newer version of multikey-sync. Upgrade this one',
};

/** A store that cannot be used: exit code 1 with this message. */
export class StoreRefused extends Error {}

/** The message `serve` prints when the store fails at startup. */
export function storeRefusal(config: ServeConfig, error: StorageError): string {
  return `cannot use ${describeStore(config)}: ${ADVICE[error.code] ?? 'it cannot be used'} (${error.code}, cause ${storageCause(error)})`;
}

/**
 * Runs the server until SIGINT or SIGTERM stops it (then the process exits).
 * @throws {StoreRefused} when the store cannot be opened, written and read.
 * @throws Error from node:net when the port cannot be bound.
 */
export async function serve(config: ServeConfig, version: string): Promise<void> {
  // Signals are handled from the start, so one that arrives during startup still stops cleanly.
  let stopRequested: string | undefined;
  let stop = (signal: string): void => {
    stopRequested ??= signal;
  };
  // A terminal's Ctrl-C reaches every process of the group, and npx/tsx relay it again, so a
  // second signal is expected and does not cut the shutdown short; the deadline bounds it.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const logger = createCliLogger(config.logLevel, config.logFormat);
  // Startup and shutdown notes: plain lines for a person, records with a short message in JSON.
  const say = (text: string, message: string, fields: Record<string, unknown>): void => {
    if (config.logFormat === 'json') logger.info(fields, message);
    else process.stdout.write(`${text}\n`);
  };
  let store: Store | undefined;
  const server = createServer({
    store: async () => (store = await openStore(config)),
    limits: config.limits,
    http: config.http,
    proxyHops: config.proxyHops,
    ...(config.publicUrls === undefined ? {} : { publicUrls: config.publicUrls }),
    corsOrigins: config.corsOrigins,
    metrics: config.metrics,
    logger: config.quiet ? withoutRequestLines(logger) : logger,
    ...(config.admissionToken === undefined ? {} : { admission: tokenAdmission(config.admissionToken) }),
  });
  let listening;
  try {
    listening = await server.listen(config.port, config.host);
  } catch (error) {
    await server.close().catch(() => undefined);
    if (error instanceof StorageError) throw new StoreRefused(storeRefusal(config, error));
    throw error;
  }
  // One write, so a reader that sees the URL sees the store too.
  say(`multikey-sync ${version} listening on ${listening.url}\nstore: ${describeStore(config)}`, 'listening', {
    url: listening.url,
    store: describeStore(config),
    version,
  });

  const collect = (): void => {
    store!
      .collectExpired(Math.floor(Date.now() / DAY_MS))
      .then((n) => n > 0 && logger.info({ envelopes: n }, 'collected expired envelopes'))
      .catch((error: unknown) => logger.error({ code: (error as { code?: string }).code ?? 'error', cause: storageCause(error) }, 'collecting expired envelopes failed'));
  };
  collect();
  const collector = setInterval(collect, COLLECT_EVERY_MS);
  collector.unref();

  let stopping = false;
  stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: finishing requests in flight, then exiting`, 'stopping', { signal });
    clearInterval(collector);
    server.close().then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ error: (error as Error).name }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  if (stopRequested !== undefined) stop(stopRequested);
}
