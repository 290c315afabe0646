/**
 * The server's own stored chain stops replaying: someone with access to the database wrote an
 * entry behind the server's back, or the disk damaged one. Every signed request for that
 * account gets 500 `CHAIN_CORRUPT`, which the client does not retry (the same request would
 * fail the same way), and the operator's log line names the account by its short id only.
 * Other accounts are unaffected.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { toHex } from '../../src/crypto/bytes.js';
import { deviceKeys, makeAdd, signConsent } from '../../src/enrollment/chainOps.js';
import { createServer } from '../../src/server/createServer.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import { callRecord, createAccount, logFor, pushFrom, sealFrom, startServer, type Harness, type TestAccount } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startServer();
});
afterEach(async () => {
  await h.stop();
});

/** Runs `sql` with `params` on the server's SQLite file, as an operator's shell would. */
function rawSql(sql: string, ...params: unknown[]): void {
  const db = new Database(h.dbPath);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

/** A valid next `add` entry of `account` with one bit of its signature flipped. */
async function entryWithBadSignature(account: TestAccount): Promise<{ index: number; hash: Uint8Array; bytes: Uint8Array }> {
  const joiner = await Device.generate();
  const add = makeAdd(account.devices[0]!, account.state, deviceKeys(joiner), signConsent(joiner, account.accountId));
  const bytes = add.bytes.slice();
  const at = Buffer.from(bytes).indexOf(Buffer.from(add.entry.sig));
  expect(at).toBeGreaterThan(0);
  bytes[at + 10]! ^= 0x01;
  return { index: add.entry.i, hash: add.hash, bytes };
}

const ACCOUNT_NO = '(SELECT account_no FROM accounts WHERE account_id = ?)';

function linesWith(code: string): string[] {
  return h.logs.filter((l) => l.includes(code));
}

describe('a stored chain that no longer replays', () => {
  it('an entry appended with raw SQL: CHAIN_CORRUPT on every signed route, once each, logged by short id', async () => {
    const account = await createAccount(h.url, 2);
    const bystander = await createAccount(h.url, 1);
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1))]);
    const usage = await h.store.usage(account.accountId);
    // The laptop's next push and purge, made while the chain still replays.
    const queued = [sealFrom(account, 1, callRecord(2))];
    const pushLog = await logFor(account, 1, queued);
    const purgeLog = await logFor(account, 1, [], { purges: [{ recordId: new Uint8Array(16), upToRevision: 0 }] });

    const bad = await entryWithBadSignature(account);
    const id = Buffer.from(account.accountId);
    rawSql(`INSERT INTO chain (account_no, idx, hash, bytes) VALUES (${ACCOUNT_NO}, ?, ?, ?)`, id, bad.index, Buffer.from(bad.hash), Buffer.from(bad.bytes));
    rawSql('UPDATE accounts SET head_index = ?, head_hash = ? WHERE account_id = ?', bad.index, Buffer.from(bad.hash), id);

    // The default client retries 5xx four times; this one it must not retry.
    const laptop = new HttpClient({ baseUrl: h.url, device: account.devices[1]!, accountId: account.accountId, retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 } });
    const corrupt = { code: 'CHAIN_CORRUPT', status: 500 };
    await expect(laptop.pull(0)).rejects.toMatchObject(corrupt);
    expect(linesWith('CHAIN_CORRUPT')).toHaveLength(1);
    await expect(laptop.push(queued, pushLog.bytes)).rejects.toMatchObject(corrupt);
    await expect(laptop.readChain()).rejects.toMatchObject(corrupt);
    await expect(laptop.wait(0, 100)).rejects.toMatchObject(corrupt);
    await expect(laptop.purge(purgeLog.bytes)).rejects.toMatchObject(corrupt);
    await expect(laptop.logHead(account.devices[0]!.id)).rejects.toMatchObject(corrupt);
    expect(linesWith('CHAIN_CORRUPT')).toHaveLength(6);

    const short = toHex(account.accountId).slice(0, 8);
    expect(linesWith('CHAIN_CORRUPT')[0]).toMatch(
      new RegExp(`^GET /v1/accounts/:account/envelopes 500 [\\d.]+ms CHAIN_CORRUPT account=${short} CryptoError:CHAIN_SIGNATURE_INVALID$`),
    );
    expect(h.logs.join('\n')).not.toContain(toHex(account.accountId));
    expect(await h.store.usage(account.accountId)).toEqual(usage);

    // Unsigned routes and other accounts carry on.
    await expect(laptop.health()).resolves.toMatchObject({ status: 'ok' });
    expect(await pushFrom(bystander, 0, [sealFrom(bystander, 0, callRecord(3))])).toEqual(['stored']);
  });

  it('an entry damaged in place is found by a server started on the same file', async () => {
    const account = await createAccount(h.url, 2);
    const id = Buffer.from(account.accountId);
    rawSql(`UPDATE chain SET bytes = ? WHERE account_no = ${ACCOUNT_NO} AND idx = 1`, Buffer.from([0xa1, 0x61, 0x76, 0x01]), id);

    const logs: string[] = [];
    const restarted = createServer({ store: await SqliteStore.open(h.dbPath), log: (line) => logs.push(line) });
    const { url } = await restarted.listen(0, '127.0.0.1');
    try {
      const phone = new HttpClient({ baseUrl: url, device: account.devices[0]!, accountId: account.accountId });
      await expect(phone.pull(0)).rejects.toMatchObject({ code: 'CHAIN_CORRUPT', status: 500 });
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain(`CHAIN_CORRUPT account=${toHex(account.accountId).slice(0, 8)} CodecError:CHAIN_ENTRY_MALFORMED`);
    } finally {
      await restarted.close();
    }
  });
});
