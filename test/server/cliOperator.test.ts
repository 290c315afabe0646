/**
 * `multikey-sync serve` as an operator runs it: a version, every flag also from an `MKS_*`
 * variable (and the port from `PORT`), JSON logs that name routes and never ids, Prometheus
 * metrics, an admission token, flags for the per-address limits, and no database file left
 * behind when the port is taken. `--help` lists every option with its variable.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVE_FLAGS } from '../../src/cli/flags.js';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { toHex } from '../../src/crypto/bytes.js';
import { createGenesis } from '../../src/enrollment/chainOps.js';
import { spawnCli, type CliProcess } from './cliProcess.js';
import { callRecord, createAccount, pushFrom, sealFrom } from './harness.js';

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

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mks-op-'));
  dirs.push(dir);
  return join(dir, 'data.sqlite');
}

function start(args: string[], env: Record<string, string> = {}): CliProcess {
  const p = spawnCli(args, 'node', env);
  running.push(p);
  return p;
}

/** A free port, found by binding 0 and letting go. */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe('operator basics', () => {
  it('--version prints the package version; --help lists every flag with its variable, health and metrics', async () => {
    const version = start(['--version']);
    expect((await version.exited).code).toBe(0);
    expect(version.output().trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const help = start(['serve', '--help']);
    expect((await help.exited).code).toBe(0);
    for (const spec of SERVE_FLAGS) {
      expect(help.output()).toContain(`--${spec.name}`);
      for (const variable of spec.env) expect(help.output()).toContain(variable);
    }
    for (const word of ['--version', '/healthz', '/v1/health', '/metrics', 'SIGTERM']) expect(help.output()).toContain(word);
  });

  it('takes its options from MKS_* variables and PORT; a flag beats its variable; a bad value is exit 2', async () => {
    const port = await freePort();
    const db = tempDb();
    const p = start(['serve'], { PORT: String(port), MKS_DB: db, MKS_QUIET: '1' });
    expect(await p.url).toBe(`http://127.0.0.1:${port}`);
    expect(p.output()).toContain(`store: SQLite ${db}`);
    p.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);

    const flagWins = start(['serve', '--memory', '--port', '0'], { MKS_PORT: String(port), PORT: '1' });
    expect(await flagWins.url).not.toBe(`http://127.0.0.1:${port}`);
    const bad = start(['serve', '--memory'], { MKS_IP_RATE: 'fast' });
    expect((await bad.exited).code).toBe(2);
    expect(bad.output()).toContain('MKS_IP_RATE must be an integer');
  });

  it('binds before it opens the store: a taken port leaves no database file behind', async () => {
    const taken = createNetServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const db = tempDb();
      const p = start(['serve', '--db', db, '--port', String((taken.address() as AddressInfo).port)]);
      expect((await p.exited).code).toBe(1);
      expect(p.output()).toContain('EADDRINUSE');
      expect(existsSync(db)).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('logs JSON records with route patterns and never an id, and serves Prometheus metrics', async () => {
    const p = start(['serve', '--db', tempDb(), '--port', '0', '--log-format', 'json']);
    const url = await p.url;
    const account = await createAccount(url, 2);
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1)), sealFrom(account, 0, callRecord(2))]);
    await account.clients[1]!.pull(0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^mks_envelopes_stored_total 2$/m);
    expect(metrics).toMatch(/^mks_http_requests_total\{method="POST",route="\/v1\/accounts\/:account\/envelopes",status="200"\} 1$/m);
    expect(metrics).toMatch(/^mks_http_request_duration_seconds_count\{method="GET",route="\/v1\/accounts\/:account\/envelopes"\} 1$/m);
    expect(metrics).toMatch(/^mks_long_polls_open 0$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes /m);
    p.kill('SIGTERM');
    await p.exited;
    const lines = p.output().trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((r) => r['msg'] === 'listening')).toMatchObject({ url, level: 'info' });
    expect(records.filter((r) => r['msg'] === 'request').map((r) => r['route'])).toContain('/v1/accounts/:account/envelopes');
    const all = p.output();
    expect(all).not.toContain(toHex(account.accountId));
    for (const device of account.devices) expect(all).not.toContain(toHex(device.id));
    expect(metrics).not.toContain(toHex(account.accountId));
  });

  it('--disable-metrics turns /metrics off', async () => {
    const p = start(['serve', '--memory', '--port', '0', '--disable-metrics']);
    expect((await fetch(`${await p.url}/metrics`)).status).toBe(404);
  });

  it('MKS_ADMISSION_TOKEN lets only clients with the token create accounts', async () => {
    const token = 'operator-secret-0123456789';
    const p = start(['serve', '--memory', '--port', '0'], { MKS_ADMISSION_TOKEN: token });
    const url = await p.url;
    const device = await Device.generate();
    const stranger = new HttpClient({ baseUrl: url, device });
    await expect(stranger.createAccount(createGenesis(device).bytes)).rejects.toMatchObject({ code: 'ADMISSION_DENIED', status: 403 });
    const wrong = new HttpClient({ baseUrl: url, device, admissionToken: 'guess-0123456789abcdef' });
    await expect(wrong.createAccount(createGenesis(device).bytes)).rejects.toMatchObject({ code: 'ADMISSION_DENIED' });
    const admitted = new HttpClient({ baseUrl: url, device, admissionToken: token });
    await expect(admitted.createAccount(createGenesis(device).bytes)).resolves.toMatchObject({ account: expect.any(Uint8Array) });
    expect(p.output()).not.toContain(token);
  });

  it('--anonymous-rate lets many devices behind one address pair at once', async () => {
    const p = start(['serve', '--memory', '--port', '0', '--anonymous-rate', '1000', '--anonymous-burst', '500']);
    const url = await p.url;
    const device = await Device.generate();
    const client = new HttpClient({ baseUrl: url, device, retry: false });
    // 200 mailbox polls at once: far past the default burst of 60 per address.
    const ids = Array.from({ length: 200 }, (_, i) => new Uint8Array(32).fill(i % 256).map((b, j) => (j === 0 ? i >> 8 : b)));
    const answers = await Promise.all(ids.map((id) => client.mailboxTake(id)));
    expect(answers).toEqual(Array(200).fill(null));
  });
});
