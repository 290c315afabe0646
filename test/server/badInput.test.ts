/**
 * Hostile and broken input: every request gets its typed CBOR error and the store is left
 * exactly as it was (same usage, same chain head).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../../src/core/cbor.js';
import { MAX_CLAIMS } from '../../src/core/logCheckpoint.js';
import { toHex } from '../../src/crypto/bytes.js';
import { createServer } from '../../src/server/createServer.js';
import { MemoryStore } from '../../src/storage/memoryStore.js';
import { callRecord, createAccount, logFor, pushFrom, sealFrom, startServer, type Harness, type TestAccount } from './harness.js';
import { errorOf, raw } from './rawRequest.js';

let h: Harness;
let account: TestAccount;
let envelopesPath: string;
let chainPath: string;
let purgePath: string;

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}

async function snapshot() {
  return { usage: await h.store.usage(account.accountId), head: toHex((await h.store.chainHead(account.accountId)).hash) };
}

function signer() {
  return { device: account.devices[0]!, accountId: account.accountId };
}

beforeAll(async () => {
  h = await startServer({ limits: { maxBodyBytes: 64 * 1024, maxBatch: 50 } });
  account = await createAccount(h.url, 2);
  await pushFrom(account, 0, [sealFrom(account, 0, callRecord(0))]);
  envelopesPath = `/v1/accounts/${toHex(account.accountId)}/envelopes`;
  chainPath = `/v1/accounts/${toHex(account.accountId)}/chain`;
  purgePath = `/v1/accounts/${toHex(account.accountId)}/purge`;
});
afterAll(async () => {
  await h.stop();
});

describe('random and truncated bodies are refused and change nothing', () => {
  it('random bytes to every route that takes a body', async () => {
    const before = await snapshot();
    const random = prng(0x5eed);
    for (let i = 0; i < 40; i++) {
      const body = random(i * 37);
      const push = errorOf(await raw(h.url, 'POST', envelopesPath, body, { signer: signer() }));
      expect(['BAD_REQUEST', 'BATCH_TOO_LARGE']).toContain(push.code);
      expect(errorOf(await raw(h.url, 'POST', chainPath, body.subarray(0, 3000), { signer: signer() }))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
      expect(errorOf(await raw(h.url, 'POST', purgePath, body, { signer: signer() }))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
      expect(errorOf(await raw(h.url, 'POST', '/v1/accounts', body.subarray(0, 3000)))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
      expect(errorOf(await raw(h.url, 'PUT', `/v1/mailbox/${'ab'.repeat(32)}`, body))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    }
    expect(await snapshot()).toEqual(before);
    expect(await h.store.mailboxTake(new Uint8Array(32).fill(0xab), Date.now())).toBeNull();
  });

  it('a valid push cut short at any point', async () => {
    const before = await snapshot();
    const envelopes = [sealFrom(account, 0, callRecord(1)), sealFrom(account, 0, callRecord(2))];
    const body = encodeValue({ envelopes, log: (await logFor(account, 0, envelopes)).bytes });
    for (let cut = 0; cut < body.length; cut += 41) {
      const response = await raw(h.url, 'POST', envelopesPath, body.subarray(0, cut), { signer: signer() });
      expect(errorOf(response)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('well-formed CBOR carrying a truncated or garbage envelope', async () => {
    const before = await snapshot();
    const good = sealFrom(account, 0, callRecord(3));
    for (const bad of [good.subarray(0, 78), good.subarray(0, good.length - 1), new Uint8Array(200), Uint8Array.of(1, 1, 9, ...good.subarray(3))]) {
      // The checkpoint claims both, as the sender meant them.
      const log = (await logFor(account, 0, [good, good])).bytes;
      const response = await raw(h.url, 'POST', envelopesPath, encodeValue({ envelopes: [good, bad], log }), { signer: signer() });
      expect(errorOf(response)).toMatchObject({ status: 422, code: 'ENVELOPE_INVALID' });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('wrong shapes: unknown fields, wrong types, a push without its checkpoint', async () => {
    const before = await snapshot();
    const good = sealFrom(account, 0, callRecord(4));
    const log = (await logFor(account, 0, [good])).bytes;
    const bodies = [
      encodeValue({ envelopes: [good], log, extra: 1 }),
      encodeValue({ envelopes: 'nope', log }),
      encodeValue({ envelopes: [good] }),
      encodeValue({ envelopes: [], log: null }),
      encodeValue({ envelopes: [good], log: 'x' }),
      encodeValue({ envelopes: [good], log: [log] }),
      encodeValue([good]),
      encodeValue({ envelopes: [good, 7], log }),
    ];
    for (const body of bodies) {
      expect(errorOf(await raw(h.url, 'POST', envelopesPath, body, { signer: signer() }))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    }
    expect(errorOf(await raw(h.url, 'POST', chainPath, encodeValue({ entry: new Uint8Array(10), head: new Uint8Array(31) }), { signer: signer() }))).toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await snapshot()).toEqual(before);
  });
});

describe('limits', () => {
  it('an oversize body is refused from its declared length, and while reading a chunked one', async () => {
    const before = await snapshot();
    const big = new Uint8Array(100 * 1024);
    expect(errorOf(await raw(h.url, 'POST', envelopesPath, big, { signer: signer() }))).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    let sent = 0;
    const chunked = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 1024 * 1024) return controller.close();
        sent += 16 * 1024;
        controller.enqueue(new Uint8Array(16 * 1024));
      },
    });
    const response = await raw(h.url, 'POST', envelopesPath, chunked, { signer: signer(), signedBody: new Uint8Array(0) });
    expect(errorOf(response)).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    expect(errorOf(await raw(h.url, 'POST', chainPath, new Uint8Array(9000), { signer: signer() }))).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    expect(errorOf(await raw(h.url, 'PUT', `/v1/mailbox/${'cd'.repeat(32)}`, new Uint8Array(70_000)))).toMatchObject({ status: 413 });
    expect(await snapshot()).toEqual(before);
  });

  it('a batch over the limit is refused whole', async () => {
    const before = await snapshot();
    const batch = Array.from({ length: 51 }, (_, i) => sealFrom(account, 0, callRecord(100 + i)));
    await expect(pushFrom(account, 0, batch)).rejects.toMatchObject({ code: 'BATCH_TOO_LARGE', status: 413 });
    expect(await snapshot()).toEqual(before);
  });

  it('a batch limit above what one checkpoint can claim (1000) is refused at startup', async () => {
    expect(() => createServer({ store: new MemoryStore(), limits: { maxBatch: MAX_CLAIMS + 1 } })).toThrow(expect.objectContaining({ code: 'SERVER_OPTIONS_INVALID' }));
    expect(MAX_CLAIMS).toBe(1000);
    expect(() => createServer({ store: new MemoryStore(), limits: { maxBatch: MAX_CLAIMS } })).not.toThrow();
  });

  it('bad query parameters', async () => {
    for (const query of ['?after=-1', '?after=1.5', '?limit=0', '?limit=1001', '?after=1&after=2', '?cursor=3', '?after=0x10']) {
      const response = await raw(h.url, 'GET', envelopesPath + query, undefined, { signer: signer() });
      expect(errorOf(response)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    }
    expect(errorOf(await raw(h.url, 'PUT', `/v1/mailbox/${'ef'.repeat(32)}?ttl=900001`, encodeValue({ message: new Uint8Array(3) })))).toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});

describe('content types and routes', () => {
  it('anything but application/cbor is 415', async () => {
    const before = await snapshot();
    const envelopes = [sealFrom(account, 0, callRecord(5))];
    const body = encodeValue({ envelopes, log: (await logFor(account, 0, envelopes)).bytes });
    for (const type of ['application/json', 'text/plain', 'application/octet-stream', 'application/cbor-seq']) {
      expect(errorOf(await raw(h.url, 'POST', envelopesPath, body, { signer: signer(), contentType: type }))).toMatchObject({
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      });
    }
    expect(errorOf(await raw(h.url, 'POST', envelopesPath, body, { signer: signer(), contentType: null }))).toMatchObject({ status: 415 });
    expect(errorOf(await raw(h.url, 'POST', '/v1/accounts', body, { contentType: 'application/json' }))).toMatchObject({ status: 415 });
    expect(await snapshot()).toEqual(before);
    // A parameter on the right type is fine.
    const ok = await raw(h.url, 'POST', envelopesPath, body, { signer: signer(), contentType: 'application/cbor; charset=binary' });
    expect(ok.status).toBe(200);
  });

  it('unknown routes and methods are 404 NOT_FOUND in CBOR', async () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/v2/health'],
      ['DELETE', envelopesPath],
      ['GET', '/v1/accounts'],
      ['POST', '/v1/health'],
    ] as const) {
      expect(errorOf(await raw(h.url, method, path))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    }
  });

  it('HEAD is refused everywhere, so a probe cannot take a mailbox message', async () => {
    const id = '12'.repeat(32);
    expect((await raw(h.url, 'PUT', `/v1/mailbox/${id}`, encodeValue({ message: new Uint8Array([1, 2, 3]) }))).status).toBe(201);
    expect((await raw(h.url, 'HEAD', `/v1/mailbox/${id}`)).status).toBe(404);
    expect((await raw(h.url, 'HEAD', '/v1/health')).status).toBe(404);
    expect(await h.store.mailboxTake(new Uint8Array(32).fill(0x12), Date.now())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('malformed ids in paths are 400', async () => {
    expect(errorOf(await raw(h.url, 'GET', '/v1/mailbox/xyz'))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(errorOf(await raw(h.url, 'GET', `/v1/mailbox/${'AB'.repeat(32)}`))).toMatchObject({ status: 400 });
    expect(errorOf(await raw(h.url, 'GET', '/v1/accounts/abc/envelopes', undefined, { signer: signer() }))).toMatchObject({ status: 400 });
    const logs = `/v1/accounts/${toHex(account.accountId)}/logs/`;
    for (const device of ['xyz', 'AB'.repeat(16), 'ab'.repeat(15), 'ab'.repeat(17)]) {
      expect(errorOf(await raw(h.url, 'GET', logs + device, undefined, { signer: signer() }))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    }
  });
});
