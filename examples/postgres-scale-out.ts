/**
 * Scale-out: two `multikey-sync serve` processes share one PostgreSQL database. The phone talks
 * only to server A, the laptop only to server B. The laptop pairs through B with a phone that
 * approves through A (the pairing mailbox is in the database), then parks a long-poll on B;
 * a call the phone pushes through A wakes it within milliseconds (PostgreSQL LISTEN/NOTIFY
 * crosses the processes). Each server's request log is shown for that part, so you can see
 * which process handled what.
 *
 * The example starts a throwaway PostgreSQL cluster of its own (initdb in a temp folder, trust
 * auth on 127.0.0.1, a free port) and removes it at the end. It needs the PostgreSQL server
 * binaries (Debian: `apt-get install postgresql`, or set PG_BINDIR) and fails with a message
 * saying so when they are missing. In this repository the server command is src/cli.ts run with
 * tsx; with the package installed it is `npx multikey-sync serve --postgres URL`.
 * Run: npx tsx examples/postgres-scale-out.ts
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  Account,
  Device,
  HttpClient,
  MemoryLocalStore,
  Replica,
  callLogOptions,
  createPairingOffer,
  encodePairingOffer,
  isCheckpoint,
  type CallRecord,
  type LiveSync,
} from 'multikey-sync';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'src', 'cli.ts');
const PG_BINARIES = ['initdb', 'pg_ctl', 'postgres'];
const run = promisify(execFile);

let postgres: Postgres;
try {
  postgres = await startPostgres();
} catch (error) {
  console.error(`postgres-scale-out: cannot start PostgreSQL: ${(error as Error).message}`);
  process.exit(1);
}
console.log(`PostgreSQL ${postgres.version} on ${postgres.url} (throwaway cluster)`);

const servers: ServeProcess[] = [];
const replicas: Replica[] = [];
let live: LiveSync | undefined;
try {
  // Two independent processes, one database.
  const [a, b] = await Promise.all([serve('A', postgres.url), serve('B', postgres.url)]);
  servers.push(a, b);
  for (const s of servers) console.log(`server ${s.name}: pid ${s.child.pid}, ${s.url}`);
  const via = (baseUrl: string) => (device: Device, accountId?: Uint8Array) =>
    new HttpClient({ baseUrl, device, ...(accountId === undefined ? {} : { accountId }) });
  const connectA = via(a.url);
  const connectB = via(b.url);

  // The phone creates the account through A; the laptop joins through B.
  const phoneDevice = await Device.generate();
  const { account: phone } = await Account.create({ device: phoneDevice, transport: connectA(phoneDevice) });
  const laptopDevice = await Device.generate();
  const offer = createPairingOffer(laptopDevice, b.url);
  const fast = { pollMs: 100, timeoutMs: 10_000 };
  // The person compares the two screens: the approving device shows a code, the new device asks if it matches.
  let showCode!: (code: string) => void;
  const shownCode = new Promise<string>((resolve) => (showCode = resolve));
  const [laptop] = await Promise.all([
    Account.joinWithOffer({
      device: laptopDevice, offer, transport: connectB(laptopDevice), connect: connectB, confirmSas: async (code) => code === (await shownCode), ...fast,
    }),
    phone.approveOffer(encodePairingOffer(offer), { confirm: async () => true, showSas: showCode, ...fast }),
  ]);
  console.log('the phone (via A) paired the laptop (via B): the pairing mailbox is shared through PostgreSQL');

  const phoneReplica = await Replica.open({ account: phone, store: new MemoryLocalStore() });
  const laptopReplica = await Replica.open({ account: laptop, store: new MemoryLocalStore() });
  replicas.push(phoneReplica, laptopReplica);
  const phoneCalls = phoneReplica.collection('calls', callLogOptions());
  const laptopCalls = laptopReplica.collection('calls', callLogOptions());

  // How long after the phone's push (through A) each change reached the laptop (through B).
  let pushedAt = 0;
  let received = { count: 0, lastMs: 0 };
  laptopReplica.on('change', (e) => {
    if (e.origin === 'remote') received = { count: received.count + 1, lastMs: Date.now() - pushedAt };
  });
  const report = (what: string) => {
    console.log(`  laptop (B) received ${what} ${received.lastMs} ms after the phone's push (A)`);
    received = { count: 0, lastMs: 0 };
  };

  // The laptop's live sync: after a first round it parks a long-poll on server B.
  const firstRound = new Promise<void>((resolve) => laptopReplica.on('synced', () => resolve()));
  live = laptopReplica.live({ onError: (error) => console.log(`  laptop live sync error: ${String(error)}`) });
  await firstRound;
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the wait sits idle on B for a second
  for (const s of servers) s.echo = true;

  console.log('\nthe phone logs a call and syncs through A; the laptop waits on B');
  const call: CallRecord = { service: 'phone', direction: 'incoming', answered: true, peer: '+14155550123', startedAt: Date.now() - 120_000, durationSec: 95 };
  pushedAt = Date.now();
  const id = await phoneCalls.put(call);
  await phoneReplica.sync();
  await until(async () => (await laptopCalls.get(id)) !== undefined, 'the call is on the laptop');
  report('it');
  await new Promise((resolve) => setTimeout(resolve, 100)); // let the servers' log lines arrive
  for (const s of servers) s.echo = false;

  console.log('\nten more calls through A, and a deletion');
  pushedAt = Date.now();
  const ids: Uint8Array[] = [];
  for (let i = 0; i < 10; i++) {
    ids.push(await phoneCalls.put({ ...call, peer: `+1212555010${i}`, startedAt: call.startedAt + i * 1000 }));
  }
  await phoneReplica.sync();
  await until(async () => (await laptopCalls.count()) === 11, 'the laptop holds 11 calls');
  report(`${received.count} calls, the last`);
  pushedAt = Date.now();
  await phoneCalls.delete(ids[0]!);
  await phoneReplica.sync();
  await until(async () => (await laptopCalls.count()) === 10, 'the deletion reached the laptop');
  report('the deletion');

  // Both processes serve the same data in the same order: the cursor is the database's.
  const pageA = await phone.transport.pull(0, 1000);
  const pageB = await laptop.transport.pull(0, 1000);
  const same = pageA.cursor === pageB.cursor && pageA.items.length === pageB.items.length &&
    pageA.items.every((e, i) => Buffer.from(e).equals(pageB.items[i]!));
  const checkpoints = pageA.items.filter((bytes) => isCheckpoint(bytes)).length;
  console.log(`\nserver A and server B serve the same ${pageA.items.length - checkpoints} envelopes and ${checkpoints} log checkpoints, cursor ${pageA.cursor}: ${same}`);
  console.log(`requests handled: server A ${a.log.length}, server B ${b.log.length}`);
} finally {
  await live?.stop();
  for (const r of replicas) await r.close();
  for (const s of servers) {
    const { code } = await s.stop();
    console.log(`server ${s.name} stopped on SIGTERM, exit code ${code}`);
  }
  await postgres.stop();
  console.log('PostgreSQL stopped and removed');
}

// ---------------------------------------------------------------------------------------------

interface ServeProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** Request log lines (method, route pattern, status, time; never ids or bodies). */
  log: string[];
  /** Print log lines as they arrive. */
  echo: boolean;
  stop(): Promise<{ code: number | null }>;
}

