/**
 * "Delete my server copy": a person asks the server to stop holding some call records. The
 * server deletes those envelopes, records and tombstones alike, and keeps no tombstone; the
 * devices keep what they already have. Refusals change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/core/cbor.js';
import { open } from '../../src/core/open.js';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { toHex } from '../../src/crypto/bytes.js';
import { PURGE_BODY_BYTES, WIRE_ENCODE_LIMITS } from '../../src/http/messages.js';
import { storedItems } from '../support/hostileOperator.js';
import { envelopesOf } from '../support/items.js';
import {
  callRecord,
  createAccount,
  logFor,
  purgeFrom,
  pushFrom,
  removeDevice,
  sealFrom,
  startServer,
  type Harness,
  type TestAccount,
} from './harness.js';
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
  return envelopesOf(page.items).map((e) => toHex(recordIdOf(e))).sort();
}

describe('a person deletes the server copy of some call records', () => {
  it('the server stops holding them; the laptop keeps what it pulled, and nothing else moves', async () => {
    const account = await createAccount(h.url, 2);
    const records = Array.from({ length: 5 }, (_, i) => sealFrom(account, 0, callRecord(i)));
    const deleted = sealFrom(account, 0, callRecord(5));
    const tombstone = sealFrom(account, 0, { collection: 'calls' }, { kind: 'tombstone', recordId: recordIdOf(deleted), revision: 1 });
    await pushFrom(account, 0, [...records, deleted]);
    await pushFrom(account, 0, [tombstone]);
    const onLaptop = envelopesOf((await account.clients[1]!.pull(0, 1000)).items);
    const before = await h.store.usage(account.accountId);

    const gone = [records[0]!, records[3]!, tombstone];
    const unknown = crypto.getRandomValues(new Uint8Array(16));
    const purge = await logFor(account, 0, [], { purges: [...gone.map(recordIdOf), unknown].map((recordId) => ({ recordId, upToRevision: 1 })) });
    expect(await account.clients[0]!.purge(purge.bytes)).toBe(3);

    const kept = [records[1]!, records[2]!, records[4]!].map((e) => toHex(recordIdOf(e))).sort();
    expect(await pulledIds(account)).toEqual(kept);
    // The purge's checkpoint stays, so every device learns the records were purged, not withheld.
    const freed = gone.reduce((n, e) => n + e.length, 0);
    expect(await h.store.usage(account.accountId)).toEqual({ bytes: before.bytes - freed + purge.bytes.length, envelopes: before.envelopes - 3 + 1 });
    // In the database file itself nothing of the purged records is left, not even a tombstone;
    // the purge's checkpoint is there, as the phone's third log entry.
    const rows = storedItems(h.dbPath, account.accountId);
    const goneIds = new Set(gone.map((e) => toHex(recordIdOf(e))));
    expect(rows.filter((r) => r.recordId !== null && goneIds.has(toHex(r.recordId)))).toEqual([]);
    expect(rows.filter((r) => r.kind === 'log').map((r) => [toHex(r.sender), r.position])).toEqual(
      [1, 2, 3].map((position) => [toHex(account.devices[0]!.id), position]),
    );
    expect(rows.at(-1)!.bytes).toEqual(purge.bytes);
    // The laptop's copies are its own: they still open.
    for (const e of onLaptop) expect(open(account.devices[1]!, account.accountId, account.keys.lookup(account.devices[1]!), e)).not.toBeNull();
    // Purging again is harmless, and counts nothing.
    expect(await purgeFrom(account, 1, gone.map(recordIdOf))).toBe(0);
    expect(await pulledIds(account)).toEqual(kept);
  });

  it('a purge deletes up to the revision it names: a version written above it survives', async () => {
    const account = await createAccount(h.url, 2);
    const v1 = sealFrom(account, 0, callRecord(1), { revision: 1 });
    const v2 = sealFrom(account, 0, callRecord(1), { recordId: recordIdOf(v1), revision: 2 });
    await pushFrom(account, 0, [v1]);
    // The laptop purges what it saw (revision 1) while the phone's edit lands first.
    const purge = await logFor(account, 1, [], { purges: [{ recordId: recordIdOf(v1), upToRevision: 1 }] });
    await pushFrom(account, 0, [v2]);
    expect(await account.clients[1]!.purge(purge.bytes)).toBe(0);
    expect(envelopesOf((await account.clients[1]!.pull(0, 1000)).items)).toEqual([v2]);
    expect(await purgeFrom(account, 1, [recordIdOf(v1)], 2)).toBe(1);
    expect(await pulledIds(account)).toEqual([]);
  });

  it('a purged record pushed again by a device that still has it is stored as new', async () => {
    const account = await createAccount(h.url, 2);
    const record = sealFrom(account, 0, callRecord(1));
    await pushFrom(account, 0, [record]);
    const { cursor } = await account.clients[1]!.pull(0);
    await purgeFrom(account, 1, [recordIdOf(record)]);
    expect(await pushFrom(account, 0, [record])).toEqual(['stored']);
    expect(envelopesOf((await account.clients[1]!.pull(cursor)).items)).toEqual([record]);
  });

  it('logs the route pattern, never the ids', async () => {
    const account = await createAccount(h.url, 1);
    const recordId = crypto.getRandomValues(new Uint8Array(16));
    await purgeFrom(account, 0, [recordId]);
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
    await pushFrom(account, 0, stored);
    path = `/v1/accounts/${toHex(account.accountId)}/purge`;
  });

  async function unchanged(): Promise<void> {
    // The three envelopes and the checkpoint that claimed them.
    expect(await h.store.usage(account.accountId)).toMatchObject({ envelopes: 4 });
  }

  it('wrong shapes are BAD_REQUEST; a body over the largest checkpoint is BODY_TOO_LARGE', async () => {
    const signer = { device: account.devices[0]!, accountId: account.accountId };
    const id = recordIdOf(stored[0]!);
    const log = (await logFor(account, 0, [], { purges: [{ recordId: id, upToRevision: 0 }] })).bytes;
    for (const body of [
      encodeValue({ recordIds: [id] }),
      encodeValue({ log: 'x' }),
      encodeValue({ log, also: 1 }),
      encodeValue({ log: [log] }),
      encodeValue({}),
      encodeValue([log]),
    ]) {
      expect(errorOf(await raw(h.url, 'POST', path, body, { signer }))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    }
    const huge = encodeValue({ log: new Uint8Array(PURGE_BODY_BYTES) }, WIRE_ENCODE_LIMITS);
    expect(errorOf(await raw(h.url, 'POST', path, huge, { signer }))).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    await unchanged();
  });

  it('the client refuses a log that is not bytes before sending', async () => {
    await expect(account.clients[0]!.purge([new Uint8Array(16)] as unknown as Uint8Array)).rejects.toMatchObject({ code: 'ARGUMENT_INVALID' });
    await unchanged();
  });

  it('an unsigned purge is AUTH_REQUIRED; a removed device is DEVICE_REVOKED', async () => {
    const ids = stored.map(recordIdOf);
    const log = await logFor(account, 2, [], { purges: ids.map((recordId) => ({ recordId, upToRevision: 0 })) });
    expect(errorOf(await raw(h.url, 'POST', path, encodeValue({ log: log.bytes })))).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
    await removeDevice(account, 2);
    await expect(account.clients[2]!.purge(log.bytes)).rejects.toMatchObject({ code: 'DEVICE_REVOKED', status: 403 });
    await unchanged();
  });
});
