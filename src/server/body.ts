/**
 * Reading a request body without trusting it: the content type is checked first, a declared
 * length over the limit is refused before a byte is read, and buffering stops as soon as the
 * count passes the limit, so a lying or chunked client cannot make the server hold more.
 */
import { CBOR_CONTENT_TYPE } from '../http/routes.js';
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

/** Past this many discarded bytes or this long, the connection is cut instead of drained. */
const DISCARD_MAX_BYTES = 16 * 1024 * 1024;
const DISCARD_MAX_MS = 2000;

/**
 * Reads and drops what is left of an oversize body (bounded), so the client, still sending,
 * gets to read the 413 instead of a reset connection; past the bounds the stream is cancelled.
 */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const deadline = Date.now() + DISCARD_MAX_MS;
  let dropped = 0;
  try {
    while (dropped <= DISCARD_MAX_BYTES && Date.now() < deadline) {
      const { done, value } = await reader.read();
      if (done) return;
      dropped += value.byteLength;
    }
  } catch {
    return;
  }
  reader.cancel().catch(() => undefined);
}

/**
 * The body as one plain Uint8Array of at most `limit` bytes.
 * @throws {HttpError} `UNSUPPORTED_MEDIA_TYPE`, `BODY_TOO_LARGE`, `BAD_REQUEST` (body cut short).
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  if (!isCbor(request.headers.get('content-type'))) {
    throw new HttpError('UNSUPPORTED_MEDIA_TYPE', `the body must be ${CBOR_CONTENT_TYPE}`);
  }
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (request.body === null) return EMPTY;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await discardRest(reader);
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError('BAD_REQUEST', 'the request body could not be read');
  }
  if (chunks.length === 1) {
    const only = chunks[0]!;
    return new Uint8Array(only.buffer, only.byteOffset, only.byteLength);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
