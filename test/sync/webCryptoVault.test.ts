/**
 * A device kept in IndexedDB, in Node on fake-indexeddb with Node's WebCrypto: under the
 * database's non-extractable key (`saveDeviceWithKey`) or under a passphrase (`saveDevice`, which
 * works on any LocalStore), and a device that restarts from its database and syncs on.
 * test/browser/browserSync.test.ts tells the same story in Chromium, across a page reload.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Account } from '../../src/enrollment/account.js';
import { callLogOptions } from '../../src/sync/callLog.js';
import { loadDevice, saveDevice, VAULT_KEYS } from '../../src/sync/deviceVault.js';
import { IndexedDbLocalStore } from '../../src/sync/indexedDbLocalStore.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { Replica } from '../../src/sync/replica.js';
import { loadDeviceWithKey, saveDeviceWithKey, WEBCRYPTO_VAULT_BYTES, WEBCRYPTO_VAULT_KEY } from '../../src/sync/webCryptoVault.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';
import { rejectsWith } from './fixtures.js';

const FAST_ARGON = { opsLimit: 4, memLimitBytes: 9 * 1024 * 1024 }; // the cheapest cost sealing accepts
let databases = 0;
const freshName = () => `vault-${++databases}`;

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('a device sealed under the database key', () => {
  it('opens after reopening the database, as the same device with its epochs and chain', async () => {
    const { devices } = await accountWith(env, 1);
    const saved = devices[0]!;
    const name = freshName();
    const store = await IndexedDbLocalStore.open(name);
    expect(await loadDeviceWithKey(store, await store.vaultKey())).toBeNull();
    await saveDeviceWithKey(store, saved, await store.vaultKey());
    const sealed = (await store.getMeta(WEBCRYPTO_VAULT_KEY))!;
    expect(sealed).toHaveLength(WEBCRYPTO_VAULT_BYTES);
    expect(contains(sealed, saved.device.exportSecrets())).toBe(false);
    expect(contains(sealed, saved.device.exportSecrets().subarray(1, 33))).toBe(false);
    await store.close();

    const again = await IndexedDbLocalStore.open(name);
    const kept = (await loadDeviceWithKey(again, await again.vaultKey(), { clock: env.clock.now }))!;
    expect(kept.device.id).toEqual(saved.device.id);
    expect(kept.device.exportSecrets()).toEqual(saved.device.exportSecrets());
    expect(kept.device.epochs.current?.epoch).toBe(saved.device.epochs.current?.epoch);
    expect(kept.chain.toBytes()).toEqual(saved.chain.toBytes());
    // The passphrase vault is a different slot: nothing was saved there.
    expect(await loadDevice(again, 'any passphrase')).toBeNull();
    await again.close();
    await IndexedDbLocalStore.delete(name);
  });

  it('opens nothing under another key, altered bytes, or a key the database lost', async () => {
    const { devices } = await accountWith(env, 1);
    const name = freshName();
    const store = await IndexedDbLocalStore.open(name);
    const key = await store.vaultKey();
    await saveDeviceWithKey(store, devices[0]!, key);
    const sealed = (await store.getMeta(WEBCRYPTO_VAULT_KEY))!;
    const other = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await rejectsWith(loadDeviceWithKey(store, other), 'VAULT_KEY_WRONG');
    for (const at of [6, 18, WEBCRYPTO_VAULT_BYTES - 1]) {
      const altered = sealed.slice();
      altered[at]! ^= 1;
      await store.setMeta(WEBCRYPTO_VAULT_KEY, altered);
      await rejectsWith(loadDeviceWithKey(store, key), 'VAULT_KEY_WRONG');
    }
    const malformed: Uint8Array[] = [sealed.subarray(0, 98), new Uint8Array([...sealed, 0]), new Uint8Array(WEBCRYPTO_VAULT_BYTES)];
    for (const at of [0, 4, 5]) {
      const altered = sealed.slice();
      altered[at]! ^= 1;
      malformed.push(altered);
    }
    for (const bytes of malformed) {
      await store.setMeta(WEBCRYPTO_VAULT_KEY, bytes);
      await rejectsWith(loadDeviceWithKey(store, key), 'VAULT_BLOB_MALFORMED');
    }
    await store.close();
    // The database is gone with its key; a device saved elsewhere under it cannot be opened by the new one.
    const elsewhere = new MemoryLocalStore();
    await saveDeviceWithKey(elsewhere, devices[0]!, key);
    await IndexedDbLocalStore.delete(name);
    const fresh = await IndexedDbLocalStore.open(name);
    await rejectsWith(loadDeviceWithKey(elsewhere, await fresh.vaultKey()), 'VAULT_KEY_WRONG');
    await fresh.close();
    await IndexedDbLocalStore.delete(name);
  });

  it('takes only a non-extractable 256-bit AES-GCM key for encrypt and decrypt', async () => {
    const { devices } = await accountWith(env, 1);
    const store = new MemoryLocalStore();
    const subtle = crypto.subtle;
    const bad: [string, () => Promise<unknown>][] = [
      ['an extractable key', () => subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt'])],
      ['a 128-bit key', () => subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt', 'decrypt'])],
      ['an AES-CBC key', () => subtle.generateKey({ name: 'AES-CBC', length: 256 }, false, ['encrypt', 'decrypt'])],
      ['a key that cannot decrypt', () => subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt'])],
      ['an HMAC key', () => subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])],
      ['raw bytes', async () => new Uint8Array(32)],
      ['nothing', async () => undefined],
    ];
    for (const [name, make] of bad) {
      const key = (await make()) as CryptoKey;
      const error = await rejectsWith(saveDeviceWithKey(store, devices[0]!, key), 'VAULT_KEY_INVALID');
      expect(error.message, name).toMatch(/non-extractable/);
      await rejectsWith(loadDeviceWithKey(store, key), 'VAULT_KEY_INVALID');
    }
    expect(await store.getMeta(WEBCRYPTO_VAULT_KEY)).toBeNull();
  });
});

describe('a device sealed under a passphrase in IndexedDB', () => {
  it('opens after reopening the database with the passphrase, and not without it', async () => {
    const { devices } = await accountWith(env, 1);
    const name = freshName();
    const store = await IndexedDbLocalStore.open(name);
    await saveDevice(store, devices[0]!, 'correct horse', FAST_ARGON);
    await store.close();
    const again = await IndexedDbLocalStore.open(name);
    await rejectsWith(loadDevice(again, 'wrong horse'), 'PASSPHRASE_WRONG');
    const kept = (await loadDevice(again, 'correct horse', { clock: env.clock.now }))!;
    expect(kept.device.id).toEqual(devices[0]!.device.id);
    expect(await again.getMeta(VAULT_KEYS.ring)).not.toBeNull();
    expect(await loadDeviceWithKey(again, await again.vaultKey())).toBeNull();
    await again.close();
    await IndexedDbLocalStore.delete(name);
  });
});

describe('a browser device restarts from its IndexedDB', () => {
  it('keeps its keys under the database key, its chain, its records and its outbox', async () => {
    const { devices } = await accountWith(env, 2);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const name = freshName();
    const store = await IndexedDbLocalStore.open(name);
    await saveDeviceWithKey(store, devices[1]!, await store.vaultKey());
    const tab = await syncedDevice(devices[1]!, env.clock.now, store);
    await phone.calls.put(call());
    await phone.replica.sync();
    await tab.calls.put(call());
    await tab.replica.sync();
    const unsynced = await tab.calls.put(call()); // queued, not pushed, when the tab goes away
    await tab.replica.close();

    await phone.calls.put(call()); // written while the tab is gone
    await phone.replica.sync();

    const reopened = await IndexedDbLocalStore.open(name);
    const kept = (await loadDeviceWithKey(reopened, await reopened.vaultKey(), { clock: env.clock.now }))!;
    expect(kept.device.id).toEqual(devices[1]!.device.id);
    const account = Account.restore({ ...kept, transport: env.connect(kept.device, kept.chain.accountId), clock: env.clock.now });
    const replica = await Replica.open({ account, store: reopened, clock: env.clock.now });
    const calls = replica.collection('calls', callLogOptions());
    expect(await calls.count()).toBe(3);
    const report = await replica.sync();
    expect(report).toMatchObject({ pushed: 1, rejected: 0 });
    expect(await calls.count()).toBe(4);
    await phone.replica.sync();
    expect(await phone.calls.get(unsynced)).not.toBeNull();
    expect(await phone.calls.count()).toBe(4);
    await replica.close();
    await phone.replica.close();
    await IndexedDbLocalStore.delete(name);
  });

});
