/**
 * Serving the fetch handler over node:http through @hono/node-server, with the socket limits of
 * `HttpLimits` (a connection cap, header, request, idle and keep-alive timeouts), and closing
 * gracefully: stop accepting, let requests in flight finish, close keep-alive connections as
 * they go idle, and cut whatever is left after a deadline.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { ResolvedHttpLimits } from './options.js';

/** A fetch handler as @hono/node-server calls it (the second argument carries the Node objects). */
export type NodeFetch = (request: Request, env: unknown) => Promise<Response>;

/** A bound node:http server. */
export interface NodeListener {
  readonly url: string;
  readonly port: number;
  /** Stops accepting and resolves once every connection is closed (forcing them after `deadlineMs`). */
  close(deadlineMs: number): Promise<void>;
}

/**
 * Binds `fetch` to `host:port` (port 0 picks a free one).
 * @throws Error from node:net when the address cannot be bound (EADDRINUSE, EACCES).
 */
export async function listenNode(fetch: NodeFetch, port: number, host: string, limits: ResolvedHttpLimits): Promise<NodeListener> {
  // overrideGlobalObjects: false — a library must not replace the host's global Request/Response.
  const server = createAdaptorServer({
    fetch,
    overrideGlobalObjects: false,
    serverOptions: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often node:http looks for connections past the header and request timeouts.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  }) as Server;
  server.maxConnections = limits.maxConnections;
  // A socket with no traffic for this long is destroyed (node:http's default is never).
  server.setTimeout(limits.idleTimeoutMs);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Node's own idle tracking misses a socket that connected but never sent a request (clients
  // open spares); track requests per socket so close() can end every socket with none running.
  const busy = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    busy.set(socket, 0);
    socket.once('close', () => busy.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    response.once('close', () => {
      if (busy.has(socket)) busy.set(socket, busy.get(socket)! - 1);
    });
  });
  const closeIdle = (): void => {
    for (const [socket, running] of busy) if (running === 0) socket.destroy();
  };
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close(deadlineMs) {
      closing ??= new Promise<void>((resolve) => {
        const sweep = setInterval(closeIdle, 25);
        const force = setTimeout(() => server.closeAllConnections(), deadlineMs);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(force);
          resolve();
        });
        closeIdle();
      });
      return closing;
    },
  };
}