/** Starts `multikey-sync serve --postgres URL --port 0` and waits for the URL it prints. */
function serve(name: string, postgresUrl: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--postgres', postgresUrl, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null }>((resolve) => child.once('exit', (code) => resolve({ code })));
  process.once('exit', () => child.kill('SIGKILL')); // only if this example dies first
  let output = '';
  const proc: ServeProcess = {
    name,
    url: '',
    child,
    log: [],
    echo: false,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    let pending = '';
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const listening = /listening on (http:\/\/\S+)/.exec(line);
        if (listening) {
          proc.url = listening[1]!;
          resolve(proc);
        }
        // Request lines start with an ISO timestamp, then the method.
        const request = /^\S+Z ((?:GET|POST|PUT|DELETE) .*)$/.exec(line);
        if (request) {
          proc.log.push(request[1]!);
          if (proc.echo) console.log(`  [server ${name}] ${request[1]}`);
        }
      }
    });
    void exited.then(({ code }) => reject(new Error(`server ${name} exited (${code}) before listening:\n${output}`)));
    setTimeout(() => reject(new Error(`server ${name} did not start in 30 s:\n${output}`)), 30_000).unref();
  });
}

async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  console.log(`  ✓ ${what}`);
}

// ---------------------------------------------------------------------------------------------
// A throwaway PostgreSQL cluster.

