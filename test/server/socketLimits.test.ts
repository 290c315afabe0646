/**
 * Socket limits beyond Node's defaults: a cap on open connections, a deadline for request
 * headers (a slowloris client trickling headers is cut off), and an idle timeout that must let
 * a long-poll run its course. Each test waits for the server to act; none measures time.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type SyncServer } from '../../src/server/createServer.js';
import { MemoryStore } from '../../src/storage/memoryStore.js';

let server: SyncServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
});

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
    sockets.push(socket);
  });
}

/** Resolves when the server closes `socket`, with what it sent first. */
function closedByServer(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

describe('socket limits', () => {
  it('closes connections beyond maxConnections on arrival', async () => {
    server = createServer({ store: new MemoryStore(), http: { maxConnections: 2 } });
    const { port } = await server.listen(0);
    const kept = [await open(port), await open(port)];
    const third = await open(port);
    await closedByServer(third);
    // The two within the cap still get answers.
    const answer = closedByServer(kept[0]!);
    kept[0]!.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200/);
  });

  it('cuts off a client that trickles its headers past headersTimeoutMs', async () => {
    server = createServer({ store: new MemoryStore(), http: { headersTimeoutMs: 200, requestTimeoutMs: 1000 } });
    const { port } = await server.listen(0);
    const slow = await open(port);
    const closed = closedByServer(slow);
    slow.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => slow.writable && slow.write('X-Slow: 1\r\n'), 50);
    const answer = await closed.finally(() => clearInterval(trickle));
    expect(answer).not.toMatch(/HTTP\/1\.1 200/);
  });

  it('refuses an idle timeout that would cut long-polls, and header timeouts longer than the request timeout', () => {
    expect(() => createServer({ store: new MemoryStore(), http: { idleTimeoutMs: 30_000 } })).toThrow(/longest long-poll/);
    expect(() => createServer({ store: new MemoryStore(), http: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } })).toThrow(/headersTimeoutMs/);
    expect(() => createServer({ store: new MemoryStore(), http: { maxConnections: 0 } })).toThrow(/maxConnections/);
  });
});
