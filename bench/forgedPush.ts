/**
 * The server section: what unauthenticated traffic costs the server (issue 10). The server runs
 * as an operator runs it (`multikey-sync serve` on SQLite, in its own process, defaults only),
 * an account exists, and 40 pushes of 16 MiB each arrive at once for that account's real
 * device, with a signature over another body. The figure is the server's peak resident memory
 * above its idle level while they arrive (`forged_push_peak_rss_mib`, target under 100 MiB), read
 * from /proc every 10 ms, and what it still holds 3 s after the last answer
 * (`forged_push_rss_after_mib`). Before the in-flight body budget, the whole body of each was
 * read before its signature was checked: 157 → 699 MiB.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HttpClient } from '../src/client/httpClient.js';
import { Device } from '../src/core/device.js';
import { toHex } from '../src/crypto/bytes.js';
import { createGenesis } from '../src/enrollment/chainOps.js';
import { paths } from '../src/http/routes.js';
import { requestOrigin, signRequest } from '../src/http/signing.js';
import { round3, type Section } from './harness.js';

const ROOT = resolve(import.meta.dirname, '..');
const PUSHES = 40;
const BODY_BYTES = 16 * 1024 * 1024;
const MIB = 1024 * 1024;

/** Resident memory of `pid` in bytes, from /proc (Linux). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (kb === null) throw new Error('no VmRSS in /proc/PID/status');
  return Number(kb[1]) * 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `serve` in a child process; resolves with its URL and pid. */
async function startServe(db: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--db', db, '--port', '0', '--quiet'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolveUrl(match[1]!);
    });
    void exited.then(() => reject(new Error(`serve exited before listening:\n${out}`)));
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One forged push: real account and device headers, a signature over another body, 16 MiB sent. */
function forgedPush(url: string, path: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolveStatus) => {
    const req = request(new URL(path, url), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/cbor', 'content-length': String(body.length) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? 0));
    });
    // A server that answers and closes before taking the whole body resets the upload: that is
    // a refusal too, and may surface on the socket after the answer.
    req.on('error', () => resolveStatus(-1));
    req.on('socket', (socket) => socket.on('error', () => undefined));
    req.end(body);
  });
}

export const forgedPushSection: Section = {
  name: 'server',
  async run({ log }) {
    const dir = mkdtempSync(join(tmpdir(), 'mks-bench-forged-'));
    const serve = await startServe(join(dir, 'data.sqlite'));
    try {
      const device = await Device.generate();
      const client = new HttpClient({ baseUrl: serve.url, device });
      const { account } = await client.createAccount(createGenesis(device).bytes);
      await client.pull(0); // every route warmed once
      await sleep(1000);
      const idle = rssOf(serve.pid);
      const path = paths.envelopes(toHex(account));
      const headers = signRequest(device, { method: 'POST', origin: requestOrigin(serve.url), pathAndQuery: path, body: new Uint8Array([0xa0]), accountId: account, time: Date.now() });
      const body = Buffer.alloc(BODY_BYTES, 0x41);
      log(`server: ${PUSHES} forged ${BODY_BYTES / MIB} MiB pushes at once`);
      let peak = idle;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(serve.pid))), 10);
      const started = performance.now();
      const statuses = await Promise.all(Array.from({ length: PUSHES }, () => forgedPush(serve.url, path, headers, body)));
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      peak = Math.max(peak, rssOf(serve.pid));
      await sleep(3000);
      const after = rssOf(serve.pid);
      const counts = new Map<number, number>();
      for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
      const answered = [...counts].map(([s, n]) => `${n}× ${s === -1 ? 'reset' : s}`).join(', ');
      const peakMib = round3((peak - idle) / MIB);
      const afterMib = round3((after - idle) / MIB);
      return {
        cases: [
          {
            name: `${PUSHES} forged 16 MiB pushes at once (server RSS)`,
            backend: 'sodium',
            devices: 1,
            opsPerSec: PUSHES / seconds,
            bytes: BODY_BYTES,
            note: `idle ${Math.round(idle / MIB)} MiB, peak +${peakMib} MiB, +${afterMib} MiB 3 s later; ${answered}`,
          },
        ],
        ratios: { forged_push_peak_rss_mib: peakMib, forged_push_rss_after_mib: afterMib },
        targets: [{ key: 'forged_push_peak_rss_mib', op: '<=', limit: 100, label: 'server RSS above idle while 40 forged 16 MiB pushes arrive' }],
        notes: [
          `server: \`multikey-sync serve\` with default limits in its own process; RSS from /proc every 10 ms; answers ${answered} (401 SIGNATURE_INVALID for bodies within the in-flight budget, 503 SERVER_BUSY past it)`,
        ],
      };
    } finally {
      await serve.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
