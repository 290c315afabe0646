/**
 * The client bundles for browsers (no Node modules, no storage or server code), and the
 * layers import only downward: http is wire only; server never reaches into client; client
 * never reaches into server or storage.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => {
    const spec = m[1]!;
    return spec.startsWith('.') ? relative(ROOT, resolve(ROOT, file, '..', spec)) : spec;
  });
}

describe('layers', () => {
  it('src/http imports only core, enrollment, crypto and errors', () => {
    for (const file of sourceFiles('src/http')) {
      for (const spec of importsOf(file)) expect(spec, `${file} imports ${spec}`).toMatch(/^src\/(http|core|enrollment|crypto)\/|^src\/errors\.js$/);
    }
  });

  it('src/client never imports server, storage or Node modules', () => {
    for (const file of sourceFiles('src/client')) {
      for (const spec of importsOf(file)) expect(spec, `${file} imports ${spec}`).toMatch(/^src\/(client|http|core|enrollment|crypto)\/|^src\/errors\.js$/);
    }
  });

  it('src/server never imports the client', () => {
    for (const file of sourceFiles('src/server')) {
      for (const spec of importsOf(file)) expect(spec, `${file} imports ${spec}`).not.toMatch(/^src\/client\//);
    }
  });

  it('the client bundles for the browser without Node built-ins, storage or server code', async () => {
    const result = await build({
      entryPoints: [join(ROOT, 'src/client/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => /src\/(server|storage)\/|^node:|better-sqlite3|node_modules\/pg\//.test(i))).toEqual([]);
    expect(inputs).toContain('src/client/httpClient.ts');
  });
});
