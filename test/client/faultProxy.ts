/**
 * A real HTTP proxy in front of a real server that injects faults: canned error responses,
 * connections dropped before the request reaches the server, or after the server handled it
 * (the response is lost: the case that makes retries dangerous for non-idempotent calls).
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'forward' }
  | { kind: 'respond'; status: number; body?: Uint8Array | string; headers?: Record<string, string> }
  | { kind: 'drop-before' }
  | { kind: 'drop-after' };

export interface SeenRequest {
  method: string;
  path: string;
}

export interface FaultProxy {
  url: string;
  seen: SeenRequest[];
  /** Decides what happens to each request; forwards by default. */
  plan: (request: SeenRequest, index: number) => Fault;
  close(): Promise<void>;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One request upstream with exactly these headers (Host included). */
function forward(url: string, method: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const out = request(url, { method, headers: { ...headers, 'content-length': String(body.length) } }, (answer) => {
      readAll(answer).then((bytes) => resolve({ status: answer.statusCode!, headers: answer.headers, body: bytes }), reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const proxy: FaultProxy = { url: '', seen: [], plan: () => ({ kind: 'forward' }), close: async () => undefined };
  const server: Server = createServer(async (req, res) => {
    const seen = { method: req.method!, path: req.url! };
    proxy.seen.push(seen);
    const fault = proxy.plan(seen, proxy.seen.length - 1);
    const body = await readAll(req);
    if (fault.kind === 'drop-before') return void req.socket.destroy();
    if (fault.kind === 'respond') {
      res.writeHead(fault.status, fault.headers ?? {});
      return void res.end(fault.body ?? '');
    }
    // The Host header is passed on, as a reverse proxy configured to keep it does: requests are
    // signed for the origin the client called (docs/protocol.md §22). fetch would replace it.
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'connection') headers[k] = v;
    const answer = await forward(upstream + req.url!, req.method!, headers, body);
    if (fault.kind === 'drop-after') return void req.socket.destroy();
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(answer.headers)) {
      if (typeof v === 'string' && k !== 'content-length' && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v;
    }
    res.writeHead(answer.status, out);
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
