/** The README's quick start is examples/quick-start.ts verbatim, so tsc checks it and a test runs it. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('README', () => {
  it('shows examples/quick-start.ts as its quick start', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /## Quick start\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(join(root, 'examples', 'quick-start.ts'), 'utf8'));
  });

  it('names the two commands and links only to files that exist', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
    for (const [, target] of readme.matchAll(/\]\(((?:docs|examples|test)\/[^)#]*)\)/g)) {
      expect(existsSync(join(root, target!)), target).toBe(true);
    }
  });
});
