/**
 * Requests the server must refuse: unsigned, forged, replayed, stale, from a revoked or unknown
 * device, for an unknown account, or pushing envelopes in another device's name. Each gets its
 * code and leaves the store as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { encodeValue } from '../../src/core/cbor.js';
import { Device } from '../../src/core/device.js';
import { toHex } from '../../src/crypto/bytes.js';
import { HEADERS } from '../../src/http/routes.js';
import { envelopesOf } from '../support/items.js';
import { callRecord, createAccount, logFor, pushFrom, removeDevice, sealFrom, startServer, type Harness, type TestAccount } from './harness.js';
import { errorOf, raw } from './rawRequest.js';

let h: Harness;
let account: TestAccount;
let path: string;
let clockShift = 0;

async function snapshot() {
  return { usage: await h.store.usage(account.accountId), head: toHex((await h.store.chainHead(account.accountId)).hash) };
}

beforeAll(async () => {
  h = await startServer({ clock: () => Date.now() + clockShift });
  account = await createAccount(h.url, 3);
  await pushFrom(account, 0, [sealFrom(account, 0, callRecord(0))]);
  path = `/v1/accounts/${toHex(account.accountId)}/envelopes`;
});
afterAll(async () => {
  await h.stop();
});

/** A push the server would store, but for what each test does to its request. */
async function pushBody(from = 0): Promise<Uint8Array> {
  const envelopes = [sealFrom(account, from, callRecord(Math.floor(Math.random() * 1e6)))];
  return encodeValue({ envelopes, log: (await logFor(account, from, envelopes)).bytes });
}

