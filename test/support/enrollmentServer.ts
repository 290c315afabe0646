/**
 * Scenario harness for enrollment: the real server over SQLite in a temp folder on 127.0.0.1,
 * one clock shared by the server, the clients and the accounts (so tests can let 72 hours pass),
 * and HttpClient transports made the way an app makes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { createPairingOffer, encodePairingOffer } from '../../src/enrollment/pairingOffer.js';
import type { TransportFactory } from '../../src/enrollment/transport.js';
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import type { Store } from '../../src/storage/store.js';
import { approving, sasScreens } from './sasScreens.js';

/** A clock tests move by hand. */
export class TestClock {
  constructor(public ms = 1_800_000_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A running server and how to talk to it. */
export interface EnrollmentEnv {
  url: string;
  dbPath: string;
  store: Store;
  server: SyncServer;
  clock: TestClock;
  /** The clock the server and its clients run on: `clock.now`, or `Date.now` with `realTime`. */
  now: () => number;
  /** One line per request: method, route, status. */
  logs: string[];
  /** An authenticated transport (the app's `connect`). */
  connect: TransportFactory<HttpClient>;
  /** A transport without an account, for the mailbox and account creation. */
  anonymous(device: Device, fetchImpl?: typeof fetch): HttpClient;
  stop(): Promise<void>;
}

/** Options of {@link startEnrollmentServer}. */
export interface EnvOptions {
  /** Wraps the SQLite store, as an operator who controls the server process would. */
  wrapStore?: (store: SqliteStore) => Store;
  /** The fetch every client uses (a hostile front, for instance). */
  fetch?: typeof fetch;
  /** Run the server on the real clock (for code that uses the defaults, as an app does). */
  realTime?: boolean;
}

export async function startEnrollmentServer(options: EnvOptions = {}): Promise<EnrollmentEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'mks-enroll-'));
  const dbPath = join(dir, 'data.sqlite');
  // NORMAL: these tests need no power-loss durability, and skip an fsync per mailbox message.
  const sqlite = await SqliteStore.open(dbPath, { synchronous: 'NORMAL' });
  const store = options.wrapStore?.(sqlite) ?? sqlite;
  const clock = new TestClock();
  const now = options.realTime ? Date.now : clock.now;
  const logs: string[] = [];
  const server = createServer({
    store,
    clock: now,
    log: (line) => logs.push(line),
    limits: { requestsPerSecond: Infinity, anonymousPerSecond: Infinity, ipPerSecond: Infinity },
  });
  const { url } = await server.listen(0, '127.0.0.1');
  const client = (device: Device, accountId?: Uint8Array, fetchImpl = options.fetch) =>
    new HttpClient({
      baseUrl: url,
      device,
      clock: now,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      ...(accountId === undefined ? {} : { accountId }),
      ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
    });
  return {
    url,
    dbPath,
    store,
    server,
    clock,
    now,
    logs,
    connect: (device, accountId) => client(device, accountId),
    anonymous: (device, fetchImpl) => client(device, undefined, fetchImpl),
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fast polling for tests. */
export const FAST = { pollMs: 10, timeoutMs: 10_000 } as const;

/** A new account on `env` whose first device is fresh. */
export async function newAccount(env: EnrollmentEnv, options: { recoveryDelayMs?: number; recovery?: boolean } = {}) {
  const device = await Device.generate({ now: env.now() });
  return Account.create({ device, transport: env.anonymous(device), clock: env.now, ...options });
}

/** Pairs a fresh device into `approver`'s account by QR, both sides running at once, the person comparing the codes. */
export async function pairByQr(env: EnrollmentEnv, approver: Account<HttpClient>, device?: Device): Promise<Account<HttpClient>> {
  const joiner = device ?? (await Device.generate({ now: env.now() }));
  const offer = createPairingOffer(joiner, env.url, { now: env.now() });
  const screens = sasScreens();
  const [joined] = await Promise.all([
    Account.joinWithOffer({ device: joiner, offer, transport: env.anonymous(joiner), connect: env.connect, clock: env.now, confirmSas: screens.confirmSas, ...FAST }),
    approving(screens, approver.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: screens.showSas, ...FAST })),
  ]);
  return joined;
}

/** An account with `n` devices, all paired by QR from the first, all refreshed. */
export async function accountWith(env: EnrollmentEnv, n: number, options: { recoveryDelayMs?: number } = {}) {
  const { account, recoveryWords } = await newAccount(env, options);
  const devices: Account<HttpClient>[] = [account];
  for (let i = 1; i < n; i++) devices.push(await pairByQr(env, account));
  for (const d of devices) await d.refresh();
  return { devices, recoveryWords: recoveryWords! };
}
