/** `multikey-sync serve` as a process: help, errors, what it prints, graceful shutdown. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { redactPostgresUrl } from '../../src/server/redactUrl.js';
import { spawnCli, type CliProcess } from './cliProcess.js';
import { callRecord, createAccount, pushFrom, sealFrom } from './harness.js';

const running: CliProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mks-cli-'));
  dirs.push(dir);
  return join(dir, 'data.sqlite');
}

function start(args: string[], mode: 'npx' | 'node' = 'node'): CliProcess {
  const p = spawnCli(args, mode);
  running.push(p);
  return p;
}

describe('the command line', () => {
  it('--help explains every flag and exits 0', async () => {
    const p = start(['serve', '--help']);
    expect((await p.exited).code).toBe(0);
    for (const flag of ['--db', '--postgres', '--port', '--host', '--quota-mb', '--max-body-kb', '--help', 'SIGTERM']) {
      expect(p.output()).toContain(flag);
    }
  });

  it('refuses unknown flags and conflicting stores with exit code 2', async () => {
    const unknown = start(['serve', '--colour']);
    expect((await unknown.exited).code).toBe(2);
    expect(unknown.output()).toContain('--help');
    const both = start(['serve', '--db', 'x.sqlite', '--postgres', 'postgres://a@b/c']);
    expect((await both.exited).code).toBe(2);
    const badPort = start(['serve', '--port', 'eighty']);
    expect((await badPort.exited).code).toBe(2);
  });

  it('never prints a PostgreSQL password', () => {
    const shown = redactPostgresUrl('postgres://sync:hunter2@db.internal:5432/mks?sslpassword=s3cret&application_name=x');
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('s3cret');
    expect(shown).toContain('db.internal:5432/mks');
    expect(redactPostgresUrl('not a url hunter2')).not.toContain('hunter2');
  });
});

describe('serve on SQLite', () => {
  it('prints where it listens and which store, logs route patterns, and on SIGTERM finishes requests in flight and exits 0', async () => {
    const db = tempDb();
    const p = start(['serve', '--db', db, '--port', '0']);
    const url = await p.url;
    expect(p.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(p.output()).toContain(`store: SQLite ${db}`);
    const account = await createAccount(url, 2);
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1))]);
    // A long-poll is open when the signal arrives: it must get its answer, not a reset.
    const waiting = account.clients[1]!.wait(1_000_000, 25_000);
    await new Promise((r) => setTimeout(r, 300));
    p.kill('SIGTERM');
    await expect(waiting).resolves.toMatchObject({ items: [] });
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.output()).toMatch(/POST \/v1\/accounts\/:account\/envelopes 200/);
    expect(p.output()).not.toContain(Buffer.from(account.accountId).toString('hex'));
  });

  it('exits 0 on SIGINT too', async () => {
    const p = start(['serve', '--db', tempDb(), '--port', '0', '--quiet']);
    await p.url;
    p.kill('SIGINT');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });

  it('applies --quota-mb and --max-body-kb', async () => {
    const p = start(['serve', '--db', tempDb(), '--port', '0', '--quota-mb', '1', '--max-body-kb', '64']);
    const url = await p.url;
    const account = await createAccount(url, 2);
    const batch = Array.from({ length: 150 }, (_, i) => sealFrom(account, 0, callRecord(i)));
    await expect(pushFrom(account, 0, batch)).rejects.toMatchObject({ code: 'BODY_TOO_LARGE', status: 413 });
    expect(await pushFrom(account, 0, batch.slice(0, 5))).toHaveLength(5);
    const big = Array.from({ length: 3000 }, (_, i) => sealFrom(account, 0, callRecord(i)));
    let refused: unknown;
    for (let i = 0; i < big.length && refused === undefined; i += 100) {
      await pushFrom(account, 0, big.slice(i, i + 100)).catch((e: unknown) => (refused = e));
    }
    expect(refused).toMatchObject({ code: 'QUOTA_EXCEEDED', status: 507 });
  });
});
