/**
 * README.md and docs/ back their promises by naming tests: a path under test/, or a scenario by
 * its name (`ghostDeviceAddedByServerIsRejected`). A renamed or deleted test must not leave a
 * promise pointing at nothing, so every name they cite must still be a test.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const testSources = testFiles(join(ROOT, 'test')).map((file) => readFileSync(file, 'utf8'));

/** A scenario name: a test file under test/scenarios/, or a `describe`/`it` title in some test. */
function isTest(name: string): boolean {
  return existsSync(join(ROOT, 'test/scenarios', `${name}.test.ts`)) || testSources.some((source) => new RegExp(`\\b${name}\\b`).test(source));
}

describe('tests named by the docs', () => {
  for (const doc of DOCS) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    it(`${doc}: every test path it names exists`, () => {
      const paths = [...new Set(text.match(/test\/[\w/.-]+\.test\.ts/g) ?? [])];
      expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
    });
    it(`${doc}: every scenario it names is a test`, () => {
      // Long lowerCamel names in backticks are scenario names; API names are shorter.
      const names = [...new Set([...text.matchAll(/`([a-z][A-Za-z0-9]{24,})`/g)].map((m) => m[1]!))];
      expect(names.filter((name) => !isTest(name))).toEqual([]);
    });
  }

  it('the threat model names its scenarios', () => {
    const threatModel = readFileSync(join(ROOT, 'docs/threat-model.md'), 'utf8');
    expect([...threatModel.matchAll(/`([a-z][A-Za-z0-9]{24,})`/g)].length).toBeGreaterThan(15);
  });
});
