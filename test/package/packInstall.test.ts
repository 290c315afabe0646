/**
 * The package as users get it: build, `npm pack`, unpack the tarball as `npm install` would
 * (into a scratch project's node_modules), then `import` it from an ESM script and `require` it
 * from a CJS script, and seal and open a call record in each. The scratch project sits inside
 * the repository so its dependencies resolve from the repository's node_modules: the test needs
 * no network, yet only the files listed in the tarball are visible as `multikey-sync`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
let scratch: string;

const script = (load: string) => `
${load}
const { Device, DeviceDirectory, seal, open, validateCallRecord } = mks;
const main = async () => {
  const phone = await Device.generate();
  const laptop = await Device.generate({ backend: 'noble' });
  const devices = new DeviceDirectory([phone.public, laptop.public]);
  const call = validateCallRecord({ service: 'phone', direction: 'outgoing', answered: true,
    peer: '+14155550123', startedAt: 1700000000000, durationSec: 42 });
  const account = new Uint8Array(32).fill(1);
  const env = seal(phone, account, devices, { body: call, revision: 0, sequence: 0, chainHead: new Uint8Array(32) });
  const opened = open(laptop, account, devices, env);
  const blob = await phone.exportWithPassphrase('pw', { opsLimit: 4, memLimitBytes: 9 * 1024 * 1024 });
  const again = await Device.fromPassphraseBlob(blob, 'pw');
  process.stdout.write(JSON.stringify({ duration: opened.body.durationSec, same: again.id.join() === phone.id.join() }));
};
main().catch((e) => { console.error(e); process.exit(1); });
`;

beforeAll(() => {
  execFileSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'pipe' });
  mkdirSync(join(root, '.tmp'), { recursive: true });
  scratch = mkdtempSync(join(root, '.tmp', 'pack-'));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: root, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  const target = join(scratch, 'node_modules', 'multikey-sync');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(scratch, tarball), '-C', target, '--strip-components=1']);
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  writeFileSync(join(scratch, 'esm.mjs'), script(`import * as mks from 'multikey-sync';`));
  writeFileSync(join(scratch, 'cjs.cjs'), script(`const mks = require('multikey-sync');`));
}, 180_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed package', () => {
  it.each(['esm.mjs', 'cjs.cjs'])('seals and opens a call record from %s', (file) => {
    const out = execFileSync(process.execPath, [file], { cwd: scratch, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ duration: 42, same: true });
  });
});