describe('signatures', () => {
  it('an unsigned request to a signed route is AUTH_REQUIRED', async () => {
    expect(errorOf(await raw(h.url, 'GET', path))).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
  });

  it('forged signatures are SIGNATURE_INVALID and store nothing', async () => {
    const before = await snapshot();
    const body = await pushBody();
    const other = await pushBody();
    const signer = { device: account.devices[0]!, accountId: account.accountId };
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    const forgeries = [
      // a flipped signature bit
      raw(h.url, 'POST', path, body, { signer, mutate: (hd) => void (hd[HEADERS.signature] = flip(hd[HEADERS.signature]!)) }),
      // another body than the one signed
      raw(h.url, 'POST', path, body, { signer, signedBody: other }),
      // another path than the one signed
      raw(h.url, 'GET', `${path}?after=0&limit=5`, undefined, { signer, signedPath: `${path}?after=0&limit=6` }),
      // another time than the one signed
      raw(h.url, 'POST', path, body, { signer, mutate: (hd) => void (hd[HEADERS.time] = String(Number(hd[HEADERS.time]) + 1)) }),
      // a stranger's signature claiming to be device 0
      raw(h.url, 'POST', path, body, {
        signer: { device: await Device.generate(), accountId: account.accountId },
        mutate: (hd) => void (hd[HEADERS.device] = toHex(account.devices[0]!.id)),
      }),
    ];
    for (const response of await Promise.all(forgeries)) expect(errorOf(response)).toMatchObject({ status: 401, code: 'SIGNATURE_INVALID' });
    expect(await snapshot()).toEqual(before);
  });

  it('malformed signing headers are BAD_REQUEST', async () => {
    const signer = { device: account.devices[0]!, accountId: account.accountId };
    const response = await raw(h.url, 'GET', path, undefined, { signer, mutate: (hd) => void (hd[HEADERS.nonce] = 'zz') });
    expect(errorOf(response)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('a forged request does not use up the nonce it carries (signature before nonce)', async () => {
    const nonce = crypto.getRandomValues(new Uint8Array(16));
    const signer = { device: account.devices[0]!, accountId: account.accountId, nonce };
    const forged = await raw(h.url, 'GET', path, undefined, { signer, mutate: (hd) => void (hd[HEADERS.signature] = '00'.repeat(64)) });
    expect(errorOf(forged).code).toBe('SIGNATURE_INVALID');
    expect((await raw(h.url, 'GET', path, undefined, { signer })).status).toBe(200);
  });
});

describe('replays and clocks', () => {
  it('the same signed request twice: the second is REQUEST_REPLAYED and changes nothing', async () => {
    const body = await pushBody();
    const signer = { device: account.devices[0]!, accountId: account.accountId, nonce: crypto.getRandomValues(new Uint8Array(16)), time: Date.now() };
    expect((await raw(h.url, 'POST', path, body, { signer })).status).toBe(200);
    const before = await snapshot();
    expect(errorOf(await raw(h.url, 'POST', path, body, { signer }))).toMatchObject({ status: 401, code: 'REQUEST_REPLAYED' });
    expect(await snapshot()).toEqual(before);
  });

  it('a request more than 5 minutes off the server clock is REQUEST_STALE with the server time', async () => {
    const signer = { device: account.devices[0]!, accountId: account.accountId, time: Date.now() - 6 * 60_000 };
    const response = await raw(h.url, 'GET', path, undefined, { signer });
    expect(errorOf(response)).toMatchObject({ status: 401, code: 'REQUEST_STALE' });
    expect(Math.abs(Number(response.headers.get(HEADERS.serverTime)) - Date.now())).toBeLessThan(5000);
  });

  it('a client whose clock is 20 minutes off corrects itself from the server time', async () => {
    const skewed = new HttpClient({ baseUrl: h.url, device: account.devices[1]!, accountId: account.accountId, clock: () => Date.now() - 20 * 60_000 });
    expect(envelopesOf((await skewed.pull(0)).items).length).toBeGreaterThan(0);
    const envelope = sealFrom(account, 1, callRecord(77));
    const log = await logFor(account, 1, [envelope]);
    clockShift = 30 * 60_000;
    try {
      expect((await skewed.push([envelope], log.bytes))[0]).toBe('stored');
    } finally {
      clockShift = 0;
    }
  });
});

describe('who may call', () => {
  it('a device that was never enrolled is DEVICE_UNKNOWN', async () => {
    const stranger = new HttpClient({ baseUrl: h.url, device: await Device.generate(), accountId: account.accountId });
    await expect(stranger.pull(0)).rejects.toMatchObject({ code: 'DEVICE_UNKNOWN', status: 401 });
  });

  it('an unknown account is ACCOUNT_NOT_FOUND', async () => {
    const lost = new HttpClient({ baseUrl: h.url, device: account.devices[0]!, accountId: new Uint8Array(32).fill(7) });
    await expect(lost.pull(0)).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND', status: 404 });
  });

  it('envelopes naming another sender are SENDER_MISMATCH, and the whole batch is refused', async () => {
    const before = await snapshot();
    const mine = sealFrom(account, 0, callRecord(501));
    const theirs = sealFrom(account, 1, callRecord(502));
    const log = await logFor(account, 0, [mine, theirs]);
    await expect(account.clients[0]!.push([mine, theirs], log.bytes)).rejects.toMatchObject({ code: 'SENDER_MISMATCH', status: 403 });
    expect(await snapshot()).toEqual(before);
  });

  it('a removed device is DEVICE_REVOKED for every signed route but reading the chain, and its push stores nothing', async () => {
    const tablet = account.clients[2]!;
    const queued = sealFrom(account, 2, callRecord(900));
    const log = await logFor(account, 2, [queued]);
    await removeDevice(account, 2);
    const before = await snapshot();
    await expect(tablet.push([queued], log.bytes)).rejects.toMatchObject({ code: 'DEVICE_REVOKED', status: 403 });
    await expect(tablet.pull(0)).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });
    await expect(tablet.wait(0, 100)).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });
    // Reading the chain stays open to it, so it can verify its own removal.
    const chain = await tablet.readChain();
    expect(toHex(chain.head)).toBe(before.head);
    expect(await snapshot()).toEqual(before);
  });
});

describe('rates and quotas', () => {
  it('a device over its rate gets RATE_LIMITED with Retry-After; other devices are unaffected', async () => {
    const limited = await startServer({ limits: { requestsPerSecond: 0.5, requestBurst: 3 } });
    try {
      const acct = await createAccount(limited.url, 2, { retry: false });
      const signer = { device: acct.devices[1]!, accountId: acct.accountId };
      const p = `/v1/accounts/${toHex(acct.accountId)}/envelopes`;
      for (let i = 0; i < 3; i++) expect((await raw(limited.url, 'GET', p, undefined, { signer })).status).toBe(200);
      const refused = await raw(limited.url, 'GET', p, undefined, { signer });
      expect(errorOf(refused)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await acct.clients[0]!.pull(0)).cursor).toBe(0);
    } finally {
      await limited.stop();
    }
  });

  it('a push over the account quota is QUOTA_EXCEEDED and stores nothing', async () => {
    const small = await startServer({ quotaBytes: 4000 });
    try {
      const acct = await createAccount(small.url, 2);
      await pushFrom(acct, 0, [sealFrom(acct, 0, callRecord(1))]);
      const before = await small.store.usage(acct.accountId);
      const batch = Array.from({ length: 10 }, (_, i) => sealFrom(acct, 0, callRecord(10 + i)));
      await expect(pushFrom(acct, 0, batch)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED', status: 507 });
      expect(await small.store.usage(acct.accountId)).toEqual(before);
    } finally {
      await small.stop();
    }
  });
});
