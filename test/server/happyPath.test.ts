import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCheckpoint } from '../../src/core/logCheckpoint.js';
import { open } from '../../src/core/open.js';
import { replayChain } from '../../src/enrollment/chainState.js';
import { envelopesOf } from '../support/items.js';
import { callRecord, createAccount, logFor, pushFrom, sealFrom, startServer, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startServer();
});
afterEach(async () => {
  await h.stop();
});

describe('a phone and a laptop sync call records through the server', () => {
  it('health answers with the server clock', async () => {
    const account = await createAccount(h.url, 1);
    const health = await account.clients[0]!.health();
    expect(health.status).toBe('ok');
    expect(Math.abs(health.time - Date.now())).toBeLessThan(5000);
  });

  it('the laptop reads and verifies the chain the phone wrote', async () => {
    const account = await createAccount(h.url, 2);
    const chain = await account.clients[1]!.readChain();
    expect(chain.length).toBe(2);
    const replayed = replayChain(account.devices[1]!.suite, chain.entries);
    expect(replayed.head).toEqual(account.state.head);
    expect(chain.head).toEqual(account.state.head);
    expect((await account.clients[1]!.readChain(1)).entries).toEqual(chain.entries.slice(1));
  });

  it('the phone pushes, the laptop pulls in pages and opens every record', async () => {
    const account = await createAccount(h.url, 2);
    const envelopes = Array.from({ length: 25 }, (_, i) => sealFrom(account, 0, callRecord(i)));
    const log = await logFor(account, 0, envelopes);
    expect(await account.clients[0]!.push(envelopes, log.bytes)).toEqual(Array(25).fill('stored'));
    // A retry of the same push (its checkpoint byte for byte) stores nothing twice.
    expect(await account.clients[0]!.push(envelopes, log.bytes)).toEqual(Array(25).fill('duplicate'));

    const seen: unknown[] = [];
    let checkpoints = 0;
    let cursor = 0;
    for (;;) {
      const page = await account.clients[1]!.pull(cursor, 10);
      for (const item of page.items) {
        if (isCheckpoint(item)) checkpoints++;
        else seen.push(open(account.devices[1]!, account.accountId, account.keys.lookup(account.devices[1]!), item)!.body);
      }
      cursor = page.cursor;
      if (!page.more) break;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => callRecord(i)));
    expect(checkpoints).toBe(1);
    // 25 envelopes and the one checkpoint that claims them.
    expect((await h.store.usage(account.accountId)).envelopes).toBe(26);
  });

  it('a waiting laptop wakes as soon as the phone pushes', async () => {
    const account = await createAccount(h.url, 2);
    const started = Date.now();
    const waiting = account.clients[1]!.wait(0, 20_000);
    await new Promise((r) => setTimeout(r, 200));
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1))]);
    const page = await waiting;
    expect(envelopesOf(page.items)).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a wait with nothing new returns an empty page after its timeout', async () => {
    const account = await createAccount(h.url, 1);
    const page = await account.clients[0]!.wait(0, 300);
    expect(page).toEqual({ items: [], cursor: 0, more: false });
  });

  it('a new device picks up its welcome from the mailbox exactly once', async () => {
    const account = await createAccount(h.url, 1);
    const id = crypto.getRandomValues(new Uint8Array(32));
    const welcome = crypto.getRandomValues(new Uint8Array(300));
    await account.clients[0]!.mailboxPut(id, welcome, 60_000);
    await expect(account.clients[0]!.mailboxPut(id, welcome, 60_000)).rejects.toMatchObject({ code: 'MAILBOX_FULL', status: 409 });
    expect(await account.clients[0]!.mailboxTake(id)).toEqual(welcome);
    expect(await account.clients[0]!.mailboxTake(id)).toBeNull();
  });

  it('logs one line per request with the route pattern, never the ids', async () => {
    const account = await createAccount(h.url, 2);
    await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1))]);
    const hex = Buffer.from(account.accountId).toString('hex');
    expect(h.logs.some((l) => /^POST \/v1\/accounts\/:account\/envelopes 200 \d+\.\dms$/.test(l))).toBe(true);
    expect(h.logs.join('\n')).not.toContain(hex);
  });
});
