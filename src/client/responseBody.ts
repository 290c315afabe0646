/** Reading a response body with a ceiling, so a hostile or broken server cannot exhaust memory. */
import { RemoteError } from '../errors.js';

/**
 * The whole body, at most `limit` bytes.
 * @throws {RemoteError} `RESPONSE_TOO_LARGE`; the stream's own error when reading fails.
 */
export async function readResponseBody(response: Response, limit: number): Promise<Uint8Array> {
  const tooLarge = (): RemoteError => new RemoteError('RESPONSE_TOO_LARGE', `the response exceeds ${limit} bytes`, response.status);
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
