/**
 * Who may write through the honest server, and where a device's authority ends. The recovery
 * key reads and signs delayed adds but writes nothing (`DEVICE_CANNOT_WRITE`). A `remove` (or a
 * `rotate`) names the device's log head exactly as the server stores it, checked under the lock
 * log appends take (`LOG_CUT_STALE` otherwise), so the cut a removal names is the removed
 * device's last accepted push, and the server refuses every push after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { toHex } from '../../src/crypto/bytes.js';
import { makeRemove, makeRotate } from '../../src/enrollment/chainOps.js';
import { applyEntry } from '../../src/enrollment/chainState.js';
import { EMPTY_LOG, serverLogHeads, type LogCut } from '../../src/enrollment/logCut.js';
import { envelopesOf } from '../support/items.js';
import { callRecord, createAccount, logFor, purgeFrom, pushFrom, sealFrom, startServer, type Harness, type TestAccount } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startServer();
});
afterAll(async () => {
  await h.stop();
});

/** Everything a refused write could have changed. */
async function snapshot(account: TestAccount) {
  const heads = await Promise.all(
    [...account.devices, ...(account.recovery === undefined ? [] : [account.recovery.device])].map(async (d) => (await h.store.logHead(account.accountId, d.id))?.position ?? 0),
  );
  return { usage: await h.store.usage(account.accountId), chain: toHex((await h.store.chainHead(account.accountId)).hash), heads };
}

/** Device `index`'s log head as device 0 reads it from the server (signature checked). */
function cutOf(account: TestAccount, index: number): Promise<LogCut> {
  return serverLogHeads(account.devices[0]!.suite, account.clients[0]!, account).logHead(account.devices[index]!.id);
}

describe('the recovery key writes nothing', () => {
  it('it may pull, but its push and its purge are DEVICE_CANNOT_WRITE and store nothing', async () => {
    const account = await createAccount(h.url, 2, { recovery: true });
    const recovery = account.recovery!;
    const record = sealFrom(account, 0, callRecord(1));
    await pushFrom(account, 0, [record]);
    expect(envelopesOf((await recovery.client.pull(0)).items)).toEqual([record]);
    const before = await snapshot(account);

    // Its own envelopes, under its own correctly signed first checkpoint: only its role is wrong.
    const forged = [sealFrom(account, recovery, callRecord(2))];
    const pushLog = await logFor(account, recovery, forged);
    await expect(recovery.client.push(forged, pushLog.bytes)).rejects.toMatchObject({ code: 'DEVICE_CANNOT_WRITE', status: 403 });
    await expect(purgeFrom(account, recovery, [parseEnvelope(record).recordId])).rejects.toMatchObject({ code: 'DEVICE_CANNOT_WRITE', status: 403 });
    // The record it tried to purge is still there for everyone.
    expect(await snapshot(account)).toEqual(before);
    expect(envelopesOf((await account.clients[1]!.pull(0)).items)).toEqual([record]);
  });
});

describe('a removal names the removed device\'s log head as the server stores it', () => {
  it('a cut that is not the head is LOG_CUT_STALE and changes nothing; after the exact cut the device can push nothing', async () => {
    const account = await createAccount(h.url, 3); // phone, laptop, tablet
    await pushFrom(account, 1, [sealFrom(account, 1, callRecord(1))]);
    const afterFirst = await cutOf(account, 1);
    await pushFrom(account, 1, [sealFrom(account, 1, callRecord(2))]);
    const head = await cutOf(account, 1);
    expect(head.position).toBe(2);
    const before = await snapshot(account);

    const stale: LogCut[] = [
      EMPTY_LOG, // "it never wrote"
      afterFirst, // the head before its last push
      { position: 2, hash: new Uint8Array(32).fill(7) }, // the right position, another checkpoint
      { position: 3, hash: head.hash }, // a position it has not reached
    ];
    for (const cut of stale) {
      const remove = makeRemove(account.devices[0]!, account.state, account.devices[1]!.id, cut);
      await expect(account.clients[0]!.appendChain(remove.bytes, account.state.head)).rejects.toMatchObject({ code: 'LOG_CUT_STALE', status: 409 });
    }
    expect(await snapshot(account)).toEqual(before);

    // The laptop's next push, signed before it learns of anything.
    const queued = [sealFrom(account, 1, callRecord(3))];
    const queuedLog = await logFor(account, 1, queued);
    const remove = makeRemove(account.devices[0]!, account.state, account.devices[1]!.id, head);
    await account.clients[0]!.appendChain(remove.bytes, account.state.head);
    account.state = applyEntry(account.devices[0]!.suite, account.state, remove);

    const removed = await snapshot(account);
    await expect(account.clients[1]!.push(queued, queuedLog.bytes)).rejects.toMatchObject({ code: 'DEVICE_REVOKED', status: 403 });
    expect(await snapshot(account)).toEqual(removed);
    // Its log ends at the cut, and the others can still read where.
    expect(await cutOf(account, 1)).toEqual(head);
  });

  it('a push that lands between reading the head and appending the removal makes the removal stale', async () => {
    const account = await createAccount(h.url, 2);
    await pushFrom(account, 1, [sealFrom(account, 1, callRecord(1))]);
    const read = await cutOf(account, 1);
    await pushFrom(account, 1, [sealFrom(account, 1, callRecord(2))]);
    const remove = makeRemove(account.devices[0]!, account.state, account.devices[1]!.id, read);
    await expect(account.clients[0]!.appendChain(remove.bytes, account.state.head)).rejects.toMatchObject({ code: 'LOG_CUT_STALE' });
    // Read again, the removal goes through and names the push that raced it.
    const again = makeRemove(account.devices[0]!, account.state, account.devices[1]!.id, await cutOf(account, 1));
    await account.clients[0]!.appendChain(again.bytes, account.state.head);
    expect((await h.store.chainHead(account.accountId)).hash).toEqual(again.hash);
  });
});

describe('a key rotation names the rotating device\'s own log head', () => {
  it('a stale cut is LOG_CUT_STALE; the exact one is appended', async () => {
    const account = await createAccount(h.url, 2);
    await pushFrom(account, 1, [sealFrom(account, 1, callRecord(1))]);
    const head = await cutOf(account, 1);
    const rotated = account.devices[1]!.rotateEncryptionKey();
    const before = await snapshot(account);
    const stale = makeRotate(rotated, account.state, EMPTY_LOG);
    await expect(account.clients[1]!.appendChain(stale.bytes, account.state.head)).rejects.toMatchObject({ code: 'LOG_CUT_STALE', status: 409 });
    expect(await snapshot(account)).toEqual(before);
    const exact = makeRotate(rotated, account.state, head);
    await account.clients[1]!.appendChain(exact.bytes, account.state.head);
    expect((await h.store.chainHead(account.accountId)).hash).toEqual(exact.hash);
  });
});
