import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RemoteExtras } from '../../src/sync/localStore.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { deviceHex, hostileFront, type HostileFront } from '../support/hostileFront.js';
import { carries } from '../support/items.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
let front: HostileFront;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
});
afterEach(async () => {
  await env.stop();
});

const CALLS = 2_500;

describe('withholding over a long pull', () => {
  it('the tablet pulls 2,500 calls over several pages, notices the one withheld on the first, stores each record\'s index entry about once, and keeps only the withheld one unresolved', { timeout: 60_000 }, async () => {
    const { devices } = await accountWith(env, 2);
    // The tablet's store counts the version-index entries each page stores.
    const store = new MemoryLocalStore();
    let stored = 0;
    const apply = store.applyRemote.bind(store);
    store.applyRemote = (records, key, cursor, extras?: RemoteExtras) => {
      stored += extras?.versions?.length ?? 0;
      askedSincePage = 0;
      return apply(records, key, cursor, extras);
    };
    // And how many index entries it is asked for after the last page: the round's re-check of
    // the records still unresolved.
    let askedSincePage = 0;
    const getVersions = store.getVersions.bind(store);
    store.getVersions = (ids) => {
      askedSincePage += ids.length;
      return getVersions(ids);
    };
    const phone = await syncedDevice(devices[0]!, env.clock.now);
    const tablet = await syncedDevice(devices[1]!, env.clock.now, store);
    await tablet.replica.sync();
    const hidden = await phone.calls.put(call());
    for (let i = 1; i < CALLS; i++) await phone.calls.put(call());
    await phone.replica.sync();

    front.rewrite = (page) =>
      page.device === deviceHex(tablet.account.device) ? { ...page, items: page.items.filter((i) => !carries(i, hidden)) } : page;
    stored = 0;
    const report = await tablet.replica.sync();

    expect(report.applied).toBe(CALLS - 1);
    expect(report.pulled).toBeGreaterThan(2_000); // more than two pages of 1,000
    expect(report.withheld).toBe(1);
    expect(tablet.events.withheld.at(-1)!.records).toEqual([expect.objectContaining({ recordId: hidden, revision: 1 })]);
    // One entry per record, and a second for those whose claim and envelope fall on two pages;
    // not every entry of the pages before stored again with each page.
    expect(stored).toBeLessThan(CALLS + 100);
    // Unresolved after the pull: the withheld record, not every record whose claim came a page
    // before its envelope (a pull of 1M records held ~1M ids there).
    expect(askedSincePage).toBe(1);
  });
});
