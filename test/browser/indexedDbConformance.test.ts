/**
 * `IndexedDbLocalStore` in real Chromium: the whole LocalStore conformance suite and the
 * adapter's own tests (test/sync/indexedDbAdapterSuite.ts), the very files the Node tests run,
 * bundled by esbuild with vitest's describe/it recorded by test/browser/vitestInPage.ts and its
 * `expect` kept, run in a page against the browser's own IndexedDB (no stand-in, no mock). Then
 * a write that the browser refuses for want of quota (Chromium's DevTools protocol shrinks the
 * origin's quota), which must leave the store as it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildConformanceBundle } from './browserBundle.js';
import { openChromiumTab, type ChromiumTab } from './chromiumPage.js';
import type {} from './conformancePage.js';
import { startScriptPage, type PageServer } from './pageServer.js';

let dir: string;
let script: string;
let server: PageServer | undefined;
let tab: ChromiumTab | undefined;

beforeAll(async () => {
  script = await buildConformanceBundle();
  dir = mkdtempSync(join(tmpdir(), 'mks-idb-'));
  server = await startScriptPage('IndexedDbLocalStore conformance', script);
  tab = await openChromiumTab(dir);
  await tab.page.goto(`${server.origin}/`);
  await tab.page.waitForFunction(() => window.conformance !== undefined, undefined, { timeout: 10_000 });
});

afterEach(() => {
  expect(tab?.errors, 'errors in the page').toEqual([]);
});

afterAll(async () => {
  await tab?.context.close();
  await server?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('IndexedDbLocalStore in headless Chromium', () => {
  it('passes every test of the LocalStore conformance suite and of the adapter suite', async () => {
    const page = tab!.page;
    const count = await page.evaluate(() => window.conformance!.count());
    const started = Date.now();
    const results = await page.evaluate(() => window.conformance!.run());
    const failed = results.filter((r) => !r.ok).map((r) => `${r.name}\n    ${r.error}`);
    const slowest = [...results].sort((a, b) => b.ms - a.ms)[0]!;
    console.log(
      `IndexedDbLocalStore in Chromium: ${results.length - failed.length} of ${count} tests passed in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
        `(slowest ${slowest.ms} ms: ${slowest.name})`,
    );
    expect(results).toHaveLength(count);
    expect(results.some((r) => r.name.startsWith('IndexedDbLocalStore conformance > '))).toBe(true);
    expect(failed).toEqual([]);
  }, 600_000);

  it('leaves the store as it was when the browser refuses a write for want of quota', async () => {
    // A fresh origin: Chromium reads an origin's quota when its IndexedDB first opens, so the
    // smaller quota must be set before that page touches IndexedDB.
    const fresh = await startScriptPage('IndexedDbLocalStore over quota', script);
    const page = await tab!.context.newPage();
    const cdp = await tab!.context.newCDPSession(page);
    try {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: fresh.origin, quotaSize: 1024 * 1024 });
      await page.goto(`${fresh.origin}/`);
      await page.waitForFunction(() => window.conformance !== undefined, undefined, { timeout: 10_000 });
      const { message, ...outcome } = await page.evaluate((bytes) => window.conformance!.writeOverQuota(bytes), 3 * 1024 * 1024);
      expect(outcome).toEqual({ code: 'LOCAL_STORE_FAILURE', recordStored: false, outbox: 1, earlier: true });
      expect(message).toMatch(/^IndexedDB failed: .*quota/i);
    } finally {
      await cdp.detach();
      await page.close();
      await fresh.close();
    }
  });
});
