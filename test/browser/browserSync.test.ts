/**
 * The library in a browser: a tab in headless Chromium (see chromiumPage.ts) loads the esbuild
 * bundle of the root export, makes a device on the default libsodium backend, joins a Node
 * phone's account by QR through the real server's mailbox, keeps its device and replica in
 * IndexedDB, and syncs call records with the phone both ways: the tab seals under pair keys it
 * established (X-Wing in the page) and signs its own log, which the phone checks. Then the page
 * reloads: the tab restores its device from IndexedDB (vault, chain, key ring), finds its
 * records and the write it had queued, and syncs again, seeing what the phone wrote meanwhile.
 * The page is served from another loopback port, so every API call crosses origins through the
 * server's CORS option.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Account,
  Device,
  HttpClient,
  MemoryLocalStore,
  Replica,
  callLogOptions,
  fromHex,
  toHex,
  type CallRecord,
  type Collection,
} from '../../src/index.js';
import { decodeCheckpoint, verifyCheckpointSignature } from '../../src/core/logCheckpoint.js';
import type { BrowserBundle } from './browserBundle.js';
import { openPageEnv, type PageEnv } from './pageEnv.js';
import type {} from './pageDevice.js';

// Pairing polls the mailbox; a short timeout makes a broken page fail fast instead of hanging.
const PAIRING = { pollMs: 100, timeoutMs: 15_000 };
const PASSPHRASE = 'tab passphrase';

let bundle: BrowserBundle;
let env: PageEnv | undefined;
let apiUrl = '';
let page: Page;

/** Waits until the page's script has set `window.mks` (after the first load and after a reload). */
async function pageReady(): Promise<void> {
  await page.waitForFunction(() => window.mks !== undefined, undefined, { timeout: 10_000 });
}

beforeAll(async () => {
  env = await openPageEnv('test/browser/pageDevice.ts', 'browser', async (p) => {
    page = p;
    await pageReady();
  });
  ({ apiUrl, page } = env);
  bundle = env.bundle;
});

afterEach(() => {
  expect(env?.tab.errors, 'errors in the page').toEqual([]);
});

afterAll(async () => {
  await env?.close();
});

let calls = 0;
function call(service: CallRecord['service'], peer: string): CallRecord {
  calls += 1;
  return { service, direction: 'incoming', answered: true, peer, startedAt: Date.now() - 600_000 + calls * 1000, durationSec: 10 * calls };
}

