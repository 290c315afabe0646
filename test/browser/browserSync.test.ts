/**
 * The library in a browser: a tab in headless Chromium (Debian's `chromium`, or where it is
 * missing the registry's build that npm ci installed; see test/support/chromium.ts), driven by
 * playwright-core, loads the esbuild bundle of the root export, makes a device on the default
 * libsodium backend, joins a Node phone's account by QR through the real server's mailbox, and
 * syncs call records with the phone both ways: the tab seals under pair keys it established
 * (X-Wing in the page) and signs its own log, which the phone checks. The page is served from
 * another loopback port, so every API call crosses origins through the server's CORS option.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
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
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import { findChromium } from '../support/chromium.js';
import { buildBrowserBundle, type BrowserBundle } from './browserBundle.js';
import { startPageServer, type PageServer } from './pageServer.js';
import type {} from './pageDevice.js';

// playwright-core adds --headless and --user-data-dir itself.
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Pairing polls the mailbox; a short timeout makes a broken page fail fast instead of hanging.
const PAIRING = { pollMs: 100, timeoutMs: 15_000 };

let bundle: BrowserBundle;
let dir: string;
let pages: PageServer | undefined;
let server: SyncServer | undefined;
let apiUrl = '';
let context: BrowserContext | undefined;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const chromiumToLaunch = await findChromium();
  bundle = await buildBrowserBundle();
  dir = mkdtempSync(join(tmpdir(), 'mks-browser-'));
  pages = await startPageServer(bundle, () => new URL(apiUrl).origin);
  server = createServer({ store: await SqliteStore.open(join(dir, 'server.sqlite'), { synchronous: 'NORMAL' }), corsOrigins: [pages.origin] });
  apiUrl = (await server.listen(0, '127.0.0.1')).url;

  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: chromiumToLaunch.executablePath,
    env: chromiumToLaunch.env,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') {
      pageErrors.push(`console: ${message.text()} (${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.stack ?? error.message}`));
  await page.goto(`${pages.origin}/`);
  await page.waitForFunction(() => window.mks !== undefined, undefined, { timeout: 10_000 });
});

afterEach(() => {
  expect(pageErrors, 'errors in the page').toEqual([]);
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  await pages?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('in headless Chromium', () => {
  it('bundles the root export for the browser with libsodium and without Node-only code', () => {
    expect(bundle.libraryInputs.some((input) => input.includes('node_modules/libsodium/'))).toBe(true);
    expect(bundle.libraryInputs).toContain('src/sync/memoryLocalStore.ts');
    expect(bundle.libraryInputs).toContain('src/client/httpClient.ts');
  });

  it('a browser tab joins a Node phone by QR and they sync a call both ways', async () => {
    const connect = (device: Device, accountId?: Uint8Array) =>
      new HttpClient({ baseUrl: apiUrl, device, ...(accountId === undefined ? {} : { accountId }) });
    const phoneDevice = await Device.generate();
    const { account: phone } = await Account.create({ device: phoneDevice, transport: connect(phoneDevice) });

    const offer = await page.evaluate(([url, wait]) => window.mks!.makeOffer(url, wait), [apiUrl, PAIRING] as const);
    expect(offer.backend, 'the page must run the default backend, libsodium in WebAssembly').toBe('sodium');
    // Both sides at once, so a failure in the page ends the test at once.
    const [, accountHex] = await Promise.all([
      phone.approveOffer(offer.uri, {
        confirm: async () => true,
        showSas: (code) => page.evaluate((c) => window.mks!.phoneShows(c), code),
        ...PAIRING,
      }),
      page.evaluate(() => window.mks!.finishJoin()),
    ]);
    expect(accountHex).toBe(toHex(phone.accountId));
    await phone.refresh();

    const phoneReplica = await Replica.open({ account: phone, store: new MemoryLocalStore() });
    const phoneCalls: Collection<CallRecord> = phoneReplica.collection('calls', callLogOptions());
    const fromPhone: CallRecord = {
      service: 'phone',
      direction: 'incoming',
      answered: true,
      peer: '+14155550142',
      startedAt: Date.now() - 60_000,
      durationSec: 95,
    };
    const phoneCallId = await phoneCalls.put(fromPhone);
    expect((await phoneReplica.sync()).pushed).toBe(1);

    const pagePull = await page.evaluate(() => window.mks!.sync());
    expect(pagePull.rejected).toBe(0);
    expect(pagePull.withheld).toBe(0);
    expect(await page.evaluate((id) => window.mks!.getCall(id), toHex(phoneCallId))).toEqual(fromPhone);

    const fromTab: CallRecord = {
      service: 'voip',
      app: 'net.whatsapp.WhatsApp',
      direction: 'incoming',
      answered: false,
      peer: '+442079460958',
      startedAt: Date.now() - 30_000,
      durationSec: 0,
    };
    const tabCallId = await page.evaluate((call) => window.mks!.putCall(call), fromTab);
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
    await phoneReplica.close();
  });
});
