import { builtinModules } from 'node:module';
import { defineConfig } from 'tsup';

/**
 * Bundled into dist, so apps never install them (pure JavaScript, MIT, notices in
 * THIRD_PARTY_NOTICES.md). hono and @hono/node-server: the server's HTTP layer, kept off browser apps' installs while
 * `multikey-sync/server` and `npx multikey-sync serve` still work with nothing else installed.
 */
const BUNDLED = ['hono', '@hono/node-server'];
/** Node built-ins that @hono/node-server imports without the `node:` prefix. */
const NODE_BUILTINS = builtinModules.flatMap((name) => [name, `node:${name}`]);

export default defineConfig([
  // The library entries share one build with code splitting, so `multikey-sync`,
  // `multikey-sync/client`, `multikey-sync/node` and `multikey-sync/server` share one copy of every class (an error
  // thrown by the client is `instanceof MultikeySyncError` from the root). The root and the
  // client stay free of Node modules; the server and node entries load better-sqlite3 and pg
  // (optional peer dependencies, external) on first use.
  {
    entry: { index: 'src/index.ts', client: 'src/client/index.ts', node: 'src/node.ts', server: 'src/server/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    splitting: true,
    treeshake: true,
    noExternal: BUNDLED,
    external: NODE_BUILTINS,
  },
  // The command line, ESM only, runnable as `multikey-sync`.
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
    noExternal: BUNDLED,
  },
]);
