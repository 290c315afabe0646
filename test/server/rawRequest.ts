/** Hand-built requests, for the cases HttpClient refuses to produce. */
import { decodeValue } from '../../src/core/cbor.js';
import type { Device } from '../../src/core/device.js';
import { requestOrigin, signRequest } from '../../src/http/signing.js';

export interface RawResponse {
  status: number;
  headers: Headers;
  /** The decoded CBOR body, or the raw bytes when it is not CBOR. */
  body: unknown;
}

export interface RawOptions {
  /** Content type; application/cbor by default when there is a body. */
  contentType?: string | null;
  /** Signer and account; unsigned when omitted. */
  signer?: { device: Device; accountId: Uint8Array; time?: number; nonce?: Uint8Array };
  /** Changes the headers after signing (to forge). */
  mutate?: (headers: Record<string, string>) => void;
  /** Sign this body but send `body`. */
  signedBody?: Uint8Array;
  /** Sign this path but send `path`. */
  signedPath?: string;
  /** Sign for this origin instead of the one called. */
  signedOrigin?: string;
}

/** Sends one request and decodes the answer. */
export async function raw(url: string, method: string, path: string, body?: Uint8Array | ReadableStream<Uint8Array>, o: RawOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (body !== undefined && o.contentType !== null) headers['content-type'] = o.contentType ?? 'application/cbor';
  if (o.contentType !== undefined && o.contentType !== null) headers['content-type'] = o.contentType;
  if (o.signer !== undefined) {
    const signedBody = o.signedBody ?? (body instanceof Uint8Array ? body : new Uint8Array(0));
    const nonce = o.signer.nonce;
    Object.assign(
      headers,
      signRequest(
        o.signer.device,
        { method, origin: o.signedOrigin ?? requestOrigin(url), pathAndQuery: o.signedPath ?? path, body: signedBody, accountId: o.signer.accountId, time: o.signer.time ?? Date.now() },
        nonce === undefined ? undefined : () => nonce.slice(),
      ),
    );
  }
  o.mutate?.(headers);
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (body !== undefined) {
    init.body = body as BodyInit;
    if (body instanceof ReadableStream) init.duplex = 'half';
  }
  const response = await fetch(url + path, init);
  const bytes = new Uint8Array(await response.arrayBuffer());
  let decoded: unknown = bytes;
  if (response.headers.get('content-type') === 'application/cbor' && bytes.length > 0) decoded = decodeValue(bytes);
  return { status: response.status, headers: response.headers, body: decoded };
}

/** Expects a CBOR error `{code, message}` with `status`. */
export function errorOf(response: RawResponse): { status: number; code: string } {
  const body = response.body as { code?: unknown; message?: unknown };
  if (typeof body?.code !== 'string' || typeof body.message !== 'string') throw new Error(`not an error body (HTTP ${response.status})`);
  return { status: response.status, code: body.code };
}
