import { defineConfig } from 'tsup';

export default defineConfig([
  // The library entries share one build with code splitting, so `multikey-sync`,
  // `multikey-sync/client`, `multikey-sync/node` and `multikey-sync/server` share one copy of every class (an error
  // thrown by the client is `instanceof MultikeySyncError` from the root). The root and the
  // client stay free of Node modules; only the server entry reaches better-sqlite3, pg and
  // @hono/node-server, which stay external as dependencies.
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
  },
]);
