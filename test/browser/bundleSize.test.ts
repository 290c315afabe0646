/**
 * What a browser app pays up front. esbuild bundles a typical client as an app's bundler
 * would (browser platform, ES modules, code splitting, minified), and the test adds up the
 * gzipped size of the entry chunk and every chunk it imports statically: what the page loads
 * before it can make a device. Chunks reached only through `import()` load later, on use.
 *
 * Pinned: one libsodium build up front; libsodium's sumo build (Argon2id, for passphrases) and
 * the noble backend only in lazy chunks; a ceiling on the up-front size.
 */
import { gzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const KIB = 1024;

/**
 * The ceiling on the typical client's up-front size. The issue's target is 180 KiB; measured
 * 194.1 KiB (2026-12, with format 2's sync: the signed log, the reader's checks, the key ring and
 * seal-at-push; 185.2 KiB before them), of which libsodium (WebAssembly inlined as base64) is
 * 147 KiB and cbor-x 12 KiB. The ceiling stops unnoticed growth; reaching 180 needs a smaller
 * CBOR codec and a leaner sync layer (see docs/api.md).
 */
const UP_FRONT_CEILING = 197 * KIB;
/** The same for a client that also enrols (Account): measured 219.3 KiB. */
const WITH_ACCOUNT_CEILING = 222 * KIB;

/** A client bundle, split into what loads at once and what loads on use. */
interface Split {
  upFrontGzip: number;
  upFrontInputs: string[];
  lazyInputs: string[];
}

async function bundleClient(names: string[]): Promise<Split> {
  const result = await build({
    stdin: {
      contents: `import { ${names.join(', ')} } from './src/index.ts';\nexport const used = [${names.join(', ')}];\n`,
      resolveDir: ROOT,
      sourcefile: 'client.ts',
      loader: 'ts',
    },
    absWorkingDir: ROOT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: resolve(ROOT, '.tmp/bundle-size'),
    metafile: true,
    logLevel: 'silent',
  });
  const outputs: Metafile['outputs'] = result.metafile.outputs;
  const entry = Object.keys(outputs).find((name) => outputs[name]!.entryPoint !== undefined)!;
  const upFront = new Set<string>();
  const visit = (name: string): void => {
    if (upFront.has(name)) return;
    upFront.add(name);
    for (const i of outputs[name]!.imports) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(entry);
  const files = new Map(result.outputFiles.map((f) => [resolve(f.path), f.contents]));
  const inputsOf = (names: string[]) => names.flatMap((name) => Object.keys(outputs[name]!.inputs));
  return {
    upFrontGzip: [...upFront].reduce((sum, name) => sum + gzipSync(files.get(resolve(ROOT, name))!, { level: 9 }).length, 0),
    upFrontInputs: inputsOf([...upFront]),
    lazyInputs: inputsOf(Object.keys(outputs).filter((name) => !upFront.has(name))),
  };
}

const kib = (bytes: number) => `${(bytes / KIB).toFixed(1)} KiB`;

describe('browser bundle size', () => {
  it('a typical client (Device, Replica, HttpClient, MemoryLocalStore) loads one libsodium build up front, within the ceiling', async () => {
    const split = await bundleClient(['Device', 'Replica', 'HttpClient', 'MemoryLocalStore']);
    console.log(`typical browser client, gzipped up front: ${kib(split.upFrontGzip)} (target 180 KiB, ceiling ${kib(UP_FRONT_CEILING)})`);
    const sodiumBuilds = (inputs: string[]) => new Set(inputs.filter((i) => /node_modules\/libsodium(-sumo)?\/dist\//.test(i)).map((i) => i.replace(/\/dist\/.*/, '')));
    expect([...sodiumBuilds(split.upFrontInputs)].map((p) => p.split('/').pop())).toEqual(['libsodium']);
    expect(split.upFrontInputs.filter((i) => /@noble\/|sumo|nobleBackend/.test(i))).toEqual([]);
    expect(split.lazyInputs.some((i) => i.includes('node_modules/libsodium-sumo/'))).toBe(true);
    expect(split.lazyInputs).toContain('src/crypto/nobleBackend.ts');
    expect(split.upFrontGzip).toBeLessThanOrEqual(UP_FRONT_CEILING);
  });

  it('reports the figure for a client that also enrols (Account)', async () => {
    const split = await bundleClient(['Account', 'Device', 'Replica', 'HttpClient', 'MemoryLocalStore']);
    console.log(`browser client with Account, gzipped up front: ${kib(split.upFrontGzip)}`);
    expect(split.upFrontInputs.filter((i) => /@noble\/(curves|ciphers|post-quantum)|sumo|nobleBackend/.test(i))).toEqual([]);
    expect(split.upFrontGzip).toBeLessThanOrEqual(WITH_ACCOUNT_CEILING);
  });
});
