/**
 * What a browser test needs around its page: the esbuild bundle of a page script served on one
 * loopback origin, a sync server on SQLite on another (with CORS for the page's origin), and a
 * headless Chromium tab that has loaded the page and waited for it to say it is ready.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import { SqliteStore } from '../../src/storage/sqliteStore.js';
import { buildBrowserBundle, type BrowserBundle } from './browserBundle.js';
import { openChromiumTab, type ChromiumTab } from './chromiumPage.js';
import { startPageServer, type PageServer } from './pageServer.js';

export interface PageEnv {
  bundle: BrowserBundle;
  /** The sync server's base URL. */
  apiUrl: string;
  tab: ChromiumTab;
  page: Page;
  /** Closes the tab, both servers and the scratch folder. */
  close(): Promise<void>;
}

/** Builds `pageEntry`, serves it and a sync server, opens it in Chromium and awaits `ready`. */
export async function openPageEnv(pageEntry: string, name: string, ready: (page: Page) => Promise<void>): Promise<PageEnv> {
  const bundle = await buildBrowserBundle(pageEntry);
  const dir = mkdtempSync(join(tmpdir(), `mks-${name}-`));
  let apiUrl = '';
  let pages: PageServer | undefined;
  let server: SyncServer | undefined;
  let tab: ChromiumTab | undefined;
  const close = async () => {
    await tab?.context.close();
    await server?.close();
    await pages?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    pages = await startPageServer(bundle, () => new URL(apiUrl).origin);
    server = createServer({ store: await SqliteStore.open(join(dir, 'server.sqlite'), { synchronous: 'NORMAL' }), corsOrigins: [pages.origin] });
    apiUrl = (await server.listen(0, '127.0.0.1')).url;
    tab = await openChromiumTab(dir);
    await tab.page.goto(`${pages.origin}/`);
    await ready(tab.page);
    return { bundle, apiUrl, tab, page: tab.page, close };
  } catch (error) {
    await close();
    throw error;
  }
}
