/**
 * Scale-out: two `multikey-sync serve` processes on different ports share one PostgreSQL. A
 * device pushes through one while another device long-polls and pulls through the other: it
 * wakes (LISTEN/NOTIFY crosses processes) and sees the same envelopes in the same order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { toHex } from '../../src/crypto/bytes.js';
import type { TestDatabase } from '../support/postgres.js';
import { acquirePostgres, type PostgresServer } from '../support/postgresFixture.js';
import { spawnCli, type CliProcess } from './cliProcess.js';
import { isCheckpoint } from '../../src/core/logCheckpoint.js';
import { envelopesOf } from '../support/items.js';
import { callRecord, createAccount, logFor, removeDevice, sealFrom } from './harness.js';

let postgres: PostgresServer;
let database: TestDatabase;
const processes: CliProcess[] = [];

beforeAll(async () => {
  postgres = await acquirePostgres();
  database = await postgres.createDatabase();
});
afterAll(async () => {
  for (const p of processes) {
    p.kill('SIGTERM');
    await p.exited;
  }
  await database?.drop();
  await postgres?.release();
});

/** The test cluster trusts local connections, so a password in the URL is accepted and ignored. */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = 'pa55-not-to-be-printed';
  return u.toString();
}

describe('two server processes share one PostgreSQL', () => {
  it('a push through one wakes a wait through the other, and both serve the same data in order', async () => {
    const url = withPassword(database.connectionString);
    const one = spawnCli(['serve', '--postgres', url, '--port', '0'], 'npx');
    const two = spawnCli(['serve', '--postgres', url, '--port', '0'], 'npx');
    processes.push(one, two);
    const [urlOne, urlTwo] = await Promise.all([one.url, two.url]);
    for (const p of [one, two]) {
      expect(p.output()).toContain('store: PostgreSQL');
      expect(p.output()).not.toContain('pa55-not-to-be-printed');
    }

    const account = await createAccount(urlOne, 2);
    const phone = account.clients[0]!;
    const laptop = new HttpClient({ baseUrl: urlTwo, device: account.devices[1]!, accountId: account.accountId });

    // The laptop is parked in a long-poll on server two before anything is pushed.
    const started = Date.now();
    const firstWake = laptop.wait(0, 25_000);
    await new Promise((r) => setTimeout(r, 500));
    // Everything pushed, each checkpoint followed by the envelopes it claims.
    const pushed: Uint8Array[] = [];
    const first = [sealFrom(account, 0, callRecord(0))];
    const firstLog = await logFor(account, 0, first);
    await phone.push(first, firstLog.bytes);
    pushed.push(firstLog.bytes, ...first);
    const woke = await firstWake;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(woke.items).toEqual([firstLog.bytes, ...first]);

    // A stream of pushes through server one; the laptop follows through server two.
    const following = (async () => {
      const seen: Uint8Array[] = [...woke.items];
      let cursor = woke.cursor;
      while (envelopesOf(seen).length < 101) {
        const page = await laptop.wait(cursor, 10_000);
        seen.push(...page.items);
        cursor = page.cursor;
      }
      return seen;
    })();
    for (let i = 0; i < 10; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => sealFrom(account, 0, callRecord(1 + i * 10 + j)));
      const log = await logFor(account, 0, batch);
      await phone.push(batch, log.bytes);
      pushed.push(log.bytes, ...batch);
    }
    const seen = await following;
    expect(seen.map(toHex)).toEqual(pushed.map(toHex));
    expect(seen.filter(isCheckpoint)).toHaveLength(11);

    // Both servers serve the same pages.
    const viaOne = await phone.pull(0, 1000);
    const viaTwo = await laptop.pull(0, 1000);
    expect(viaOne).toEqual(viaTwo);
    expect(viaOne.items.map(toHex)).toEqual(pushed.map(toHex));

    // Both see one chain, and a revocation through server one is enforced by server two at once.
    expect((await laptop.readChain()).head).toEqual(account.state.head);
    await removeDevice(account, 1);
    await expect(laptop.pull(0)).rejects.toMatchObject({ code: 'DEVICE_REVOKED', status: 403 });
  });
});