describe('in headless Chromium', () => {
  it('bundles the root export for the browser with libsodium, idb and the IndexedDB store, without Node-only code', () => {
    expect(bundle.libraryInputs.some((input) => input.includes('node_modules/libsodium/'))).toBe(true);
    expect(bundle.libraryInputs.some((input) => input.includes('node_modules/idb/'))).toBe(true);
    expect(bundle.libraryInputs).toContain('src/sync/indexedDbLocalStore.ts');
    expect(bundle.libraryInputs).toContain('src/sync/webCryptoVault.ts');
    expect(bundle.libraryInputs).toContain('src/client/httpClient.ts');
  });

  it('a browser tab joins a Node phone by QR, syncs both ways, reloads, restores its device from IndexedDB and syncs on', async () => {
    const connect = (device: Device, accountId?: Uint8Array) =>
      new HttpClient({ baseUrl: apiUrl, device, ...(accountId === undefined ? {} : { accountId }) });
    const phoneDevice = await Device.generate();
    const { account: phone } = await Account.create({ device: phoneDevice, transport: connect(phoneDevice) });

    const offer = await page.evaluate(([url, wait]) => window.mks!.makeOffer(url, wait), [apiUrl, PAIRING] as const);
    expect(offer.backend, 'the page must run the default backend, libsodium in WebAssembly').toBe('sodium');
    // Both sides at once, so a failure in the page ends the test at once.
    const [, joined] = await Promise.all([
      phone.approveOffer(offer.uri, {
        confirm: async () => true,
        showSas: (code) => page.evaluate((c) => window.mks!.phoneShows(c), code),
        ...PAIRING,
      }),
      page.evaluate((pass) => window.mks!.finishJoin(pass), PASSPHRASE),
    ]);
    expect(joined.accountHex).toBe(toHex(phone.accountId));
    const tabDevice = joined.deviceHex;
    await phone.refresh();

    const phoneReplica = await Replica.open({ account: phone, store: new MemoryLocalStore() });
    const phoneCalls: Collection<CallRecord> = phoneReplica.collection('calls', callLogOptions());
    const fromPhone = call('phone', '+14155550142');
    const phoneCallId = await phoneCalls.put(fromPhone);
    expect((await phoneReplica.sync()).pushed).toBe(1);

    const pagePull = await page.evaluate(() => window.mks!.sync());
    expect(pagePull.rejected).toBe(0);
    expect(pagePull.withheld).toBe(0);
    expect(await page.evaluate((id) => window.mks!.getCall(id), toHex(phoneCallId))).toEqual(fromPhone);

    const fromTab: CallRecord = { ...call('voip', '+442079460958'), app: 'net.whatsapp.WhatsApp' };
    const tabCallId = await page.evaluate((c) => window.mks!.putCall(c), fromTab);
    expect((await page.evaluate(() => window.mks!.sync())).pushed).toBe(1);
    const phonePull = await phoneReplica.sync();
    expect(phonePull.rejected).toBe(0);
    expect(phonePull.withheld).toBe(0);
    expect(await phoneCalls.get(fromHex(tabCallId))).toEqual(fromTab);
    expect(await phoneCalls.count()).toBe(2);

    // The tab logged its write: its newest checkpoint on the server claims the call, under its signature.
    const tab = [...phone.chain.state.devices.values()].find((d) => d.role === 'device' && toHex(d.card.id) !== toHex(phoneDevice.id))!;
    const head = decodeCheckpoint(phoneDevice.suite, phone.accountId, (await phone.transport.logHead(tab.card.id))!);
    verifyCheckpointSignature(phoneDevice.suite, phone.accountId, head, tab.card.identityKey);
    expect(head.claims.map((c) => toHex(c.recordId))).toEqual([tabCallId]);

    // The tab writes once more and goes away before it syncs; the phone writes while it is gone.
    const queued: CallRecord = { ...call('voip', '+33142685300'), app: 'org.signal.Signal' };
    const queuedId = await page.evaluate((c) => window.mks!.putCall(c), queued);
    const meanwhile = call('phone', '+14155550199');
    const meanwhileId = await phoneCalls.put(meanwhile);
    expect((await phoneReplica.sync()).pushed).toBe(1);

    await page.reload();
    await pageReady();
    await expect(page.evaluate(() => window.mks!.countCalls()), 'nothing of the tab survives in memory').rejects.toThrow(/first/);
    const restored = await page.evaluate((url) => window.mks!.restore(url), apiUrl);
    expect(restored, 'the same device, from IndexedDB').toEqual({ accountHex: toHex(phone.accountId), deviceHex: tabDevice });
    expect(await page.evaluate((pass) => window.mks!.passphraseOpens(pass), PASSPHRASE), 'the passphrase vault in IndexedDB').toBe(tabDevice);
    expect(await page.evaluate(() => window.mks!.countCalls()), 'its records, kept across the reload').toBe(3);
    expect(await page.evaluate((id) => window.mks!.getCall(id), queuedId)).toEqual(queued);

    const afterReload = await page.evaluate(() => window.mks!.sync());
    expect(afterReload).toMatchObject({ pushed: 1, rejected: 0 });
    expect(await page.evaluate((id) => window.mks!.getCall(id), toHex(meanwhileId)), 'what the phone wrote meanwhile').toEqual(meanwhile);
    expect(await page.evaluate(() => window.mks!.countCalls())).toBe(4);

    expect((await phoneReplica.sync()).rejected).toBe(0);
    expect(await phoneCalls.get(fromHex(queuedId)), 'what the tab had queued before the reload').toEqual(queued);
    expect(await phoneCalls.count()).toBe(4);
    await phoneReplica.close();
  });
});
