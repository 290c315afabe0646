/**
 * docs/server.md is the operator's guide and docs/errors.md the catalogue: every option of
 * `serve` with its variable, every wire and storage code, and every metric must be in them, and
 * every test they name as the proof of a promise must exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVE_FLAGS } from '../../src/cli/flags.js';
import { WIRE_ERRORS } from '../../src/http/wireErrors.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { STORAGE_ERROR_CODES } from '../../src/storage/storageErrors.js';

const ROOT = resolve(import.meta.dirname, '../..');
const server = readFileSync(join(ROOT, 'docs/server.md'), 'utf8');
const errors = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');

describe('the operator guide and the error catalogue', () => {
  it('docs/server.md lists every option of serve with its variable', () => {
    for (const spec of SERVE_FLAGS) {
      expect(server, spec.name).toContain(`\`--${spec.name}`);
      for (const variable of spec.env) expect(server, variable).toContain(`\`${variable}\``);
    }
  });

  it('docs/server.md lists every code the server sends; docs/errors.md every storage code', () => {
    for (const code of Object.keys(WIRE_ERRORS)) expect(server, code).toContain(`| \`${code}\` |`);
    for (const code of Object.keys(STORAGE_ERROR_CODES)) expect(errors, code).toContain(`| \`${code}\` |`);
    for (const code of ['ADMISSION_DENIED', 'SERVER_BUSY', 'STORE_FULL', 'CLOCK_OFFSET_TOO_LARGE', 'CHAIN_TIME_SKEW', 'ORIGIN_INVALID']) {
      expect(errors, code).toContain(`\`${code}\``);
    }
  });

  it('docs/server.md describes every metric the server exports', async () => {
    const metrics = new ServerMetrics({ longPollsOpen: () => 0, bodyBytesInFlight: () => 0 });
    const names = metrics.registry.getMetricsAsArray().map((m) => m.name).filter((n) => n.startsWith('mks_'));
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(server, name).toContain(`\`${name}\``);
  });

  it('every test docs/server.md names as a proof exists', () => {
    const named = [...new Set(server.match(/test\/[\w/.-]+\.test\.ts/g) ?? [])];
    expect(named.length).toBeGreaterThan(10);
    for (const file of named) expect(existsSync(join(ROOT, file)), file).toBe(true);
  });
});
