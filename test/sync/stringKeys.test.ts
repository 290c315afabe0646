/**
 * String keys (docs/api.md "String keys", docs/protocol.md §27): `put(value, 'key')`,
 * `get('key')`, `delete('key')`. The record id is derived from the key under the account's
 * naming key, itself a record (`$account`) sealed to every device; the key travels only inside
 * the encrypted body.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMultikeySyncError, type Entry } from '../../src/index.js';
import { recordIdOfKey } from '../../src/sync/recordKey.js';
import { NAMING_KEY_RECORD_ID, readNamingKey } from '../../src/sync/namingKey.js';
import { accountWith, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { syncedDevice, type SyncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

type Contact = { name: string };
const contacts = (d: SyncedDevice) => d.replica.collection<Contact>('contacts');

async function namingKeyOf(d: SyncedDevice): Promise<Uint8Array | null> {
  const record = await d.store.getRecord('$account', NAMING_KEY_RECORD_ID);
  return record === null ? null : readNamingKey(record.value);
}

async function listed(d: SyncedDevice): Promise<{ key: string | undefined; name: string }[]> {
  const out: { key: string | undefined; name: string }[] = [];
  for await (const e of contacts(d).entries() as AsyncIterable<Entry<Contact>>) out.push({ key: e.key, name: e.value.name });
  return out.sort((a, b) => String(a.key).localeCompare(String(b.key)));
}

describe('string keys', () => {
  it('two devices resolve the same key to the same record: put, get, update and delete by key', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((d) => syncedDevice(d, env.clock.now)));
    const id = await contacts(phone!).put({ name: 'Alice' }, 'alice@example.com');
    expect(await contacts(phone!).get('alice@example.com')).toEqual({ name: 'Alice' });
    expect(await contacts(phone!).get(id)).toEqual({ name: 'Alice' });
    await phone!.replica.sync();
    await laptop!.replica.sync();

    expect(await contacts(laptop!).get('alice@example.com')).toEqual({ name: 'Alice' });
    expect(await contacts(laptop!).put({ name: 'Alice B.' }, 'alice@example.com')).toEqual(id);
    await laptop!.replica.sync();
    await phone!.replica.sync();
    expect(await contacts(phone!).get('alice@example.com')).toEqual({ name: 'Alice B.' });
    expect(await listed(phone!)).toEqual([{ key: 'alice@example.com', name: 'Alice B.' }]);
    // A write by id keeps the key.
    await contacts(phone!).put({ name: 'Alice C.' }, id);
    expect(await listed(phone!)).toEqual([{ key: 'alice@example.com', name: 'Alice C.' }]);

    expect(await contacts(phone!).delete('alice@example.com')).toBe(true);
    expect(await contacts(phone!).delete('alice@example.com')).toBe(false);
    await phone!.replica.sync();
    await laptop!.replica.sync();
    expect(await contacts(laptop!).get('alice@example.com')).toBeUndefined();
    // Both hold one naming key, and the id is the key's derivation under it in this collection.
    const namingKey = (await namingKeyOf(phone!))!;
    expect(await namingKeyOf(laptop!)).toEqual(namingKey);
    expect(recordIdOfKey(phone!.account.device.suite, namingKey, 'contacts', 'alice@example.com')).toEqual(id);
    // The same key in another collection is another record.
    const other = await phone!.replica.collection<Contact>('blocked').put({ name: 'Alice' }, 'alice@example.com');
    expect(other).not.toEqual(id);
  });

  it('a key never reaches the server in clear (nor in its database files)', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((d) => syncedDevice(d, env.clock.now)));
    const key = 'zq-secret-key-4417@example.org';
    await contacts(phone!).put({ name: 'Z' }, key);
    await phone!.replica.sync();
    await laptop!.replica.sync();
    expect(await contacts(laptop!).get(key)).toEqual({ name: 'Z' });
    // Read while the server runs: the database and its write-ahead log as they are on disk.
    const dir = dirname(env.dbPath);
    const files = readdirSync(dir).map((f) => join(dir, f));
    expect(files.length).toBeGreaterThan(0);
    const needle = Buffer.from(key, 'utf8');
    for (const file of files) expect(readFileSync(file).includes(needle), file).toBe(false);
    // (The control: the same grep finds what the server does store in clear, the account id.)
    expect(files.some((f) => readFileSync(f).includes(Buffer.from(phone!.account.accountId)))).toBe(true);
  });

  it('refuses a key that is not a string of 1 to 1024 UTF-8 bytes', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    for (const key of ['', 'x'.repeat(1025), '\uD800']) {
      const error = await contacts(phone).put({ name: 'A' }, key).catch((e: unknown) => e);
      expect(isMultikeySyncError(error, 'RECORD_KEY_INVALID'), JSON.stringify(key.slice(0, 8))).toBe(true);
    }
    // Reading a key when no naming key exists yet creates none.
    expect(await contacts(phone).get('nobody')).toBeUndefined();
    expect(await namingKeyOf(phone)).toBeNull();
    expect(await phone.replica.pending()).toBe(0);
  });

  it('a newly joined device reads records by string key once the history reaches it (NAMING_KEY_PENDING before)', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    await contacts(phone).put({ name: 'Bob' }, 'bob');
    await phone.replica.sync();

    const tablet = await syncedDevice(await pairByQr(env, phone.account), env.clock.now);
    await tablet.replica.sync();
    // It knows a naming key exists (the phone's log claims it) and has not received it: it
    // must not make its own.
    const pending = await contacts(tablet).put({ name: 'Carol' }, 'carol').catch((e: unknown) => e);
    expect(isMultikeySyncError(pending, 'NAMING_KEY_PENDING')).toBe(true);
    expect(isMultikeySyncError(await contacts(tablet).get('bob').catch((e: unknown) => e), 'NAMING_KEY_PENDING')).toBe(true);

    await phone.replica.sync(); // answers the tablet's history request
    await tablet.replica.sync();
    expect(await contacts(tablet).get('bob')).toEqual({ name: 'Bob' });
    expect(await namingKeyOf(tablet)).toEqual(await namingKeyOf(phone));
    await contacts(tablet).put({ name: 'Carol' }, 'carol');
    await tablet.replica.sync();
    await phone.replica.sync();
    expect(await contacts(phone).get('carol')).toEqual({ name: 'Carol' });
  });

  it('a naming-key record that is not one stops string keys, not sync', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    // As if a device had written 16 bytes where the naming key's 32 go.
    await phone.store.applyRemote(
      [{ collection: '$account', recordId: NAMING_KEY_RECORD_ID, revision: 1, sender: phone.account.device.id, deleted: false, value: { n: new Uint8Array(16) }, sortTime: 0, expiresAt: null, clock: new Uint8Array(8), base: null, contentKey: null, envelopeHash: null }],
      'sync/x',
      new Uint8Array(1),
    );
    await contacts(phone).put({ name: 'by id' });
    expect((await phone.replica.sync()).pushed).toBe(1);
    expect(phone.events.rejected.map((r) => r.code)).toEqual(['NAMING_KEY_INVALID']);
    expect(isMultikeySyncError(await contacts(phone).put({ name: 'A' }, 'a').catch((e: unknown) => e), 'NAMING_KEY_INVALID')).toBe(true);
  });

  it('naming keys made concurrently on two offline devices converge: the loser re-homes its keyed records', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((d) => syncedDevice(d, env.clock.now)));
    await phone!.replica.sync();
    await laptop!.replica.sync();
    // Offline from each other, each makes a naming key with its first keyed write.
    await contacts(phone!).put({ name: 'Ann' }, 'ann');
    await contacts(phone!).put({ name: 'Dan (phone)' }, 'dan');
    await contacts(laptop!).put({ name: 'Ben' }, 'ben');
    await contacts(laptop!).put({ name: 'Dan (laptop)' }, 'dan');
    expect(await namingKeyOf(phone!)).not.toEqual(await namingKeyOf(laptop!));

    for (let round = 0; round < 3; round++) {
      await phone!.replica.sync();
      await laptop!.replica.sync();
    }
    const key = await namingKeyOf(phone!);
    expect(await namingKeyOf(laptop!)).toEqual(key);
    for (const d of [phone!, laptop!]) {
      expect(await contacts(d).get('ann')).toEqual({ name: 'Ann' });
      expect(await contacts(d).get('ben')).toEqual({ name: 'Ben' });
      expect(['Dan (phone)', 'Dan (laptop)']).toContain((await contacts(d).get('dan'))?.name);
      // One record per key: the loser's old ids are tombstones.
      expect((await listed(d)).map((e) => e.key)).toEqual(['ann', 'ben', 'dan']);
      expect(d.events.rejected).toEqual([]);
      expect(await d.replica.pending()).toBe(0);
    }
    expect(await contacts(phone!).get('dan')).toEqual(await contacts(laptop!).get('dan'));
  });
});
