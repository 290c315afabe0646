/**
 * Someone holds the recovery words and the operator helps them skip the 72-hour wait. The honest
 * server refuses entries dated more than 10 minutes from its clock, so the operator writes them
 * into its database itself:
 * - a recovery `add` dated just after the previous entry, days ago, so it is in effect at once;
 * - or, after an honest (pending) recovery, an entry signed by the pending device and dated at
 *   the end of its wait, "from the future", which removes the owner's phone.
 * Both entries obey the chain rules. A device that refreshed after the date an entry claims, and
 * did not see it then, raises `backdated`; an entry dated past this device's clock raises
 * `postdated`. (A device that was offline for the whole wait cannot tell; its event shows the
 * dates, so the app can say "recovered 5 days ago while this device was offline".)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../src/client/httpClient.js';
import { Device } from '../../src/core/device.js';
import { Account } from '../../src/enrollment/account.js';
import { deviceKeys, makeAdd, makeRemove, signConsent } from '../../src/enrollment/chainOps.js';
import { EMPTY_LOG } from '../../src/enrollment/logCut.js';
import { activeDevice, DEFAULT_RECOVERY_DELAY_MS, replayChain } from '../../src/enrollment/chainState.js';
import { recoveryDevice } from '../../src/enrollment/recoveryWords.js';
import { storedChain, writeEntry } from '../support/hostileOperator.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';

const DAY = 24 * 60 * 60_000;
let env: EnrollmentEnv;
beforeEach(async () => (env = await startEnrollmentServer()));
afterEach(async () => env.stop());

describe('a colluding server backdates a recovery', () => {
  it('a backdated recovery add is caught by every device that refreshed since the date it claims', async () => {
    const { devices, recoveryWords } = await accountWith(env, 2);
    const [phone, laptop] = devices as [Account<HttpClient>, Account<HttpClient>];
    env.clock.advance(10 * DAY);
    await phone.refresh(); // the phone syncs every day; the laptop sits in a drawer

    const recovery = await recoveryDevice(recoveryWords);
    const thief = await Device.generate();
    const state = phone.chain.state;
    const backdated = makeAdd(recovery, state, deviceKeys(thief), signConsent(thief, state.accountId), { now: state.lastTs });
    writeEntry(env.dbPath, phone.accountId, backdated);

    // By the rules alone the thief would be active already, with no chance to veto.
    const replayed = replayChain(phone.device.suite, storedChain(env.dbPath, phone.accountId).map((r) => new Uint8Array(r.bytes)));
    expect(activeDevice(replayed, thief.id, env.clock.now())).toBeDefined();

    await expect(phone.refresh()).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'backdated' });
    expect(phone.chain.activeDevices().map((d) => d.id)).not.toContainEqual(thief.id);

    // The laptop last refreshed before the claimed date: it cannot tell, and its event says when.
    const [event] = await laptop.refresh();
    expect(event).toMatchObject({ type: 'recovery-started', ts: state.lastTs, effectiveAt: state.lastTs + DEFAULT_RECOVERY_DELAY_MS });
    expect(event!.ts).toBeLessThan(env.clock.now() - 9 * DAY);
  });

  it('an entry signed "from the future" by a pending device is caught', async () => {
    const { devices, recoveryWords } = await accountWith(env, 2);
    const [phone, laptop] = devices as [Account<HttpClient>, Account<HttpClient>];
    const thief = await Device.generate();
    const attempt = await Account.recover({ words: recoveryWords, newDevice: thief, accountId: phone.accountId, connect: env.connect, clock: env.clock.now });
    attempt.recoveryDevice.wipe();
    const state = attempt.account.chain.state;
    writeEntry(env.dbPath, phone.accountId, makeRemove(thief, state, phone.device.id, EMPTY_LOG, attempt.effectiveAt));

    const refused = await laptop.refresh().catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'FORK_ALARM', reason: 'postdated' });
    expect(laptop.chain.activeDevices().map((d) => d.id)).toContainEqual(phone.device.id);
    // The server now treats the phone as removed, but still shows a removed device the chain, so
    // the phone checks the removal itself and catches the entry signed "from the future".
    await expect(phone.refresh()).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'postdated' });
    expect(phone.chain.activeDevices().map((d) => d.id)).toContainEqual(phone.device.id);
  });
});
