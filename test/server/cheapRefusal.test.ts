/**
 * Refusing before working. Forged requests are throttled per address before their body is
 * read or their signature checked; a push body is read only once its bytes fit the server's
 * in-flight budget (503 SERVER_BUSY with Retry-After past it), so many large forged pushes cost
 * the server the budget and no more; and replaying a device's captured requests does not spend
 * that device's rate. (The memory this saves is measured in `npm run bench`, not here.)
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/core/cbor.js';
import { encodeValue } from '../../src/core/cbor.js';
import { paths } from '../../src/http/routes.js';
import { requestOrigin, signRequest } from '../../src/http/signing.js';
import { toHex } from '../../src/crypto/bytes.js';
import { callRecord, createAccount, pushFrom, sealFrom, startServer, type Harness } from './harness.js';
import { errorOf, raw } from './rawRequest.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

interface Upload {
  /** Resolves once the server answers (before or after the body is complete). */
  response: Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }>;
  write(bytes: Uint8Array): void;
  end(): void;
  destroy(): void;
}

/** A request whose body is sent by hand, with a declared length, so a test can hold it open. */
function upload(url: string, path: string, headers: Record<string, string>, length: number): Upload {
  const target = new URL(path, url);
  const req = httpRequest(target, { method: 'POST', headers: { ...headers, 'content-type': 'application/cbor', 'content-length': String(length) } });
  const response = new Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = new Uint8Array(Buffer.concat(chunks));
        resolve({ status: res.statusCode!, headers: res.headers, body: bytes.length > 0 ? decodeValue(bytes) : undefined });
      });
    });
    req.on('error', reject);
  });
  response.catch(() => undefined);
  req.flushHeaders();
  return {
    response,
    write: (bytes) => void req.write(bytes),
    end: () => void req.end(),
    destroy: () => void req.destroy(),
  };
}

/** Signed headers of a push by `device`, over a body that will not be sent (a forgery). */
function forgedPushHeaders(account: Awaited<ReturnType<typeof createAccount>>): Record<string, string> {
  return signRequest(account.devices[0]!, {
    method: 'POST',
    origin: requestOrigin(h!.url),
    pathAndQuery: paths.envelopes(toHex(account.accountId)),
    body: new Uint8Array([0xa0]),
    accountId: account.accountId,
    time: Date.now(),
  });
}

describe('cheap refusal', () => {
  it('forged signed requests are throttled per address, before their body is read', async () => {
    h = await startServer({ limits: { ipPerSecond: 0.001, ipBurst: 2 } });
    const account = await createAccount(h.url, 1, { retry: false }); // one request: POST /v1/accounts
    const path = paths.envelopes(toHex(account.accountId));
    const forged = await raw(h.url, 'POST', path, encodeValue({ envelopes: [new Uint8Array(8)] }), {
      signer: { device: account.devices[0]!, accountId: account.accountId },
      signedBody: new Uint8Array([1]),
    });
    expect(errorOf(forged)).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
    // The address has spent its burst: the next forgery is refused while its body is still coming.
    const held = upload(h.url, path, forgedPushHeaders(account), 1024 * 1024);
    held.write(new Uint8Array(1024));
    const answer = await held.response;
    expect(answer.status).toBe(429);
    expect(answer.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    held.destroy();
    // Health stays reachable for load balancers.
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('bodies past the in-flight budget are refused with 503 SERVER_BUSY and Retry-After without being held, and the budget comes back', async () => {
    const MIB = 1024 * 1024;
    h = await startServer({ limits: { maxBodyBytes: MIB, inFlightBodyBytes: 2 * MIB } });
    const account = await createAccount(h.url, 1, { retry: false });
    const path = paths.envelopes(toHex(account.accountId));
    // Two forged 1 MiB pushes hold the whole budget while their bodies trickle in.
    const first = upload(h.url, path, forgedPushHeaders(account), MIB);
    const second = upload(h.url, path, forgedPushHeaders(account), MIB);
    first.write(new Uint8Array(4096));
    second.write(new Uint8Array(4096));
    // Wait until both hold their reservation: a third small push is refused while they do.
    let busy: Awaited<Upload['response']> | undefined;
    for (let i = 0; i < 50 && busy === undefined; i++) {
      const probe = upload(h.url, path, forgedPushHeaders(account), 64 * 1024);
      probe.write(new Uint8Array(64 * 1024));
      probe.end();
      const answer = await probe.response;
      probe.destroy();
      if (answer.status === 503) busy = answer;
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(busy).toMatchObject({ status: 503, body: { code: 'SERVER_BUSY' } });
    expect(busy!.headers['retry-after']).toBe('1');
    // When the forgeries end, their budget comes back: an honest push goes through.
    first.write(new Uint8Array(MIB - 4096));
    first.end();
    second.destroy();
    expect((await first.response).body).toMatchObject({ code: 'SIGNATURE_INVALID' });
    let pushed: unknown;
    for (let i = 0; i < 50 && pushed === undefined; i++) {
      pushed = await pushFrom(account, 0, [sealFrom(account, 0, callRecord(1))]).catch((e: unknown) => {
        if ((e as { code?: string }).code !== 'SERVER_BUSY') throw e;
        return new Promise((r) => setTimeout(() => r(undefined), 20));
      });
    }
    expect(pushed).toEqual(['stored']);
  });

  it("replaying a device's captured request does not spend that device's rate", async () => {
    h = await startServer({ limits: { requestsPerSecond: 0.001, requestBurst: 3 } });
    const account = await createAccount(h.url, 1, { retry: false });
    const path = paths.envelopes(toHex(account.accountId), { after: 0, limit: 10 });
    const nonce = new Uint8Array(16).fill(9);
    const signer = { device: account.devices[0]!, accountId: account.accountId, time: Date.now(), nonce };
    expect((await raw(h.url, 'GET', path, undefined, { signer })).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      expect(errorOf(await raw(h.url, 'GET', path, undefined, { signer }))).toEqual({ status: 401, code: 'REQUEST_REPLAYED' });
    }
    // Two tokens of the burst are left for the device's own requests.
    await expect(account.clients[0]!.pull(0)).resolves.toMatchObject({ items: [] });
    await expect(account.clients[0]!.pull(0)).resolves.toMatchObject({ items: [] });
    await expect(account.clients[0]!.pull(0)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});
