/**
 * `serve` on a database that cannot do its job, with real faults: the database sits on a tmpfs
 * of its own (a private mount namespace, `unshare -m`, as root), remounted read-only or too
 * small. The server must refuse to start on a store it cannot write, naming the file, and a
 * full disk must be 507 `STORE_FULL` with its cause in the log, not a generic 503.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, type CliProcess } from './cliProcess.js';
import { createAccount, pushFrom, sealFrom } from './harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const running: CliProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mks-fault-'));
  dirs.push(dir);
  return dir;
}

/** A SQLite file in WAL mode whose writer was SIGKILLed: the -wal and -shm files are left beside it. */
function crashedDatabase(dir: string): void {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(join(dir, 'data.sqlite'))});
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE filler (x BLOB)');
    for (let i = 0; i < 50; i++) db.exec('INSERT INTO filler VALUES (randomblob(1000))');
    process.kill(process.pid, 'SIGKILL');`;
  spawnSync(process.execPath, ['-e', script], { cwd: ROOT });
}

describe('serve on a database it cannot use', () => {
  it('refuses to start on a read-only database left with a WAL after a crash, naming the file', async () => {
    const prepared = tempDir();
    crashedDatabase(prepared);
    const mount = tempDir();
    const db = join(mount, 'data.sqlite');
    const setup = `mount -t tmpfs -o size=4m tmpfs ${mount}\ncp ${prepared}/data.sqlite* ${mount}/\nmount -o remount,ro ${mount}`;
    const p = spawnCli(['serve', '--db', db, '--port', '0'], 'node', {}, setup);
    running.push(p);
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toContain(`cannot use SQLite ${db}: it refuses writes`);
    expect(p.output()).toContain('STORE_READ_ONLY');
    expect(p.output()).not.toContain('listening');
  });

  it('a full disk is 507 STORE_FULL for pushes and for /healthz, and the log names SQLITE_FULL', async () => {
    const mount = tempDir();
    const db = join(mount, 'data.sqlite');
    const p = spawnCli(['serve', '--db', db, '--port', '0', '--log-format', 'json'], 'node', {}, `mount -t tmpfs -o size=1m tmpfs ${mount}`);
    running.push(p);
    const url = await p.url;
    const account = await createAccount(url, 1, { retry: false });
    const big = (i: number) => sealFrom(account, 0, { collection: 'files', record: { n: i, blob: 'x'.repeat(60_000) } });
    let refused: unknown;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      await pushFrom(account, 0, [big(i)]).catch((e: unknown) => (refused = e));
    }
    expect(refused).toMatchObject({ code: 'STORE_FULL', status: 507 });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(507);
    expect(await health.json()).toMatchObject({ status: 'failing', code: 'STORE_FULL' });
    const records = p
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const failures = records.filter((r) => r['code'] === 'STORE_FULL');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const f of failures) expect(f).toMatchObject({ level: 'error', detail: expect.stringContaining('cause=SQLITE_FULL') });
    expect(p.output()).not.toContain(Buffer.from(account.accountId).toString('hex'));
  });
});
