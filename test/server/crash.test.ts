/**
 * A server process killed with SIGKILL in the middle of a stream of pushes, then restarted on
 * the same SQLite file, has lost nothing it acknowledged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { toHex } from '../../src/crypto/bytes.js';
import { replayChain } from '../../src/enrollment/chainState.js';
import { spawnCli, type CliProcess } from './cliProcess.js';
import { isCheckpoint } from '../../src/core/logCheckpoint.js';
import { callRecord, createAccount, logFor, sealFrom } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'mks-crash-'));
const db = join(dir, 'data.sqlite');
const processes: CliProcess[] = [];
afterAll(async () => {
  for (const p of processes) {
    p.kill('SIGKILL');
    await p.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

function serve(): CliProcess {
  const p = spawnCli(['serve', '--db', db, '--port', '0', '--quiet'], 'npx');
  processes.push(p);
  return p;
}

describe('a server killed with SIGKILL during pushes', () => {
  it('has, after a restart on the same file, every envelope and checkpoint it acknowledged', async () => {
    const first = serve();
    const account = await createAccount(await first.url, 2, { retry: false });
    const acknowledged: Uint8Array[] = [];
    let stop = false;
    let failures = 0;
    // Two devices push batches back to back until the process dies under them.
    const pusher = async (device: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const batch = Array.from({ length: 25 }, (_, j) => sealFrom(account, device, callRecord(device * 1_000_000 + i * 25 + j)));
        try {
          const log = await logFor(account, device, batch);
          const outcomes = await account.clients[device]!.push(batch, log.bytes);
          expect(outcomes.every((o) => o === 'stored')).toBe(true);
          acknowledged.push(log.bytes, ...batch);
        } catch (error) {
          expect(error).toMatchObject({ code: 'NETWORK_ERROR' });
          failures++;
          return;
        }
      }
    };
    const pushing = Promise.all([pusher(0), pusher(1)]);
    while (acknowledged.filter((a) => !isCheckpoint(a)).length < 500) await new Promise((r) => setTimeout(r, 5));
    first.kill('SIGKILL');
    await first.exited;
    await pushing;
    stop = true;
    expect(failures).toBeGreaterThan(0);

    const second = serve();
    const url = await second.url;
    const reader = new HttpClient({ baseUrl: url, device: account.devices[1]!, accountId: account.accountId });
    const stored = new Set<string>();
    let cursor = 0;
    for (;;) {
      const page = await reader.pull(cursor, 1000);
      for (const item of page.items) stored.add(toHex(item));
      cursor = page.cursor;
      if (!page.more) break;
    }
    const lost = acknowledged.filter((e) => !stored.has(toHex(e)));
    expect(lost).toHaveLength(0);
    expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);
    const chain = await reader.readChain();
    expect(replayChain(account.devices[1]!.suite, chain.entries).head).toEqual(account.state.head);
  });
});
