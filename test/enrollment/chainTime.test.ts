/**
 * The `ts` rules (docs/protocol.md §18.4, "Time"): what an appender's clock allows, and how a
 * device holds served entries to its clock corrected by the server's. Table first, then the
 * device side through DeviceChain over an in-memory server.
 */
import { describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { MAX_CLOCK_OFFSET_MS } from '../../src/core/serverClock.js';
import { createGenesis, deviceKeys, makeAdd, makeRemove, makeRotate, signConsent } from '../../src/enrollment/chainOps.js';
import { EMPTY_LOG } from '../../src/enrollment/logCut.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import { deviceTime, offsetOf } from '../../src/enrollment/deviceTime.js';
import { ENTRY_MAX_SKEW_MS, entryTimeProblem } from '../../src/enrollment/entryTime.js';
import { recoveryDevice, createRecoveryWords } from '../../src/enrollment/recoveryWords.js';
import { MemoryTransport } from '../support/memoryTransport.js';

const T0 = 1_800_000_000_000;
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

describe('the ts rule of an append', () => {
  it.each([
    ['genesis on the clock', T0, T0, undefined, true],
    ['genesis 10 min ahead', T0 + ENTRY_MAX_SKEW_MS, T0, undefined, true],
    ['genesis 10 min and 1 ms ahead', T0 + ENTRY_MAX_SKEW_MS + 1, T0, undefined, false],
    ['genesis a day ahead', T0 + DAY, T0, undefined, false],
    ['genesis 10 min and 1 ms behind', T0 - ENTRY_MAX_SKEW_MS - 1, T0, undefined, false],
    ['entry on the clock', T0, T0, T0 - MIN, true],
    ['entry 11 min ahead', T0 + 11 * MIN, T0, T0, false],
    ['entry dated as a last entry a day ahead', T0 + DAY, T0, T0 + DAY, true],
    ['entry 1 ms after a last entry a day ahead', T0 + DAY + 1, T0, T0 + DAY, false],
    ['entry 11 min behind', T0 - 11 * MIN, T0, T0 - DAY, false],
  ])('%s', (_name, ts, now, lastTs, ok) => {
    expect(entryTimeProblem(ts, now, lastTs) === undefined).toBe(ok);
  });
});

async function setUp(deviceSkewMs: number) {
  let serverNow = T0;
  const clock = () => serverNow + deviceSkewMs; // the device clock
  const phone = await Device.generate();
  const laptop = await Device.generate();
  const server = new MemoryTransport(phone.suite);
  const genesis = createGenesis(phone, { now: serverNow });
  await server.createAccount(genesis.bytes);
  const chain = DeviceChain.fromGenesis(phone.suite, genesis, { self: phone.id, clock });
  return { phone, laptop, server, chain, clock, advance: (ms: number) => (serverNow += ms), serverNow: () => serverNow };
}

describe('a device checks served times by its clock corrected by the server offset', () => {
  it('a device a day slow raises no postdated alarm once its transport learned the offset', async () => {
    const { phone, laptop, server, chain, serverNow, advance } = await setUp(-DAY);
    advance(60 * MIN);
    server.push(makeAdd(phone, server.state!, deviceKeys(laptop), signConsent(laptop, server.state!.accountId), { now: serverNow() }));
    server.clockOffsetMs = DAY;
    await expect(chain.refresh(server)).resolves.toHaveLength(1);
    expect(chain.verifiedAt).toBe(serverNow());
  });

  it('without the offset the same device raises postdated: the correction is what prevents it', async () => {
    const { phone, laptop, server, chain, serverNow, advance } = await setUp(-DAY);
    advance(60 * MIN);
    server.push(makeAdd(phone, server.state!, deviceKeys(laptop), signConsent(laptop, server.state!.accountId), { now: serverNow() }));
    await expect(chain.refresh(server)).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'postdated' });
  });

  it('an offset beyond ±24 h is not applied', () => {
    expect(offsetOf({ clockOffsetMs: MAX_CLOCK_OFFSET_MS })).toBe(MAX_CLOCK_OFFSET_MS);
    expect(offsetOf({ clockOffsetMs: MAX_CLOCK_OFFSET_MS + 1 })).toBe(0);
    expect(offsetOf({ clockOffsetMs: -Infinity })).toBe(0);
    expect(offsetOf({})).toBe(0);
    expect(deviceTime(() => 5, { clockOffsetMs: 7 })()).toBe(12);
  });

  it('an entry dated exactly as a future last entry is not postdated; one later than it is', async () => {
    const { phone, laptop, server, chain } = await setUp(0);
    // An entry a day ahead, as a server whose clock ran fast would have accepted.
    server.push(makeAdd(phone, server.state!, deviceKeys(laptop), signConsent(laptop, server.state!.accountId), { now: T0 + DAY }));
    await expect(chain.refresh(server)).rejects.toMatchObject({ reason: 'postdated' });
    chain.acknowledgeFork();
    const fresh = DeviceChain.fromEntries(phone.suite, server.entries.map((e) => e.bytes), { self: phone.id, clock: () => T0 });
    server.push(makeRemove(phone, server.state!, laptop.id, EMPTY_LOG, T0)); // dated max(now, lastTs) = lastTs
    await expect(fresh.refresh(server)).resolves.toMatchObject([{ type: 'device-removed' }]);
    server.push(makeRotate(phone.rotateEncryptionKey(), server.state!, EMPTY_LOG, T0 + DAY + 1));
    await expect(fresh.refresh(server)).rejects.toMatchObject({ reason: 'postdated' });
  });

  it('append refuses to send an entry a day ahead of the corrected clock (CHAIN_TIME_SKEW), so it cannot freeze the chain', async () => {
    const { phone, laptop, server, chain } = await setUp(0);
    const consent = signConsent(laptop, chain.accountId);
    await expect(chain.append(server, (state) => makeAdd(phone, state, deviceKeys(laptop), consent, { now: T0 + DAY }))).rejects.toMatchObject({ code: 'CHAIN_TIME_SKEW' });
    expect(server.appends).toBe(0);
    await expect(chain.append(server, (state) => makeAdd(phone, state, deviceKeys(laptop), consent, { now: T0 }))).resolves.toMatchObject({ entry: expect.anything() });
  });

  it('a first fetch accepts a chain dated tomorrow but refuses an entry signed by a pending recovery device before its delay ended', async () => {
    const { phone, laptop, server } = await setUp(0);
    const tomorrow = T0 + DAY;
    const words = createRecoveryWords();
    const recovery = await recoveryDevice(words, { backend: phone.suite.name });
    // A legacy account: its entries dated tomorrow.
    server.push(makeAdd(phone, server.state!, deviceKeys(recovery), signConsent(recovery, server.state!.accountId), { role: 'recovery', now: tomorrow }));
    const joining = await DeviceChain.fetch(phone.suite, server, { accountId: server.state!.accountId, self: laptop.id, clock: () => T0 });
    expect(joining.length).toBe(2);
    // The recovery key adds a thief, who signs "from the future", after the delay.
    const thief = await Device.generate();
    server.push(makeAdd(recovery, server.state!, deviceKeys(thief), signConsent(thief, server.state!.accountId), { now: tomorrow }));
    const effectiveAt = server.state!.devices.get([...server.state!.devices.keys()].at(-1)!)!.effectiveAt;
    server.push(makeRemove(thief, server.state!, phone.id, EMPTY_LOG, effectiveAt));
    await expect(DeviceChain.fetch(phone.suite, server, { accountId: server.state!.accountId, self: laptop.id, clock: () => T0 })).rejects.toMatchObject({
      code: 'FORK_ALARM',
      reason: 'postdated',
    });
    recovery.wipe();
  });
});
