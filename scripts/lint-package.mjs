// Package checks as the ecosystem runs them: publint on the package, and
// @arethetypeswrong/cli on the packed tarball (ESM and CJS consumers both get types).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', ...opts });

run('npx', ['publint', '--strict']);
const dir = mkdtempSync(join(tmpdir(), 'mks-pack-'));
try {
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop();
  // "node16" and "bundler" resolution for both module systems; the CLI entry has no types on purpose.
  run('npx', ['attw', join(dir, name), '--profile', 'node16', '--exclude-entrypoints', 'multikey-sync/cli']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
