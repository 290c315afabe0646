/**
 * A live device whose server no longer has its account (a fresh server at the same address, or
 * the wrong one) gets ACCOUNT_NOT_FOUND, which docs/errors.md calls fatal: live sync raises one
 * `error` event marked fatal, even with no `onError`, ends (`ended` resolves with the error)
 * and sends nothing more. A server that is down is transient: errors are raised, not fatal,
 * and the loop keeps trying.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient, isMultikeySyncError, MemoryLocalStore, Replica, type SyncAccount } from '../../src/index.js';
import { createServer, MemoryStore, type SyncServer } from '../../src/server/index.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

let env: EnrollmentEnv;
let empty: SyncServer | undefined;
beforeEach(async () => {
  env = await startEnrollmentServer({ realTime: true });
});
afterEach(async () => {
  await env.stop();
  await empty?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function replicaThrough(baseUrl: string): Promise<Replica> {
  const { devices } = await accountWith(env, 1);
  const phone = devices[0]!;
  const account: SyncAccount = {
    device: phone.device,
    accountId: phone.accountId,
    chain: phone.chain,
    transport: new HttpClient({ baseUrl, device: phone.device, accountId: phone.accountId, retry: false }),
  };
  return Replica.open({ account, store: new MemoryLocalStore() });
}

describe('live sync and failures', () => {
  it('stops on ACCOUNT_NOT_FOUND with one fatal error event, without onError', async () => {
    const requests: string[] = [];
    empty = createServer({ store: new MemoryStore(), log: (line) => requests.push(line) });
    const replica = await replicaThrough((await empty.listen(0, '127.0.0.1')).url);
    const events: { error: unknown; fatal: boolean }[] = [];
    replica.on('error', (e) => events.push(e));
    const live = replica.live();
    const ended = await Promise.race([live.ended, sleep(10_000).then(() => 'still running')]);
    expect(isMultikeySyncError(ended, 'ACCOUNT_NOT_FOUND'), String(ended)).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]!.fatal).toBe(true);
    expect(events[0]!.error).toBe(ended);
    const seen = requests.length;
    await sleep(1_000);
    expect(requests.length, 'requests after the loop ended').toBe(seen);
    await live.stop();
  });

  it('keeps retrying a server that is down, raising each error as not fatal', async () => {
    const down = createServer({ store: new MemoryStore() });
    const { url } = await down.listen(0, '127.0.0.1');
    await down.close();
    const replica = await replicaThrough(url);
    const events: { error: unknown; fatal: boolean }[] = [];
    replica.on('error', (e) => events.push(e));
    const live = replica.live();
    await sleep(1_500);
    await live.stop();
    expect(await live.ended).toBeUndefined();
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => !e.fatal && isMultikeySyncError(e.error, 'NETWORK_ERROR'))).toBe(true);
  });
});
