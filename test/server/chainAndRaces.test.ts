/**
 * The chain through the server, and the races: two devices appending at once (one wins, the
 * other gets CHAIN_CONFLICT), the same envelope pushed twice at once (stored once), and two
 * server instances sharing one SQLite file (each sees the other's appends).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { toHex } from '../../src/crypto/bytes.js';
import { encodeEntry, signEntry } from '../../src/enrollment/chainEntry.js';
import { createGenesis, deviceKeys, makeAdd, makeRemove, signConsent } from '../../src/enrollment/chainOps.js';
import { EMPTY_LOG } from '../../src/enrollment/logCut.js';
import { applyEntry, replayChain } from '../../src/enrollment/chainState.js';
import { createServer } from '../../src/server/createServer.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import { envelopesOf } from '../support/items.js';
import { callRecord, createAccount, logFor, pushFrom, sealFrom, startServer, type Harness, type TestAccount } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startServer();
});
afterAll(async () => {
  await h.stop();
});

async function newDevicePair(account: TestAccount) {
  const joiner = await Device.generate();
  return { joiner, consent: signConsent(joiner, account.accountId) };
}

describe('two devices append to the chain at once', () => {
  it('exactly one wins; the other gets CHAIN_CONFLICT and the chain grows by one', async () => {
    for (let round = 0; round < 5; round++) {
      const account = await createAccount(h.url, 2);
      const a = await newDevicePair(account);
      const b = await newDevicePair(account);
      const fromPhone = makeAdd(account.devices[0]!, account.state, deviceKeys(a.joiner), a.consent);
      const fromLaptop = makeAdd(account.devices[1]!, account.state, deviceKeys(b.joiner), b.consent);
      const results = await Promise.allSettled([
        account.clients[0]!.appendChain(fromPhone.bytes, account.state.head),
        account.clients[1]!.appendChain(fromLaptop.bytes, account.state.head),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({ code: 'CHAIN_CONFLICT', status: 409 });
      const head = await h.store.chainHead(account.accountId);
      expect(head.index).toBe(2);
      const winner = won[0] === results[0] ? fromPhone : fromLaptop;
      expect(head.hash).toEqual(winner.hash);
      // The loser rebuilds on the new head and succeeds.
      const chain = await account.clients[1]!.readChain();
      const state = replayChain(account.devices[1]!.suite, chain.entries);
      const loser = winner === fromPhone ? b : a;
      const retry = makeAdd(account.devices[1]!, state, deviceKeys(loser.joiner), loser.consent);
      await expect(account.clients[1]!.appendChain(retry.bytes, state.head)).resolves.toMatchObject({ length: 4 });
    }
  });

  it('an append naming an old head is CHAIN_CONFLICT even when sent alone', async () => {
    const account = await createAccount(h.url, 2);
    const stale = account.state;
    const a = await newDevicePair(account);
    const add = makeAdd(account.devices[0]!, stale, deviceKeys(a.joiner), a.consent);
    await account.clients[0]!.appendChain(add.bytes, stale.head);
    const b = await newDevicePair(account);
    await expect(account.clients[1]!.appendChain(makeAdd(account.devices[1]!, stale, deviceKeys(b.joiner), b.consent).bytes, stale.head)).rejects.toMatchObject({
      code: 'CHAIN_CONFLICT',
    });
  });
});

describe('the server applies the chain rules', () => {
  it('rejects an entry the rules refuse with CHAIN_ENTRY_REJECTED naming the rule, and keeps the head', async () => {
    const account = await createAccount(h.url, 2);
    const before = await h.store.chainHead(account.accountId);
    const a = await newDevicePair(account);
    const other = await Device.generate();
    const cases: Array<[Uint8Array, string]> = [
      // consent given for another account
      [makeAdd(account.devices[0]!, account.state, deviceKeys(a.joiner), signConsent(a.joiner, new Uint8Array(32))).bytes, 'CHAIN_CONSENT_INVALID'],
      // signed by a device that is not on the chain
      [makeRemove(other, account.state, account.devices[1]!.id, EMPTY_LOG).bytes, 'CHAIN_SIGNER_NOT_ACTIVE'],
      // a tampered signature
      [
        encodeEntry(account.devices[0]!.suite, { ...makeRemove(account.devices[0]!, account.state, account.devices[1]!.id, EMPTY_LOG).entry, sig: new Uint8Array(64) }).bytes,
        'CHAIN_SIGNATURE_INVALID',
      ],
      // not an entry at all
      [new Uint8Array([0xa0]), 'CHAIN_ENTRY_MALFORMED'],
      // backdated by an hour (a recovery add could skip its delay that way)
      [
        signEntry(account.devices[0]!, account.accountId, {
          v: 2,
          t: 'remove',
          i: 2,
          ts: Date.now() - 3_600_000,
          prev: account.state.head,
          by: account.devices[0]!.id,
          tgt: account.devices[1]!.id,
          lp: 0,
        }).bytes,
        'CHAIN_TIME_SKEW',
      ],
    ];
    for (const [bytes, rule] of cases) {
      const error = await account.clients[0]!.appendChain(bytes, account.state.head).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CHAIN_ENTRY_REJECTED', status: 422 });
      expect((error as Error).message).toContain(rule);
    }
    expect(await h.store.chainHead(account.accountId)).toEqual(before);
  });

  it('refuses a genesis that does not verify, and a second account with the same genesis', async () => {
    const phone = await Device.generate();
    const genesis = createGenesis(phone);
    const client = new HttpClient({ baseUrl: h.url, device: phone });
    const broken = encodeEntry(phone.suite, { ...genesis.entry, sig: new Uint8Array(64) });
    await expect(client.createAccount(broken.bytes)).rejects.toMatchObject({ code: 'CHAIN_ENTRY_REJECTED', status: 422 });
    const notGenesis = signEntry(phone, genesis.hash, { v: 2, t: 'remove', i: 1, ts: Date.now(), prev: genesis.hash, by: phone.id, tgt: phone.id, lp: 0 });
    await expect(client.createAccount(notGenesis.bytes)).rejects.toMatchObject({ code: 'CHAIN_ENTRY_REJECTED' });
    expect(await h.store.hasAccount(genesis.hash)).toBe(false);
    await client.createAccount(genesis.bytes);
    await expect(client.createAccount(genesis.bytes)).rejects.toMatchObject({ code: 'ACCOUNT_EXISTS', status: 409 });
  });
});

describe('the same envelope pushed twice at once', () => {
  it('is stored once; one push reports it stored, the other a duplicate', async () => {
    const account = await createAccount(h.url, 2);
    const batch = Array.from({ length: 40 }, (_, i) => sealFrom(account, 0, callRecord(i)));
    const log = await logFor(account, 0, batch);
    const [first, second] = await Promise.all([account.clients[0]!.push(batch, log.bytes), account.clients[0]!.push(batch, log.bytes)]);
    const outcomes = first!.map((o, i) => [o, second![i]].sort().join('+'));
    expect(new Set(outcomes)).toEqual(new Set(['duplicate+stored']));
    // Its checkpoint is stored once too.
    expect(await h.store.usage(account.accountId)).toMatchObject({ envelopes: 41 });
    const page = await account.clients[1]!.pull(0, 100);
    expect(page.items).toHaveLength(41);
    expect(envelopesOf(page.items)).toHaveLength(40);
  });

  it('a newer revision supersedes, an older one is reported superseded', async () => {
    const account = await createAccount(h.url, 2);
    const recordId = crypto.getRandomValues(new Uint8Array(16));
    const v2 = sealFrom(account, 0, callRecord(2), { recordId, revision: 2 });
    const v1 = sealFrom(account, 0, callRecord(1), { recordId, revision: 1 });
    expect(await pushFrom(account, 0, [v2])).toEqual(['stored']);
    expect(await pushFrom(account, 0, [v1])).toEqual(['superseded']);
    const page = await account.clients[1]!.pull(0);
    expect(envelopesOf(page.items)).toEqual([v2]);
  });
});

describe('two server instances on one SQLite file', () => {
  it('each sees the other\'s appends and revocations at once (the chain cache follows the head)', async () => {
    const second = createServer({ store: await SqliteStore.open(h.dbPath), limits: { requestsPerSecond: Infinity } });
    const { url } = await second.listen(0);
    try {
      const account = await createAccount(h.url, 3);
      // The second server has never seen this account; it loads and verifies the chain.
      const viaSecond = new HttpClient({ baseUrl: url, device: account.devices[2]!, accountId: account.accountId });
      expect((await viaSecond.pull(0)).items).toEqual([]);
      // Revoked through the first server: the second refuses the device on its next request.
      const remove = makeRemove(account.devices[0]!, account.state, account.devices[2]!.id, EMPTY_LOG);
      await account.clients[0]!.appendChain(remove.bytes, account.state.head);
      account.state = applyEntry(account.devices[0]!.suite, account.state, remove);
      await expect(viaSecond.pull(0)).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });
      // And a racing pair of appends across the two servers still has exactly one winner.
      const a = await newDevicePair(account);
      const b = await newDevicePair(account);
      const viaSecondPhone = new HttpClient({ baseUrl: url, device: account.devices[1]!, accountId: account.accountId });
      const results = await Promise.allSettled([
        account.clients[0]!.appendChain(makeAdd(account.devices[0]!, account.state, deviceKeys(a.joiner), a.consent).bytes, account.state.head),
        viaSecondPhone.appendChain(makeAdd(account.devices[1]!, account.state, deviceKeys(b.joiner), b.consent).bytes, account.state.head),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(toHex((await h.store.chainHead(account.accountId)).hash)).not.toBe(toHex(account.state.head));
    } finally {
      await second.close();
    }
  });
});
