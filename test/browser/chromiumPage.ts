/**
 * One headless Chromium tab for a browser test (Debian's `chromium`, or where it is missing the
 * registry's build that npm ci installed; see test/support/chromium.ts), driven by
 * playwright-core, with every error the page logs or throws collected for the test to check.
 */
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { findChromium } from '../support/chromium.js';

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

/** A running tab. */
export interface ChromiumTab {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of the page, as they come. */
  errors: string[];
}

/**
 * Launches Chromium with a profile in `dir` (kept on disk, so IndexedDB is, as in a real
 * browser) and opens one tab.
 */
export async function openChromiumTab(dir: string): Promise<ChromiumTab> {
  const toLaunch = await findChromium();
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: toLaunch.executablePath,
    env: toLaunch.env,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
  return { context, page, errors };
}
