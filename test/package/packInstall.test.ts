/**
 * The package as an integrator gets it (issue #11, item 1): build, `npm pack`, then a fresh
 * app outside the repository installs the tarball with `npm install`, runs its own `npm ci`
 * from the lock file that wrote, and runs: ESM `import` and CJS `require` of every entry, the
 * server on its memory store, and the command line. The app has no overrides and approves no
 * install scripts. It needs the npm registry (the app's other dependencies come from there).
 *
 * What a browser app installs carries no native module and no install script; the database
 * drivers are optional peers, and without them the SQLite and PostgreSQL stores say which
 * package to install. The app's TypeScript, with `skipLibCheck: false`, type-checks against
 * every entry's declarations without @types/pg, @types/better-sqlite3 or @types/node.
 *
 * A second app is a Node app with the drivers (better-sqlite3 12, pg 8) beside the package:
 * the packed `multikey-sync/server`, `multikey-sync/node` and the `multikey-sync` command find
 * them; a device syncs a call through a server on SQLite, a PostgreSQL store opens on the test
 * cluster, and `multikey-sync serve --db` listens.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquirePostgres, type PostgresServer } from '../support/postgresFixture.js';
import { cleanEnv, makeApp, nativeOrScripted, packTarball, ROOT, type App } from './consumerApp.js';

const device = (load: string) => `
${load}
const { Device, seal, open, validateCallRecord, decodeKeyStatement, verifyKeyStatement } = mks;
const main = async () => {
  const phone = await Device.generate();
  const laptop = await Device.generate({ backend: 'noble' });
  // A pair key from the phone (libsodium) to the laptop (noble): X-Wing on both backends.
  const statement = verifyKeyStatement(phone.suite, decodeKeyStatement(laptop.epochs.current.statement.bytes), laptop.public);
  const made = phone.establishPairKey(laptop.public, statement, 1);
  const derived = laptop.acceptPairKey(phone.public, made.epoch, 1, made.ciphertext);
  const call = validateCallRecord({ service: 'phone', direction: 'outgoing', answered: true,
    peer: '+14155550123', startedAt: 1700000000000, durationSec: 42 });
  const account = new Uint8Array(32).fill(1);
  const env = seal(phone, account, [{ card: laptop.public, ref: 1, key: made.key }], { body: call, revision: 1 });
  const opened = open(laptop, account, { get: (sender, ref) => (ref === 1 ? derived : undefined) }, env);
  const blob = await phone.exportWithPassphrase('pw', { opsLimit: 4, memLimitBytes: 9 * 1024 * 1024 });
  const again = await Device.fromPassphraseBlob(blob, 'pw');
  process.stdout.write(JSON.stringify({ duration: opened.body.durationSec, same: again.id.join() === phone.id.join() }));
};
main().catch((e) => { console.error(e); process.exit(1); });
`;

const server = (load: string) => `
${load}
const { Device, HttpClient } = root;
const { createServer, MemoryStore, SqliteStore, PostgresStore } = srv;
const { SqliteLocalStore } = node;
const codeOf = (promise) => promise.then(() => 'resolved', (e) => e.code + ' ' + e.message);
const main = async () => {
  const s = createServer({ store: new MemoryStore() });
  const { url } = await s.listen(0, '127.0.0.1');
  const health = await new HttpClient({ baseUrl: url, device: await Device.generate() }).health();
  await s.close();
  process.stdout.write(JSON.stringify({
    health: typeof health.time,
    sqlite: await codeOf(SqliteStore.open(':memory:')),
    postgres: await codeOf(PostgresStore.connect('postgres://nobody@127.0.0.1:1/none')),
    local: await codeOf(SqliteLocalStore.open(':memory:')),
  }));
};
main().catch((e) => { console.error(e); process.exit(1); });
`;

const types = `
import { Device, HttpClient, MemoryLocalStore, Replica, type PairKeyLookup, type ReplicaEvents, type SealRecipient, type SyncReport, type WithheldReport } from 'multikey-sync';
import { HttpClient as BareClient, WIRE_ERRORS } from 'multikey-sync/client';
import { SqliteLocalStore } from 'multikey-sync/node';
import { createServer, MemoryStore, PostgresStore, SqliteStore, type PostgresPoolConfig, type ServerOptions } from 'multikey-sync/server';

export async function check(): Promise<SyncReport | undefined> {
  const options: ServerOptions = { store: new MemoryStore() };
  const server = createServer(options);
  const pool: PostgresPoolConfig = { host: 'db', max: 4 };
  void [PostgresStore.connect(pool), SqliteStore.open(':memory:'), SqliteLocalStore.open(':memory:'), BareClient, WIRE_ERRORS, Replica];
  const device = await Device.generate();
  void new HttpClient({ baseUrl: 'http://127.0.0.1:8787', device });
  void new MemoryLocalStore();
  const toSelf: SealRecipient = { card: device.public, ref: 1, key: device.establishPairKey(device.public, device.epochs.current!.statement, 1).key };
  const none: PairKeyLookup = { get: () => undefined };
  const owed = (alarm: ReplicaEvents['withheld']): WithheldReport['records'] => alarm.records;
  void [toSelf, none, owed];
  await server.close();
  return undefined;
}
`;

const nodeApp = `
import { Account, Device, HttpClient, Replica, callLogOptions } from 'multikey-sync';
import { SqliteLocalStore } from 'multikey-sync/node';
import { createServer, PostgresStore, SqliteStore } from 'multikey-sync/server';

const server = createServer({ store: await SqliteStore.open('./server.sqlite') });
const { url } = await server.listen(0, '127.0.0.1');
const phone = await Device.generate();
const { account } = await Account.create({ device: phone, transport: new HttpClient({ baseUrl: url, device: phone }) });
const replica = await Replica.open({ account, store: await SqliteLocalStore.open('./phone.sqlite') });
await replica.collection('calls', callLogOptions()).put({ service: 'phone', direction: 'incoming', answered: false, peer: '+14155550123', startedAt: Date.now(), durationSec: 0 });
const report = await replica.sync();
await replica.close();
await server.close();
const postgres = await PostgresStore.connect(process.argv[2]);
const usage = await postgres.usage(new Uint8Array(32)).then(() => 'found', (e) => e.code);
await postgres.close();
process.stdout.write(JSON.stringify({ pushed: report.pushed, postgres: usage }));
`;

let scratch: string;
let tarball: string;
let app: App;
let firstInstall = '';

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mks-pack-'));
  tarball = packTarball(scratch);
  app = makeApp(tarball);
  firstInstall = app.npm(['install']);
  rmSync(join(app.dir, 'node_modules'), { recursive: true, force: true });
  app.write('esm.mjs', device(`import * as mks from 'multikey-sync';`));
  app.write('cjs.cjs', device(`const mks = require('multikey-sync');`));
  app.write(
    'server.mjs',
    server(`import * as root from 'multikey-sync'; import * as srv from 'multikey-sync/server'; import * as node from 'multikey-sync/node';`),
  );
  app.write('server.cjs', server(`const root = require('multikey-sync'); const srv = require('multikey-sync/server'); const node = require('multikey-sync/node');`));
  app.write('src/check.ts', types);
}, 300_000);

afterAll(() => {
  app?.remove();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('a fresh app that installs the packed package', () => {
  it("runs its own npm ci from the lock file npm install wrote, with no override or approval", () => {
    const ci = app.npm(['ci']);
    const manifest = JSON.parse(readFileSync(join(app.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(manifest).filter((k) => ['overrides', 'allowScripts', 'resolutions'].includes(k))).toEqual([]);
    expect(`${firstInstall}\n${ci}`).not.toMatch(/install-scripts/);
    const packages = app.lockedPackages();
    console.log(`a browser app's install: ${packages.length} packages (${packages.map((p) => p.replace(/^.*node_modules\//, '')).join(', ')})`);
    expect(packages.some((p) => /better-sqlite3|\/pg$|hono|cbor-extract|cbor-x/.test(p))).toBe(false);
  }, 300_000);

  it('installs no native module and no install script', () => {
    expect(nativeOrScripted(join(app.dir, 'node_modules'))).toEqual([]);
  });

  it.each(['esm.mjs', 'cjs.cjs'])('seals and opens a call record from %s (libsodium, noble and sumo each load)', (file) => {
    expect(JSON.parse(app.node(file))).toEqual({ duration: 42, same: true });
  });

  it.each(['server.mjs', 'server.cjs'])('%s: the server runs on memory; each store without its driver names the package to install', (file) => {
    const out = JSON.parse(app.node(file)) as Record<string, string>;
    expect(out.health).toBe('number');
    expect(out.sqlite).toMatch(/^DEPENDENCY_MISSING .*"better-sqlite3".*npm install better-sqlite3@12/);
    expect(out.postgres).toMatch(/^DEPENDENCY_MISSING .*"pg".*npm install pg@8/);
    expect(out.local).toMatch(/^DEPENDENCY_MISSING SqliteLocalStore needs the package "better-sqlite3"/);
  });

  it('`multikey-sync serve` without a driver explains the one-command alternative; `--memory` serves', async () => {
    const bin = join(app.dir, 'node_modules', '.bin', 'multikey-sync');
    const refused = await runCli(bin, ['serve', '--port', '0'], app.dir);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('"better-sqlite3"');
    expect(refused.output).toContain('npx -p multikey-sync -p better-sqlite3@12 multikey-sync serve');
    const served = await runCli(bin, ['serve', '--memory', '--port', '0', '--quiet'], app.dir, /listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(served.output).toMatch(/store: memory/);
  }, 60_000);

  it('type-checks against every entry with skipLibCheck false, under node16 and bundler resolution', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, resolution] of [['node16', 'node16'], ['esnext', 'bundler']] as const) {
      const config = {
        compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module, moduleResolution: resolution, target: 'es2022', lib: ['es2022', 'dom'], types: [] },
        files: ['src/check.ts'],
      };
      app.write(`tsconfig.${resolution}.json`, JSON.stringify(config));
      app.write('src/package.json', JSON.stringify({ type: 'module' }));
      app.node(tsc, ['-p', `tsconfig.${resolution}.json`]);
    }
  }, 120_000);

  it('ships every file the README links to, and the notices match the bundled versions', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const [, target] of readme.matchAll(/\]\(((?!https?:|#)[^)#]+)\)/g)) {
      const path = target!.replace(/\/$/, '');
      expect(files.some((f) => f === path || f.startsWith(`${path}/`)), `README links ${target}`).toBe(true);
    }
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    const notices = readFileSync(join(ROOT, 'THIRD_PARTY_NOTICES.md'), 'utf8');
    for (const name of ['cbor-x', 'hono', '@hono/node-server']) {
      expect(notices).toContain(`## ${name} ${lock.packages[`node_modules/${name}`]!.version} `);
    }
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { repository?: { url?: string } };
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
  });
});

/** Runs the app's `multikey-sync` bin until it exits, or until `ready` shows (then SIGTERM). */
function runCli(bin: string, args: string[], cwd: string, ready?: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`multikey-sync ${args.join(' ')} did not finish:\n${output}`));
    }, 30_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (ready?.test(output)) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('a Node app with the drivers installed beside the package', () => {
  let nodeApp2: App;
  let postgres: PostgresServer;

  // Both drivers come from the registry, better-sqlite3 at the version of the repository's
  // lock. Its install script (a compile: no prebuilt binary is reachable here) would take 3 to
  // 10 minutes on a shared 2-core machine, so the app installs with --ignore-scripts and
  // receives the addon the repository's own install built for the same version and Node.
  beforeAll(async () => {
    postgres = await acquirePostgres();
    const ours = join(ROOT, 'node_modules', 'better-sqlite3');
    const version = (JSON.parse(readFileSync(join(ours, 'package.json'), 'utf8')) as { version: string }).version;
    nodeApp2 = makeApp(tarball, { 'better-sqlite3': version, pg: '^8.11.0' });
    nodeApp2.npm(['install', '--package-lock-only']);
    nodeApp2.npm(['ci', '--ignore-scripts']);
    const addon = join('build', 'Release', 'better_sqlite3.node');
    mkdirSync(join(nodeApp2.dir, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
    copyFileSync(join(ours, addon), join(nodeApp2.dir, 'node_modules', 'better-sqlite3', addon));
    nodeApp2.write('main.mjs', nodeApp);
  }, 300_000);

  afterAll(async () => {
    nodeApp2?.remove();
    await postgres?.release();
  });

  it('syncs through a server on SQLite from a SQLite replica, and opens a PostgreSQL store', async () => {
    const db = await postgres.createDatabase();
    try {
      expect(JSON.parse(nodeApp2.node('main.mjs', [db.connectionString]))).toEqual({ pushed: 1, postgres: 'ACCOUNT_NOT_FOUND' });
    } finally {
      await db.drop();
    }
  }, 120_000);

  it('`multikey-sync serve --db FILE` serves on SQLite', async () => {
    const child = spawn(join(nodeApp2.dir, 'node_modules', '.bin', 'multikey-sync'), ['serve', '--db', './cli.sqlite', '--port', '0', '--quiet'], {
      cwd: nodeApp2.dir,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" in 30 s:\n${output}`)), 30_000);
      const onData = (d: Buffer): void => {
        output += d.toString();
        if (/store: SQLite \.\/cli\.sqlite/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then(() => reject(new Error(`exited before listening:\n${output}`)));
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
