/**
 * deploy/multikey-sync.service, parsed: the three sections, a command line that `serve`'s own
 * parser accepts with the unit's environment, only variables `serve` reads, a stop timeout
 * longer than the server's 10 s drain, a restart policy and the sandboxing an operator expects.
 * Where systemd is installed, `systemd-analyze verify` checks the unit as systemd reads it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVE_FLAGS } from '../../src/cli/flags.js';
import { parseServe } from '../../src/cli/serveConfig.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PATH = join(ROOT, 'deploy/multikey-sync.service');

/** An INI file as systemd reads it: sections of `Key=value` lines, keys repeatable, `#` and `;` comments. */
function parseUnit(text: string): Map<string, Array<[string, string]>> {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  text.split('\n').forEach((raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1]!, current);
      return;
    }
    const pair = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (pair === null || current === undefined) throw new Error(`line ${n + 1} is neither a section nor Key=value: ${raw}`);
    current.push([pair[1]!, pair[2]!]);
  });
  return sections;
}

const unit = parseUnit(readFileSync(PATH, 'utf8'));
const service = unit.get('Service') ?? [];
const values = (key: string) => service.filter(([k]) => k === key).map(([, v]) => v);
const one = (key: string) => {
  const found = values(key);
  expect(found, key).toHaveLength(1);
  return found[0]!;
};

describe('the systemd unit', () => {
  it('has a Unit, a Service and an Install section', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.get('Install')).toContainEqual(['WantedBy', 'multi-user.target']);
  });

  it('starts serve with a command line and environment that serve accepts', () => {
    const [node, cli, ...args] = one('ExecStart').split(/\s+/);
    expect(node).toBe('/usr/bin/node');
    expect(cli).toMatch(/\/dist\/cli\.js$/);
    expect(args[0]).toBe('serve');
    const env = Object.fromEntries(values('Environment').map((v) => v.split('=', 2) as [string, string]));
    const known = new Set(SERVE_FLAGS.flatMap((f) => f.env));
    for (const name of Object.keys(env).filter((n) => n.startsWith('MKS_'))) expect(known, name).toContain(name);
    const config = parseServe(args.slice(1), env);
    expect(config).toMatchObject({ store: 'sqlite', db: '/var/lib/multikey-sync/data.sqlite', host: '127.0.0.1', port: 8787, logFormat: 'json' });
    expect(env['MKS_DB']!.startsWith(`/var/lib/${one('StateDirectory')}/`)).toBe(true);
  });

  it('stops on SIGTERM with time for the 10 s drain, restarts on failure, and is sandboxed', () => {
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(Number.parseInt(one('TimeoutStopSec'), 10)).toBeGreaterThan(10);
    expect(one('Restart')).toBe('on-failure');
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['DynamicUser', 'yes'], ['PrivateTmp', 'yes']]) {
      expect(one(key!), key).toBe(value);
    }
    expect(one('EnvironmentFile')).toBe('-/etc/multikey-sync.env');
  });

  it.runIf(existsSync('/usr/bin/systemd-analyze'))('passes systemd-analyze verify', () => {
    const result = spawnSync('systemd-analyze', ['verify', PATH], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});
