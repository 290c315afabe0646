/**
 * "Delete my server copy": a person asks the server to stop holding some call records. The
 * server deletes those envelopes, records and tombstones alike, and keeps no tombstone; the
 * devices keep what they already have. Refusals change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/core/cbor.js';
import { open } from '../../src/core/open.js';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { seal } from '../../src/core/seal.js';
import { toHex } from '../../src/crypto/bytes.js';
import { activeDevices } from '../../src/enrollment/chainState.js';
import { callRecord, createAccount, removeDevice, sealFrom, startServer, type Harness, type TestAccount } from './harness.js';
import { errorOf, raw } from './rawRequest.js';

let h: Harness;
beforeAll(async () => {
  h = await startServer();
});
afterAll(async () => {
  await h.stop();
});

function recordIdOf(envelope: Uint8Array): Uint8Array {
  return parseEnvelope(envelope).recordId.slice();
}

async function pulledIds(account: TestAccount, device = 1): Promise<string[]> {
  const page = await account.clients[device]!.pull(0, 1000);
  return page.envelopes.map((e) => toHex(recordIdOf(e))).sort();
}

describe('a person deletes the server copy of some call records', () => {
  it('the server stops holding them; the laptop keeps what it pulled, and nothing else moves', async () => {
    const account = await createAccount(h.url, 2);
    const records = Array.from({ length: 5 }, (_, i) => sealFrom(account, 0, callRecord(i)));
    const deleted = sealFrom(account, 0, callRecord(5));
    const tombstone = seal(account.devices[0]!, account.accountId, activeDevices(account.state, Date.now()), {
      body: { collection: 'calls' },
      kind: 'tombstone',
      recordId: recordIdOf(deleted),
      revision: 1,
      sequence: 1,
      chainHead: account.state.head,
    });
    await account.clients[0]!.push([...records, deleted]);
    await account.clients[0]!.push([tombstone]);
    const onLaptop = (await account.clients[1]!.pull(0, 1000)).envelopes;
    const before = await h.store.usage(account.accountId);

    const gone = [records[0]!, records[3]!, tombstone];
    const unknown = crypto.getRandomValues(new Uint8Array(16));
    expect(await account.clients[0]!.purge([...gone.map(recordIdOf), unknown])).toBe(3);

    const kept = [records[1]!, records[2]!, records[4]!].map((e) => toHex(recordIdOf(e))).sort();
    expect(await pulledIds(account)).toEqual(kept);
    const freed = gone.reduce((n, e) => n + e.length, 0);
    expect(await h.store.usage(account.accountId)).toEqual({ bytes: before.bytes - freed, envelopes: before.envelopes - 3 });
    // The laptop's copies are its own: they still open.
    for (const e of onLaptop) expect(open(account.devices[1]!, account.accountId, account.directory(), e)).not.toBeNull();
    // Purging again is harmless, and counts nothing.
    expect(await account.clients[1]!.purge(gone.map(recordIdOf))).toBe(0);
    expect(await pulledIds(account)).toEqual(kept);
  });

  it('a purged record pushed again by a device that still has it is stored as new', async () => {
    const account = await createAccount(h.url, 2);
    const record = sealFrom(account, 0, callRecord(1));
    await account.clients[0]!.push([record]);
    const { cursor } = await account.clients[1]!.pull(0);
    await account.clients[1]!.purge([recordIdOf(record)]);
    expect(await account.clients[0]!.push([record])).toEqual(['stored']);
    expect((await account.clients[1]!.pull(cursor)).envelopes).toEqual([record]);
  });

  it('logs the route pattern, never the ids', async () => {
    const account = await createAccount(h.url, 1);
    const recordId = crypto.getRandomValues(new Uint8Array(16));
    await account.clients[0]!.purge([recordId]);
    expect(h.logs.some((l) => /^POST \/v1\/accounts\/:account\/purge 200 [\d.]+ms$/.test(l))).toBe(true);
    expect(h.logs.join('\n')).not.toContain(toHex(account.accountId));
    expect(h.logs.join('\n')).not.toContain(toHex(recordId));
  });
});

describe('purge refusals change nothing', () => {
  let account: TestAccount;
  let path: string;
  let stored: Uint8Array[];

  beforeAll(async () => {
    account = await createAccount(h.url, 3);
    stored = Array.from({ length: 3 }, (_, i) => sealFrom(account, 0, callRecord(100 + i)));
    await account.clients[0]!.push(stored);
    path = `/v1/accounts/${toHex(account.accountId)}/purge`;
  });

  async function unchanged(): Promise<void> {
    expect(await h.store.usage(account.accountId)).toMatchObject({ envelopes: 3 });
  }

  it('wrong shapes are BAD_REQUEST; over 1000 ids is BATCH_TOO_LARGE', async () => {
    const signer = { device: account.devices[0]!, accountId: account.accountId };
    const id = recordIdOf(stored[0]!);
    for (const body of [
      encodeValue({ recordIds: [] }),
      encodeValue({ recordIds: [id.subarray(0, 15)] }),
      encodeValue({ recordIds: [id, 'x'] }),
      encodeValue({ recordIds: [id], also: 1 }),
      encodeValue({ ids: [id] }),
      encodeValue([id]),
    ]) {
      expect(errorOf(await raw(h.url, 'POST', path, body, { signer }))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    }
    const tooMany = encodeValue({ recordIds: Array.from({ length: 1001 }, () => id) });
    expect(errorOf(await raw(h.url, 'POST', path, tooMany, { signer }))).toMatchObject({ status: 413, code: 'BATCH_TOO_LARGE' });
    await unchanged();
  });

  it('the client refuses an empty or oversize list, or an id of the wrong length, before sending', async () => {
    const client = account.clients[0]!;
    await expect(client.purge([])).rejects.toMatchObject({ code: 'ARGUMENT_INVALID' });
    await expect(client.purge(Array.from({ length: 1001 }, () => new Uint8Array(16)))).rejects.toMatchObject({ code: 'ARGUMENT_INVALID' });
    await expect(client.purge([new Uint8Array(15)])).rejects.toMatchObject({ code: 'ARGUMENT_INVALID' });
    await unchanged();
  });

  it('an unsigned purge is AUTH_REQUIRED; a removed device is DEVICE_REVOKED', async () => {
    const ids = stored.map(recordIdOf);
    expect(errorOf(await raw(h.url, 'POST', path, encodeValue({ recordIds: ids })))).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
    await removeDevice(account, 2);
    await expect(account.clients[2]!.purge(ids)).rejects.toMatchObject({ code: 'DEVICE_REVOKED', status: 403 });
    await unchanged();
  });
});
