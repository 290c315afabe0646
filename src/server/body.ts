/**
 * Reading a request body without trusting it: the content type is checked first, a declared
 * length over the limit is refused before a byte is read, the bytes are reserved in the
 * server-wide budget before they are read (bodyBudget.ts: 503 `SERVER_BUSY` past it), and
 * buffering stops as soon as the count passes the limit, so a lying or chunked client cannot
 * make the server hold more. A declared length is read straight into one buffer of that size,
 * so a body is never held twice.
 */
import { CBOR_CONTENT_TYPE } from '../http/routes.js';
import type { BodyBudget } from './bodyBudget.js';
import { bodyChunks } from './bodySource.js';
import { HttpError } from './httpError.js';

const EMPTY = new Uint8Array(0);

function isCbor(contentType: string | null): boolean {
  if (contentType === null) return false;
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() === CBOR_CONTENT_TYPE;
}

function tooLarge(limit: number): HttpError {
  return new HttpError('BODY_TOO_LARGE', `the body of this route is limited to ${limit} bytes`);
}

/** Seconds a client refused for the body budget is told to wait. */
export const BUSY_RETRY_AFTER_S = 1;

function busy(): HttpError {
  return new HttpError('SERVER_BUSY', 'the server is receiving too many request bodies at once; retry shortly', {
    'retry-after': String(BUSY_RETRY_AFTER_S),
  });
}

/** Past this many discarded bytes or this long, the connection is cut instead of drained. */
const DISCARD_MAX_BYTES = 16 * 1024 * 1024;
const DISCARD_MAX_MS = 2000;

/**
 * Reads and drops what is left of an oversize body (bounded), so the client, still sending,
 * gets to read the 413 instead of a reset connection; past the bounds reading stops.
 */
async function discardRest(source: { chunks: AsyncIterator<Uint8Array>; stop(): void }): Promise<void> {
  const deadline = Date.now() + DISCARD_MAX_MS;
  let dropped = 0;
  try {
    while (dropped <= DISCARD_MAX_BYTES && Date.now() < deadline) {
      const { done, value } = await source.chunks.next();
      if (done) return;
      dropped += value.byteLength;
    }
  } catch {
    return;
  }
  source.stop();
}

/**
 * The body as one plain Uint8Array of at most `limit` bytes, reserved in `budget` until the
 * request's handling ends (the app releases it).
 * @throws {HttpError} `UNSUPPORTED_MEDIA_TYPE`, `BODY_TOO_LARGE`, `SERVER_BUSY`, `BAD_REQUEST`
 *   (body cut short or longer than declared).
 */
export async function readBody(request: Request, limit: number, budget: BodyBudget): Promise<Uint8Array> {
  return readBodyAfter(request, limit, budget, EMPTY);
}

/**
 * The body read straight in behind `prefix`, in one buffer: `prefix ‖ body`. A signed request's
 * body hash covers `len(label) ‖ label ‖ body`, so reading it in behind its label spares a second
 * copy of a body of up to 16 MiB. The body is `result.subarray(prefix.length)`.
 * @throws {HttpError} as {@link readBody}.
 */
export async function readBodyAfter(request: Request, limit: number, budget: BodyBudget, prefix: Uint8Array): Promise<Uint8Array> {
  if (!isCbor(request.headers.get('content-type'))) {
    throw new HttpError('UNSUPPORTED_MEDIA_TYPE', `the body must be ${CBOR_CONTENT_TYPE}`);
  }
  const header = request.headers.get('content-length');
  const declared = header !== null && /^[0-9]{1,16}$/.test(header.trim()) ? Number(header.trim()) : undefined;
  if (declared !== undefined && declared > limit) throw tooLarge(limit);
  if (declared === 0) return prefix.slice();
  // Refused unread, as an oversize declared body is: reading it only to drop it would cost the
  // server the very bytes the budget is there to spare.
  if (declared !== undefined && request.body !== null && !budget.reserve(request, declared)) throw busy();
  const source = bodyChunks(request);
  if (source === undefined) return prefix.slice();
  const into = declared === undefined ? undefined : new Uint8Array(prefix.length + declared);
  into?.set(prefix, 0);
  const chunks: Uint8Array[] = [prefix];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await source.chunks.next();
      if (done) break;
      if (total + value.byteLength > limit) {
        await discardRest(source);
        throw tooLarge(limit);
      }
      if (into !== undefined) {
        if (prefix.length + total + value.byteLength > into.length) throw new HttpError('BAD_REQUEST', 'the request body is longer than its content-length');
        into.set(value, prefix.length + total);
      } else {
        if (!budget.reserve(request, value.byteLength)) {
          source.stop();
          throw busy();
        }
        chunks.push(value);
      }
      total += value.byteLength;
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError('BAD_REQUEST', 'the request body could not be read');
  }
  if (into !== undefined) {
    if (prefix.length + total !== into.length) throw new HttpError('BAD_REQUEST', 'the request body is shorter than its content-length');
    return into;
  }
  return concat(chunks, prefix.length + total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
