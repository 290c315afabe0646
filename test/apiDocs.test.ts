/**
 * docs/api.md's snippets are this file's marked regions (`// docs:begin NAME` … `// docs:end`),
 * verbatim, so tsc checks them and the test runs them: making an account (the words are
 * optional), joining by QR with its transport factory, restarting from a SQLite replica
 * (`SqliteLocalStore.open`, `loadDevice`, `Account.restore`), a browser tab that keeps its device
 * in IndexedDB (here on fake-indexeddb and Node's WebCrypto; test/browser/browserSync.test.ts
 * does it in Chromium across a reload), live sync's error event, and the `withheld` event when a
 * server leaves a record out.
 * The limits table is checked against the constants the code enforces.
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Account,
  DEFAULT_CBOR_LIMITS,
  DEFAULT_SYNC_TIMEOUT_MS,
  Device,
  HttpClient,
  IndexedDbLocalStore,
  Replica,
  createPairingOffer,
  encodePairingOffer,
  loadDevice,
  loadDeviceWithKey,
  saveDevice,
  saveDeviceWithKey,
} from '../src/index.js';
import { SqliteLocalStore } from '../src/node.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from './support/enrollmentServer.js';
import { hostileFront } from './support/hostileFront.js';
import { carries } from './support/items.js';
import { call, syncedDevice } from './support/syncHarness.js';

const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'api.md'), 'utf8');
const source = readFileSync(new URL(import.meta.url), 'utf8');

function region(name: string): string {
  const begin = source.indexOf(`// docs:begin ${name}\n`);
  return source.slice(begin + `// docs:begin ${name}\n`.length, source.indexOf('// docs:end', begin)).trim();
}

// docs:begin create
async function createAccount(baseUrl: string, showOnce: (words: string) => void): Promise<Account<HttpClient>> {
  const device = await Device.generate();
  // recoveryWords is undefined only with { recovery: false }: an account nobody can recover.
  const { account, recoveryWords } = await Account.create({ device, transport: new HttpClient({ baseUrl, device }) });
  if (recoveryWords !== undefined) showOnce(recoveryWords);
  return account;
}
// docs:end

// docs:begin join
async function joinByQr(baseUrl: string, showQr: (text: string) => void, sameCode: (sas: string) => Promise<boolean>): Promise<Account<HttpClient>> {
  const device = await Device.generate();
  const offer = createPairingOffer(device, baseUrl);
  showQr(encodePairingOffer(offer));
  return Account.joinWithOffer({
    device,
    offer,
    transport: new HttpClient({ baseUrl, device }), // the mailbox needs no account yet
    // Called once the account is known: the transport this device keeps using.
    connect: (joined, accountId) => new HttpClient({ baseUrl, device: joined, accountId }),
    confirmSas: sameCode, // joins only once the user says both screens show this 6-digit code
  });
}
// docs:end

// docs:begin restart
async function openPhone(path: string, baseUrl: string, passphrase: string): Promise<Replica | null> {
  const store = await SqliteLocalStore.open(path); // from 'multikey-sync/node'; not `new`
  const saved = await loadDevice(store, passphrase); // null on first run: create or join, then saveDevice
  if (saved === null) return null;
  const { device, chain } = saved;
  const account = Account.restore({ device, chain, transport: new HttpClient({ baseUrl, device, accountId: chain.accountId }) });
  return Replica.open({ account, store });
}
// docs:end

// docs:begin browser
async function openTab(baseUrl: string, firstVisit: () => Promise<Account<HttpClient>>): Promise<Replica> {
  const store = await IndexedDbLocalStore.open('notes-device'); // one database per device of this origin
  const key = await store.vaultKey(); // a non-extractable AES-GCM key, kept in the same database
  const saved = await loadDeviceWithKey(store, key); // null until the first visit saved a device
  if (saved !== null) {
    const { device, chain } = saved;
    const account = Account.restore({ device, chain, transport: new HttpClient({ baseUrl, device, accountId: chain.accountId }) });
    return Replica.open({ account, store });
  }
  const account = await firstVisit(); // create an account, or join one by QR
  await saveDeviceWithKey(store, account, key);
  return Replica.open({ account, store });
}
// docs:end

// docs:begin live
function startLiveSync(replica: Replica, report: (message: string) => void): void {
  replica.on('error', ({ error, fatal }) => {
    report(fatal ? `sync stopped: ${(error as Error).message}` : `sync will retry: ${(error as Error).message}`);
  });
  const live = replica.live();
  void live.ended.then((error) => error !== undefined && report('live sync has ended; fix the cause, then call live() again'));
}
// docs:end

// docs:begin withheld
function warnOfWithholding(replica: Replica, warn: (message: string) => void): void {
  replica.on('withheld', ({ code, records, logs }) => {
    if (records.length > 0) warn(`${code}: the server has not delivered ${records.length} record(s) other devices wrote`);
    if (logs.length > 0) warn(`${code}: the server cut short or forked the log of ${logs.length} device(s)`);
  });
}
// docs:end

let env: EnrollmentEnv;
let dir: string;
beforeEach(async () => {
  env = await startEnrollmentServer({ realTime: true });
  dir = mkdtempSync(join(tmpdir(), 'mks-apidocs-'));
});
afterEach(async () => {
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('docs/api.md', () => {
  it.each(['create', 'join', 'restart', 'browser', 'live', 'withheld'])('shows the %s snippet verbatim', (name) => {
    expect(doc).toContain('```ts\n' + region(name) + '\n```');
  });

  it('runs the snippets: create, join by QR, save, restart from SQLite, sync', async () => {
    const words: string[] = [];
    const phone = await createAccount(env.url, (w) => words.push(w));
    expect(words[0]!.split(' ')).toHaveLength(24);
    let approve: Promise<unknown> = Promise.resolve();
    let onPhone: (sas: string) => void = () => undefined;
    const phoneShows = new Promise<string>((resolve) => (onPhone = resolve));
    const laptop = await joinByQr(
      env.url,
      (text) => {
        approve = phone.approveOffer(text, { confirm: async () => true, showSas: onPhone });
      },
      async (sas) => sas === (await phoneShows),
    );
    await approve;
    const path = join(dir, 'laptop.sqlite');
    const store = await SqliteLocalStore.open(path);
    await saveDevice(store, laptop, 'correct horse', { opsLimit: 4, memLimitBytes: 9 * 1024 * 1024 }); // the cheapest cost sealing accepts
    await store.close();
    const replica = await openPhone(path, env.url, 'correct horse');
    expect(replica).not.toBeNull();
    await replica!.collection('notes').put({ text: 'hello' });
    expect((await replica!.sync()).pushed).toBe(1);
    const messages: string[] = [];
    startLiveSync(replica!, (m) => messages.push(m));
    await replica!.close();
    expect(await openPhone(join(dir, 'empty.sqlite'), env.url, 'x')).toBeNull();
  });

  it('runs the browser snippet: the first visit saves the device in IndexedDB, the next one restores it', async () => {
    let visits = 0;
    const firstVisit = async (): Promise<Account<HttpClient>> => {
      visits += 1;
      return createAccount(env.url, () => undefined);
    };
    const first = await openTab(env.url, firstVisit);
    await first.collection('notes').put({ text: 'from the tab' });
    expect((await first.sync()).pushed).toBe(1);
    await first.close();
    const again = await openTab(env.url, firstVisit);
    expect(visits).toBe(1);
    expect(await again.collection('notes').count()).toBe(1);
    await again.close();
    await IndexedDbLocalStore.delete('notes-device');
  });

  it('runs the withheld snippet: a call the server leaves out for the laptop is reported there', async () => {
    const front = hostileFront();
    const hostile = await startEnrollmentServer({ fetch: front.fetch });
    try {
      const { devices } = await accountWith(hostile, 2);
      const [phone, laptop] = await Promise.all(devices.map((a) => syncedDevice(a, hostile.clock.now)));
      const warnings: string[] = [];
      warnOfWithholding(laptop!.replica, (m) => warnings.push(m));
      await laptop!.replica.sync();
      expect(warnings).toEqual([]);
      const hidden = await phone!.calls.put(call());
      await phone!.replica.sync();
      front.rewrite = (page) => ({ ...page, items: page.items.filter((i) => !carries(i, hidden)) });
      await laptop!.replica.sync();
      expect(warnings).toEqual(['RECORDS_WITHHELD: the server has not delivered 1 record(s) other devices wrote']);
    } finally {
      await hostile.stop();
    }
  });

  it('states the limits the code enforces', () => {
    const row = (what: string) => new RegExp(`\\| ${what} \\| ([^|]+) \\|`).exec(doc)?.[1]?.trim();
    expect(row('one string or byte array')).toBe(`${DEFAULT_CBOR_LIMITS.maxStringBytes / 1024} KiB`);
    expect(row('one record, encoded')).toBe(`${DEFAULT_CBOR_LIMITS.maxBytes / 1024 / 1024} MiB`);
    expect(row('data items in one record')).toBe(DEFAULT_CBOR_LIMITS.maxItems.toLocaleString('en'));
    expect(row('nesting depth')).toBe(String(DEFAULT_CBOR_LIMITS.maxDepth));
    expect(row('one `sync\\(\\)`, in all')).toBe(`${DEFAULT_SYNC_TIMEOUT_MS / 1000} s`);
  });
});
