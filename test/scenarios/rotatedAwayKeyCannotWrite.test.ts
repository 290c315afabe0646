import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { seal } from '../../src/core/seal.js';
import { SqliteLocalStore } from '../../src/sync/sqliteLocalStore.js';
import { bodyToWire } from '../../src/sync/recordBody.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { deviceHex, hostileFront, type HostileFront } from '../support/hostileFront.js';
import { call, syncedDevice } from '../support/syncHarness.js';
import { writeAsThief } from '../support/thief.js';

let env: EnrollmentEnv;
let front: HostileFront;
let dir: string;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
  dir = mkdtempSync(join(tmpdir(), 'mks-rotate-'));
});
afterEach(async () => {
  await env.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('write authority', () => {
  it('rotatedAwayKeyCannotWrite: after the phone rotates its key, neither its old key alone nor a stale copy of the phone writes anything', async () => {
    const { devices } = await accountWith(env, 2);
    const phoneFile = join(dir, 'phone.sqlite');
    const phone = await syncedDevice(devices[0]!, env.clock.now, await SqliteLocalStore.open(phoneFile));
    const tablet = await syncedDevice(devices[1]!, env.clock.now);
    const id = await phone.calls.put(call());
    await phone.replica.sync();
    await tablet.replica.sync();

    // A copy of the phone as it was (a backup, a cloned disk), and its encryption secret on its own.
    await phone.replica.close();
    copyFileSync(phoneFile, join(dir, 'stale.sqlite'));
    const stale = await Device.fromSecrets(phone.account.device.exportSecrets());
    const oldSecret = phone.account.device.exportSecrets().subarray(33);
    const staleChain = { state: phone.account.chain.state, entries: phone.account.chain.entries };
    await devices[0]!.rotateKey();
    await tablet.replica.sync(); // the tablet has verified the rotation and where it cuts the phone's log

    // 1. The stale copy writes as the phone did before the rotation: its log continues, but with the old card.
    const staleItems = await writeAsThief(
      { device: stale, accountId: devices[0]!.accountId, chain: { ...staleChain, refresh: async () => [], checkHead: async () => [] }, transport: devices[0]!.transport },
      await SqliteLocalStore.open(join(dir, 'stale.sqlite')),
      env.clock.now,
      async (thief) => {
        await thief.collection('calls').delete(id);
        await thief.sync();
      },
    );
    // 2. Someone with only the old encryption secret seals a "deletion" in the phone's name.
    const forger = await Device.fromSecrets(Uint8Array.of(0x01, ...new Uint8Array(32).fill(9), ...oldSecret));
    const tabletCard = tablet.account.device.public;
    const made = forger.establishPairKey(tabletCard, tablet.account.device.epochs.current!.statement, 1);
    const forged = seal(forger, devices[0]!.accountId, [{ card: tabletCard, ref: 1, key: made.key }], {
      kind: 'tombstone',
      // The latest clock there is: were it applied, it would win over every version.
      body: bodyToWire({ collection: 'calls', sortTime: 0, clock: new Uint8Array(8).fill(0xff) }),
      recordId: id,
      revision: 9,
    });

    front.rewrite = (page) => (page.device === deviceHex(tablet.account.device) ? { ...page, items: [...page.items, ...staleItems, forged] } : page);
    await tablet.replica.sync();
    expect(await tablet.calls.get(id)).toBeDefined();
    const codes = tablet.events.rejected.map((r) => r.code);
    // The forgery is in no log.
    expect(codes).toContain('ENVELOPE_NOT_LOGGED');
    // The stale copy's checkpoint extends the phone's log, but past the rotation's cut the phone's card is
    // the new one: a pair key made under the old card seals nothing there.
    expect(codes).toContain('ENVELOPE_KEY_UNKNOWN');
  });
});
