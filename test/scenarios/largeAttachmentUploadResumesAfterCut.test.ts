/**
 * A 16 MiB attachment over real HTTP on loopback: the phone's upload is cut half-way (the
 * server stores a push, the answer never arrives, and the connection stays down), the rest
 * resumes from the outbox at the next sync, and the laptop downloads it whole — incomplete
 * (with counts) until every chunk is there, corrupt if the reference's hash does not match; a
 * device paired later gets the chunks with the history.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/httpClient.js';
import { Account } from '../../src/enrollment/account.js';
import { AttachmentIncomplete, isMultikeySyncError, type AttachmentRef } from '../../src/index.js';
import { accountWith, pairByQr, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

/** A connection that goes down for good after the server answered the `nth` push, until `restore()`. */
function cutAfterPush(nth: number): { fetch: typeof fetch; restore: () => void } {
  let pushes = 0;
  let down = false;
  return {
    restore: () => {
      down = false;
    },
    fetch: async (input, init) => {
      if (down) throw new TypeError('fetch failed: connection refused');
      const url = String(input instanceof Request ? input.url : input);
      const response = await fetch(input, init);
      if (/\/envelopes$/.test(url) && init?.method === 'POST' && ++pushes === nth) {
        down = true;
        throw new TypeError('fetch failed: connection reset after the server answered');
      }
      return response;
    },
  };
}

function withTransport(account: Account<HttpClient>, fetchImpl: typeof fetch): Account<HttpClient> {
  const transport = new HttpClient({ baseUrl: env.url, device: account.device, accountId: account.accountId, clock: env.clock.now, fetch: fetchImpl, retry: false });
  return Account.restore({ device: account.device, chain: account.chain, transport, clock: env.clock.now });
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  return run().then(() => undefined, (e: unknown) => e);
}

describe('largeAttachmentUploadResumesAfterCut', () => {
  it('a 16 MiB upload cut half-way resumes from the outbox, and the laptop gets the bytes once every chunk is there', async () => {
    const { devices } = await accountWith(env, 2);
    const link = cutAfterPush(2);
    const phone = await syncedDevice(withTransport(devices[0]!, link.fetch), env.clock.now);
    const laptop = await syncedDevice(devices[1]!, env.clock.now);
    await laptop.replica.sync();

    const video = new Uint8Array(randomBytes(16 * 1024 * 1024));
    const ref = await phone.replica.attach(video);
    expect(ref).toMatchObject({ size: video.length, chunkCount: Math.ceil(video.length / ref.chunkSize) });
    expect(ref.chunkSize).toBeLessThanOrEqual(256 * 1024);
    const files = phone.replica.collection<{ name: string; video: AttachmentRef }>('files');
    const fileId = await files.put({ name: 'birthday.mp4', video: ref });
    expect(await phone.replica.pending()).toBe(ref.chunkCount + 1);

    // The first push (an 8 MiB batch of chunks) goes through; the second reaches the server, but
    // its answer and everything after are lost.
    expect(await failure(() => phone.replica.sync())).toMatchObject({ code: 'NETWORK_ERROR' });
    const left = await phone.replica.pending();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(ref.chunkCount + 1);

    // What reached the server is readable, but the attachment is not whole yet.
    await laptop.replica.sync();
    const partial = await failure(() => laptop.replica.attachment(ref));
    expect(partial).toBeInstanceOf(AttachmentIncomplete);
    const { present, total } = partial as AttachmentIncomplete;
    expect(total).toBe(ref.chunkCount);
    expect(present).toBeGreaterThan(0);
    expect(present).toBeLessThan(total);
    expect((partial as AttachmentIncomplete).message).toBe(`${present} of the attachment's ${total} chunks are here: sync, then try again`);

    // The connection comes back: the next sync pushes the rest (the batch whose answer was lost is taken as the duplicate it is).
    link.restore();
    await phone.replica.sync();
    expect(await phone.replica.pending()).toBe(0);
    await laptop.replica.sync();
    const file = await laptop.replica.collection<{ name: string; video: AttachmentRef }>('files').get(fileId);
    expect(file?.name).toBe('birthday.mp4');
    expect(same(await laptop.replica.attachment(file!.video), video)).toBe(true);
    expect(laptop.events.rejected).toEqual([]);

    // A reference whose hash does not match what the chunks hold is refused.
    const wrongHash = { ...ref, hash: ref.hash.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    expect(isMultikeySyncError(await failure(() => laptop.replica.attachment(wrongHash)), 'ATTACHMENT_CORRUPT')).toBe(true);

    // Detaching deletes the chunks everywhere.
    expect(await phone.replica.detach(ref)).toBe(ref.chunkCount);
    await phone.replica.sync();
    await laptop.replica.sync();
    expect(await failure(() => laptop.replica.attachment(ref))).toMatchObject({ code: 'ATTACHMENT_INCOMPLETE', present: 0, total: ref.chunkCount });
  });

  it('attaches a stream in pieces of any size, and an empty attachment', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const bytes = new Uint8Array(randomBytes(700_001));
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < bytes.length; at += 99_991) yield bytes.subarray(at, Math.min(at + 99_991, bytes.length));
    }
    const ref = await phone.replica.attach(pieces());
    expect(ref.chunkCount).toBe(3);
    expect(same(await phone.replica.attachment(ref), bytes)).toBe(true);
    // The same bytes given whole make the same hash.
    expect((await phone.replica.attach(bytes)).hash).toEqual(ref.hash);
    const empty = await phone.replica.attach(new Uint8Array(0));
    expect(empty.chunkCount).toBe(0);
    expect(await phone.replica.attachment(empty)).toEqual(new Uint8Array(0));
    expect(isMultikeySyncError(await failure(() => phone.replica.attach('text' as never)), 'ATTACHMENT_INPUT_INVALID')).toBe(true);
    expect(isMultikeySyncError(await failure(() => phone.replica.attach(new Uint8Array(1), { expiresAt: -1 })), 'ATTACH_OPTIONS_INVALID')).toBe(true);
    expect(isMultikeySyncError(await failure(() => phone.replica.attachment({ ...ref, chunkCount: 2 })), 'ATTACHMENT_REF_INVALID')).toBe(true);
  });

  it('a device paired after the attachment was uploaded gets its chunks with the history', async () => {
    const { devices } = await accountWith(env, 1);
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const scan = new Uint8Array(randomBytes(600_000));
    const ref = await phone.replica.attach(scan);
    await phone.replica.sync();

    const tablet = await syncedDevice(await pairByQr(env, phone.account), env.clock.now);
    expect((await tablet.replica.sync()).held).toBe(ref.chunkCount);
    expect(await failure(() => tablet.replica.attachment(ref))).toMatchObject({ code: 'ATTACHMENT_INCOMPLETE', present: 0 });
    await phone.replica.sync(); // answers the tablet's history request
    await tablet.replica.sync();
    expect(same(await tablet.replica.attachment(ref), scan)).toBe(true);
  });
});
