/** Every example runs as a user would run it (`npx tsx examples/NAME.ts`) and exits 0. */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));

describe('examples', () => {
  it.each(examples)('%s runs and exits 0', async (file) => {
    const { stdout } = await run('npx', ['tsx', join('examples', file)], { cwd: root, timeout: 120_000 });
    expect(stdout.length).toBeGreaterThan(0);
    // Examples print what devices see, never key material.
    expect(stdout).not.toMatch(/secret|private key/i);
  }, 150_000);
});
