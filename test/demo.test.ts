/** `npm start` as a newcomer runs it: the whole story, exit 0, nothing left running. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const data = mkdtempSync(join(tmpdir(), 'mks-demo-test-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

describe('npm start', () => {
  it('tells the whole story and exits 0', async () => {
    const { stdout } = await run('npx', ['tsx', 'demo/main.ts', '--calls', '200', '--data', data], { cwd: root, timeout: 90_000 });
    expect(stdout).toContain('The codes match');
    expect(stdout).toMatch(/laptop pulled \d+ items \(envelopes and signed log checkpoints\), now holds 200 calls/);
    expect(stdout).toMatch(/phone: gone/);
    // The operator hides a call from the tablet: the tablet reports it, the laptop has it.
    expect(stdout).toMatch(/tablet's sync: 1 call withheld \(RECORDS_WITHHELD\), logged by the phone at revision 1/);
    expect(stdout).toMatch(/laptop, served honestly: has it, 0 withheld/);
    expect(stdout).toMatch(/tablet's sync is refused: DEVICE_REVOKED/);
    expect(stdout).toMatch(/of \d+ phone numbers, 0 appear in its database files/);
    for (const file of ['server.sqlite', 'phone.sqlite', 'laptop.sqlite', 'tablet.sqlite']) expect(existsSync(join(data, file))).toBe(true);
  }, 120_000);

  it('explains its options with --help, and refuses bad ones', async () => {
    const { stdout } = await run('npx', ['tsx', 'demo/main.ts', '--help'], { cwd: root });
    for (const flag of ['--data DIR', '--calls N', '--keep-serving']) expect(stdout).toContain(flag);
    await expect(run('npx', ['tsx', 'demo/main.ts', '--calls', 'many'], { cwd: root })).rejects.toMatchObject({ code: 2 });
  }, 60_000);
});
