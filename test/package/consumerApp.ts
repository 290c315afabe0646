/**
 * A fresh app outside the repository, as an integrator makes one: the packed tarball as a
 * `file:` dependency, the app's own lock file, `npm ci`, then `node` on the app's scripts. The
 * child npm sees none of the repository's npm settings (no overrides, no allowScripts: those
 * stay ours) and none of the `npm_*` variables of the `npm test` that may be running us.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The environment for child processes, without what `npm test` adds. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  return { ...env, ...extra };
}

/** Builds dist and packs it; returns the tarball's path inside `dir`. */
export function packTarball(dir: string): string {
  execFileSync('npx', ['tsup', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', env: cleanEnv() })
    .trim()
    .split('\n')
    .pop()!;
  return join(dir, name);
}

/** A scratch app. */
export interface App {
  dir: string;
  /** Runs npm in the app (output captured; throws with it on failure). */
  npm(args: string[]): string;
  /** Runs `node file` in the app; returns stdout. */
  node(file: string, args?: string[]): string;
  write(file: string, text: string): void;
  /** Packages in the app's lock file (the app itself not counted). */
  lockedPackages(): string[];
  remove(): void;
}

/** Makes an app in a new temporary folder depending on `tarball` and `dependencies`. */
export function makeApp(tarball: string, dependencies: Record<string, string> = {}): App {
  const dir = mkdtempSync(join(tmpdir(), 'mks-app-'));
  const run = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${cmd} ${args.join(' ')} failed in ${dir}:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
    }
  };
  const app: App = {
    dir,
    npm: (args) => run('npm', [...args, '--no-audit', '--no-fund']),
    node: (file, args = []) => run(process.execPath, [file, ...args]),
    write: (file, text) => {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    },
    lockedPackages: () => {
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
      return Object.keys(lock.packages).filter((key) => key !== '');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  app.write('package.json', JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { 'multikey-sync': `file:${tarball}`, ...dependencies } }, null, 2));
  return app;
}

/**
 * Installed packages that carry native code or an install-time script: any `.node` addon,
 * `binding.gyp`, or a preinstall/install/postinstall script.
 */
export function nativeOrScripted(nodeModules: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number): void => {
    if (!existsSync(dir) || depth > 12) return;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat === undefined) continue;
      if (stat.isDirectory()) visit(path, depth + 1);
      else if (entry.endsWith('.node') || entry === 'binding.gyp') found.push(path.slice(nodeModules.length + 1));
      else if (entry === 'package.json' && depth > 0) {
        const scripts = (JSON.parse(readFileSync(path, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
        if (['preinstall', 'install', 'postinstall'].some((s) => s in scripts)) found.push(`${path.slice(nodeModules.length + 1)} (install script)`);
      }
    }
  };
  visit(nodeModules, 0);
  return found;
}
