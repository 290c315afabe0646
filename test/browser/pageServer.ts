/**
 * Serves the test page and its scripts from a loopback port of its own, so the page is on a
 * different origin from the sync server and every API call goes through CORS, as it would for
 * an app on its own domain. The page runs under a strict Content-Security-Policy, which shows
 * what the library asks of an app: 'wasm-unsafe-eval' for libsodium, and connect-src for the server.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserBundle } from './browserBundle.js';

/** A running page server. */
export interface PageServer {
  /** The page's origin, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  close(): Promise<void>;
}

/** A file the server hands out: content type and body. */
type File = readonly [string, string];

/** Serves `files` by path on 127.0.0.1, each response under the policy `csp()` gives. */
async function serve(files: Record<string, File>, csp: () => string): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const file = req.method === 'GET' ? files[req.url ?? ''] : undefined;
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0], 'content-security-policy': csp(), 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function page(title: string, head: string[]): string {
  return ['<!doctype html>', '<meta charset="utf-8">', '<link rel="icon" href="data:,">', `<title>${title}</title>`, ...head].join('\n');
}

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

/**
 * Serves `bundle` on 127.0.0.1. The page may connect to `apiOrigin()` only; it is a function
 * because the sync server, which must know the page's origin for CORS, starts after this one.
 */
export async function startPageServer(bundle: BrowserBundle, apiOrigin: () => string): Promise<PageServer> {
  const importMap = JSON.stringify({ imports: { 'multikey-sync': '/multikey-sync.js' } });
  const importMapHash = createHash('sha256').update(importMap).digest('base64');
  const csp = (): string =>
    ["default-src 'none'", 'img-src data:', `script-src 'self' 'sha256-${importMapHash}' 'wasm-unsafe-eval'`, `connect-src ${apiOrigin()}`].join('; ');
  const html = page('multikey-sync in the browser', [`<script type="importmap">${importMap}</script>`, '<script type="module" src="/page.js"></script>']);
  return serve({ '/': [HTML, html], '/multikey-sync.js': [JS, bundle.library], '/page.js': [JS, bundle.page] }, csp);
}

/** Serves a page that runs `script` (one ES module) and may connect nowhere. */
export async function startScriptPage(title: string, script: string): Promise<PageServer> {
  const html = page(title, ['<script type="module" src="/page.js"></script>']);
  return serve({ '/': [HTML, html], '/page.js': [JS, script] }, () => ["default-src 'none'", 'img-src data:', "script-src 'self'"].join('; '));
}
