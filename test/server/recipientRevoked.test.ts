/**
 * A laptop that has not refreshed its chain since the phone removed the lost tablet still seals
 * for the tablet. The server, which knows the tablet was removed, refuses such a push whole
 * (`RECIPIENT_REVOKED`), so no envelope the tablet could open reaches the database after its
 * removal. Sealed again for the current devices, the same records go through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { activeDevices, type ChainState } from '../../src/enrollment/chainState.js';
import { callRecord, createAccount, pushFrom, removeDevice, sealFrom, startServer, type Harness, type TestAccount } from './harness.js';

let h: Harness;
let account: TestAccount;
beforeAll(async () => {
  h = await startServer();
  account = await createAccount(h.url, 3); // phone, laptop, tablet
});
afterAll(async () => {
  await h.stop();
});

function sealOnLaptop(view: ChainState, i: number): Uint8Array {
  return sealFrom(account, 1, callRecord(i), { to: activeDevices(view, Date.now()) });
}

async function snapshot() {
  const page = await h.store.pullEnvelopes(account.accountId, 0, 100);
  return { usage: await h.store.usage(account.accountId), cursors: page.items.map((e) => e.cursor), head: toHex((await h.store.chainHead(account.accountId)).hash) };
}

describe('a laptop that missed a revocation seals for the removed tablet', () => {
  it('its push is refused with RECIPIENT_REVOKED and stores nothing; resealed, it goes through', async () => {
    const laptopView = account.state; // the laptop's chain, not refreshed after what follows
    await removeDevice(account, 2); // the phone removes the tablet

    const forTablet = sealOnLaptop(laptopView, 1);
    const before = await snapshot();
    await expect(pushFrom(account, 1, [forTablet])).rejects.toMatchObject({ code: 'RECIPIENT_REVOKED', status: 422 });
    expect(await snapshot()).toEqual(before);

    // One stale envelope in a batch refuses the whole batch, wherever it sits.
    const current = sealOnLaptop(account.state, 2);
    await expect(pushFrom(account, 1, [current, forTablet])).rejects.toMatchObject({ code: 'RECIPIENT_REVOKED' });
    expect(await snapshot()).toEqual(before);
    expect(h.logs.filter((l) => l.startsWith('POST /v1/accounts/:account/envelopes 422')).length).toBe(2);

    // After refreshing its chain the laptop seals for the phone and itself only.
    const resealed = sealOnLaptop(account.state, 1);
    expect(await pushFrom(account, 1, [current, resealed])).toEqual(['stored', 'stored']);
  });

  it('an envelope naming the removed device anywhere among its stanzas is refused', async () => {
    const [phone, laptop, tablet] = account.devices;
    for (const to of [[tablet!, phone!, laptop!], [phone!, tablet!, laptop!], [laptop!, phone!, tablet!], [tablet!]]) {
      const envelope = sealFrom(account, 1, callRecord(9), { to });
      await expect(pushFrom(account, 1, [envelope])).rejects.toMatchObject({ code: 'RECIPIENT_REVOKED' });
    }
  });
});
