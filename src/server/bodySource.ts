/**
 * Where a request body's bytes are read from. Under node:http (@hono/node-server), straight
 * from the IncomingMessage: the web ReadableStream the adapter wraps around it adds a second
 * queue and its own chunk objects, which under many large uploads costs the server memory the
 * in-flight budget does not see. Elsewhere (a Request handed to `fetch`), the Request's stream.
 */
import type { Readable } from 'node:stream';

const nodeBodies = new WeakMap<Request, Readable>();

/** Notes that `request`'s body is `incoming`, the node:http message it was made from. */
export function rememberNodeBody(request: Request, incoming: Readable | undefined): void {
  if (incoming !== undefined && typeof incoming.read === 'function') nodeBodies.set(request, incoming);
}

/** The body's chunks, one at a time; `stop` ends reading early and lets go of the rest. */
export function bodyChunks(request: Request): { chunks: AsyncIterator<Uint8Array>; stop(): void } | undefined {
  const incoming = nodeBodies.get(request);
  if (incoming !== undefined) {
    const chunks = incoming[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    return { chunks, stop: () => void chunks.return?.() };
  }
  if (request.body === null) return undefined;
  const reader = request.body.getReader();
  return {
    chunks: { next: () => reader.read() as Promise<IteratorResult<Uint8Array>> },
    stop: () => void reader.cancel().catch(() => undefined),
  };
}
