/**
 * Test harness: a real server on 127.0.0.1 (random port) over SQLite in a temp folder, and
 * accounts with enrolled devices talking to it through HttpClient.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient, type HttpClientOptions } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { DeviceDirectory } from '../../src/core/deviceDirectory.js';
import { seal } from '../../src/core/seal.js';
import { createGenesis, deviceKeys, makeAdd, makeRemove, signConsent } from '../../src/enrollment/chainOps.js';
import { EMPTY_LOG } from '../../src/enrollment/logCut.js';
import { activeDevices, applyEntry, genesisState, type ChainState } from '../../src/enrollment/chainState.js';
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import type { ServerLimits } from '../../src/server/options.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import type { Store } from '../../src/storage/store.js';

/** A running server over SQLite. */
export interface Harness {
  server: SyncServer;
  store: Store;
  url: string;
  dir: string;
  dbPath: string;
  logs: string[];
  /** Closes the server (and the store), then removes the folder. */
  stop(): Promise<void>;
}

export interface HarnessOptions {
  limits?: ServerLimits;
  clock?: () => number;
  quotaBytes?: number;
  store?: Store;
}

/** Starts a server on SQLite in a fresh temp folder. */
export async function startServer(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'mks-server-'));
  const dbPath = join(dir, 'data.sqlite');
  const store = options.store ?? (await SqliteStore.open(dbPath, options.quotaBytes === undefined ? {} : { quotaBytes: options.quotaBytes }));
  const logs: string[] = [];
  const server = createServer({
    store,
    limits: { requestsPerSecond: Infinity, anonymousPerSecond: Infinity, ipPerSecond: Infinity, ...options.limits },
    log: (line) => logs.push(line),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const { url } = await server.listen(0, '127.0.0.1');
  return {
    server,
    store,
    url,
    dir,
    dbPath,
    logs,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An account with enrolled devices, each with its own client. */
export interface TestAccount {
  accountId: Uint8Array;
  devices: Device[];
  clients: HttpClient[];
  state: ChainState;
  /** The cards of the active devices, for `open`. */
  directory(): DeviceDirectory;
}

/** Creates an account through `url` with `n` devices (the first creates, then adds the others). */
export async function createAccount(url: string, n: number, clientOptions: Partial<HttpClientOptions> = {}): Promise<TestAccount> {
  const devices: Device[] = [];
  for (let i = 0; i < n; i++) devices.push(await Device.generate());
  const first = new HttpClient({ baseUrl: url, device: devices[0]!, ...clientOptions });
  const genesis = createGenesis(devices[0]!);
  const created = await first.createAccount(genesis.bytes);
  let state = genesisState(devices[0]!.suite, genesis);
  for (const joiner of devices.slice(1)) {
    const add = makeAdd(devices[0]!, state, deviceKeys(joiner), signConsent(joiner, state.accountId));
    await first.appendChain(add.bytes, state.head);
    state = applyEntry(devices[0]!.suite, state, add);
  }
  const clients = devices.map(
    (device, i) => (i === 0 ? first : new HttpClient({ baseUrl: url, device, accountId: created.account, ...clientOptions })),
  );
  const account: TestAccount = {
    accountId: created.account,
    devices,
    clients,
    state,
    directory: () => new DeviceDirectory(activeDevices(account.state, Date.now())),
  };
  return account;
}

/** Removes `devices[index]` from the chain, signed by device 0. */
export async function removeDevice(account: TestAccount, index: number): Promise<void> {
  const remove = makeRemove(account.devices[0]!, account.state, account.devices[index]!.id, EMPTY_LOG);
  await account.clients[0]!.appendChain(remove.bytes, account.state.head);
  account.state = applyEntry(account.devices[0]!.suite, account.state, remove);
}

let sequence = 0;

/** Seals `body` from device `from` to every active device of the account. */
export function sealFrom(account: TestAccount, from: number, body: unknown, options: { recordId?: Uint8Array; revision?: number } = {}): Uint8Array {
  return seal(account.devices[from]!, account.accountId, activeDevices(account.state, Date.now()), {
    body,
    revision: options.revision ?? 0,
    sequence: ++sequence,
    chainHead: account.state.head,
    ...(options.recordId === undefined ? {} : { recordId: options.recordId }),
  });
}

/** A distinct call record. */
export function callRecord(i: number) {
  return {
    collection: 'calls',
    record: {
      service: 'phone',
      direction: i % 2 === 0 ? 'incoming' : 'outgoing',
      answered: true,
      peer: `+1415555${String(1000 + (i % 9000)).padStart(4, '0')}`,
      startedAt: 1_700_000_000_000 + i * 60_000,
      durationSec: 30 + (i % 600),
    },
  };
}
