/**
 * docs/errors.md promises that every code the library raises on purpose is catalogued. The
 * source is the list: every SCREAMING_SNAKE string literal under src/ is a code (except the few
 * names below that belong to someone else: Node, SQLite, an environment variable), and so is
 * every key of the code tables (wire, stores). A code thrown without a row fails here, and so
 * does a row for a code no longer raised.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WIRE_ERRORS } from '../../src/http/wireErrors.js';
import { STORAGE_ERROR_CODES } from '../../src/storage/storageErrors.js';
import { LOCAL_STORE_ERROR_CODES } from '../../src/sync/localStoreErrors.js';

const ROOT = resolve(import.meta.dirname, '../..');
const catalogue = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');

/** String literals in src/ that look like codes but are not ours. */
const NOT_OURS = new Set([
  'ERR_MODULE_NOT_FOUND', // Node's, when an optional dependency is absent
  'MODULE_NOT_FOUND', // Node's (CommonJS)
  'SQLITE_CANTOPEN', // better-sqlite3's, mapped to our storage codes
  'SQLITE_READONLY',
  'MKS_PORT', // an environment variable of the server command
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function codesInSource(): Set<string> {
  // Catalogues keyed by code (the wire's, the stores') hold codes as keys, not as literals.
  const codes = new Set<string>([...Object.keys(WIRE_ERRORS), ...Object.keys(STORAGE_ERROR_CODES), ...Object.keys(LOCAL_STORE_ERROR_CODES)]);
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/'([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)'/g)) {
      if (!NOT_OURS.has(match[1]!)) codes.add(match[1]!);
    }
  }
  return codes;
}

describe('docs/errors.md', () => {
  const codes = codesInSource();

  it('finds the codes in the source', () => {
    // A guard on the scan itself: a broken pattern would make the next test pass vacuously.
    expect(codes.size).toBeGreaterThan(150);
    for (const code of ['ENVELOPE_TAMPERED', 'LOG_UNAUTHORIZED', 'VAULT_KEY_WRONG']) expect(codes).toContain(code);
  });

  it('has a row or a mention for every code raised under src/', () => {
    const missing = [...codes].filter((code) => !catalogue.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('has no table row for a code the source no longer raises', () => {
    const rows = [...catalogue.matchAll(/^\s*\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]!);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((code) => !codes.has(code))).toEqual([]);
  });
});