interface Postgres {
  url: string;
  version: string;
  stop(): Promise<void>;
}

/** The first directory holding initdb, pg_ctl and postgres (a lone pg_ctl on PATH is not enough). */
function findBinDir(): string {
  const candidates: string[] = [];
  if (process.env['PG_BINDIR']) candidates.push(process.env['PG_BINDIR']);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config: look in Debian's versioned folders
  }
  let majors: string[] = [];
  try {
    majors = readdirSync('/usr/lib/postgresql').filter((m) => /^\d+$/.test(m)).sort((x, y) => Number(y) - Number(x));
  } catch {
    // not Debian-style
  }
  candidates.push(...majors.map((m) => `/usr/lib/postgresql/${m}/bin`));
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const found = candidates.find((dir) => PG_BINARIES.every((bin) => executable(join(dir, bin))));
  if (found !== undefined) return found;
  throw new Error(
    `the PostgreSQL server binaries (${PG_BINARIES.join(', ')}) were not found` +
      (candidates.length > 0 ? ` (looked in ${[...new Set(candidates)].join(', ')})` : '') +
      '. Install them (Debian: apt-get install postgresql) or set PG_BINDIR to their folder.',
  );
}

/** initdb refuses to run as root: then the cluster belongs to the `postgres` OS user. */
function osUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root, and there is no `postgres` OS user to own the cluster (initdb refuses root)');
  }
}

async function startPostgres(): Promise<Postgres> {
  const bin = findBinDir();
  const user = osUser();
  const exec = async (file: string, args: string[]) => {
    const [cmd, argv] = user === undefined ? [file, args] : ['runuser', ['-u', 'postgres', '--', file, ...args]];
    try {
      return (await run(cmd, argv, { encoding: 'utf8' })).stdout;
    } catch (error) {
      throw new Error(`${file} failed: ${((error as { stderr?: string }).stderr ?? String(error)).trim()}`);
    }
  };
  const base = mkdtempSync(join(tmpdir(), 'mks-example-pg-'));
  const data = join(base, 'data');
  const sockets = join(base, 'sock');
  mkdirSync(sockets, { mode: 0o700 });
  if (user !== undefined) for (const dir of [base, sockets]) chownSync(dir, user.uid, user.gid);
  const pgCtl = join(bin, 'pg_ctl');
  let running = false;
  // If this process dies with the cluster up, take it down rather than leave it behind.
  const emergencyStop = () => {
    if (!running) return;
    try {
      const args = ['-D', data, 'stop', '-m', 'immediate'];
      execFileSync(user === undefined ? pgCtl : 'runuser', user === undefined ? args : ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore' });
    } catch {
      // best effort
    }
    rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', emergencyStop);
  try {
    const version = (await exec(join(bin, 'postgres'), ['--version'])).trim().replace(/^.*\) /, '');
    await exec(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let port = 0;
    for (let attempt = 1; !running; attempt++) {
      port = await freePort();
      const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='${sockets}' -c fsync=off -c synchronous_commit=off`;
      try {
        await exec(pgCtl, ['-D', data, '-l', join(base, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
        running = true;
      } catch (error) {
        if (attempt >= 3) throw error; // else the port was taken meanwhile: try another
      }
    }
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      version,
      async stop() {
        if (!running) return;
        await exec(pgCtl, ['-D', data, 'stop', '-m', 'fast', '-w']);
        running = false;
        process.removeListener('exit', emergencyStop);
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (error) {
    emergencyStop();
    process.removeListener('exit', emergencyStop);
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
