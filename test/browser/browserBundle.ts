/**
 * Builds what the browser test serves, with esbuild as an app's bundler would: the root export
 * (`multikey-sync`) as one ES module for the browser, and the page's own script with
 * `multikey-sync` left as a bare import for the page's import map to resolve.
 *
 * libsodium-wrappers needs nothing extra: its ESM build carries the WebAssembly inline (base64)
 * and instantiates it from bytes, so no .wasm file is fetched; its `require("crypto")` fallback
 * is disabled by the package's `browser` field. The page must allow 'wasm-unsafe-eval'.
 */
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Inputs a browser bundle of the root export must never contain: Node built-ins, the database
 * drivers, the server (and hono under it), and the SQLite or PostgreSQL adapters. The pure
 * storage helpers (src/storage/supersession.ts, which sync shares with the server) may come.
 */
const FORBIDDEN = /^node:|node_modules\/(better-sqlite3|pg|pg-[a-z-]+|hono|@hono\/[^/]+)\/|^src\/server\/|sqlite|postgres/i;

/** The two scripts the page loads. */
export interface BrowserBundle {
  /** The root export, as an ES module. */
  library: string;
  /** The page's script, importing `multikey-sync`. */
  page: string;
  /** Every input file of the library bundle, relative to the repository. */
  libraryInputs: string[];
}

async function bundle(entry: string, external: string[], alias: Record<string, string> = {}): Promise<{ code: string; metafile: Metafile }> {
  try {
    const result = await build({
      entryPoints: [join(ROOT, entry)],
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      external,
      alias,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    return { code: result.outputFiles[0]!.text, metafile: result.metafile };
  } catch (error) {
    throw new Error(`esbuild could not bundle ${entry} for the browser (platform "browser", format "esm"):\n${(error as Error).message}`);
  }
}

/**
 * Builds both scripts.
 * @throws Error naming every forbidden input (Node built-ins, better-sqlite3, pg, hono, server code, SQL adapters).
 */
export async function buildBrowserBundle(): Promise<BrowserBundle> {
  const library = await bundle('src/index.ts', []);
  const libraryInputs = Object.keys(library.metafile.inputs);
  const forbidden = libraryInputs.filter((input) => FORBIDDEN.test(input));
  if (forbidden.length > 0) {
    throw new Error(
      `the browser bundle of multikey-sync's root export pulls in Node-only code; src/index.ts must stay browser-safe:\n  ${forbidden.join('\n  ')}`,
    );
  }
  const page = await bundle('test/browser/pageDevice.ts', ['multikey-sync']);
  const pageSources = Object.keys(page.metafile.inputs).filter((input) => input.startsWith('src/'));
  if (pageSources.length > 0) throw new Error(`the page script must import multikey-sync, not bundle it: ${pageSources.join(', ')}`);
  return { library: library.code, page: page.code, libraryInputs };
}

/**
 * The page script of indexedDbConformance.test.ts: the LocalStore conformance suite and the
 * IndexedDB adapter's tests, with `vitest` replaced by vitestInPage.ts, as one ES module.
 * @throws Error naming every Node-only input (the suite must run on the browser's own APIs).
 */
export async function buildConformanceBundle(): Promise<string> {
  const { code, metafile } = await bundle('test/browser/conformancePage.ts', [], { vitest: './test/browser/vitestInPage.ts' });
  const nodeOnly = Object.keys(metafile.inputs).filter((input) => /^node:|fake-indexeddb|node_modules\/vitest\//.test(input));
  if (nodeOnly.length > 0) throw new Error(`the conformance page must use the browser's own IndexedDB and nothing of Node:\n  ${nodeOnly.join('\n  ')}`);
  return code;
}
