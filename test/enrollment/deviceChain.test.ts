import { describe, expect, it } from 'vitest';
import { RemoteError } from '../../src/errors.js';
import { Device } from '../../src/core/device.js';
import { encodeCanonical } from '../../src/core/cbor.js';
import { createGenesis, deviceKeys, makeAdd, makeRemove, makeRotate, signConsent } from '../../src/enrollment/chainOps.js';
import { EMPTY_LOG } from '../../src/enrollment/logCut.js';
import { DeviceChain } from '../../src/enrollment/deviceChain.js';
import { ForkAlarm } from '../../src/enrollment/forkAlarm.js';
import type { ChainEvent } from '../../src/enrollment/chainEvent.js';
import { MemoryTransport } from '../support/memoryTransport.js';

const T0 = 1_800_000_000_000;
const MIN = 60_000;

async function setUp() {
  let now = T0;
  const clock = () => now;
  const phone = await Device.generate();
  const laptop = await Device.generate();
  const server = new MemoryTransport(phone.suite);
  const genesis = createGenesis(phone, { now });
  await server.createAccount(genesis.bytes);
  const chain = DeviceChain.fromGenesis(phone.suite, genesis, { self: phone.id, clock });
  const addLaptop = () => makeAdd(phone, server.state!, deviceKeys(laptop), signConsent(laptop, server.state!.accountId), { now });
  return { phone, laptop, server, chain, clock, advance: (ms: number) => (now += ms), addLaptop };
}

async function alarmOf(promise: Promise<unknown>): Promise<ForkAlarm> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ForkAlarm);
  return error as ForkAlarm;
}

describe('DeviceChain', () => {
  it('refresh verifies new entries and returns one event each; a saved chain restores with its memory', async () => {
    const { phone, laptop, server, chain, addLaptop } = await setUp();
    server.push(addLaptop());
    const heard: ChainEvent[] = [];
    chain.subscribe((e) => heard.push(e));
    chain.subscribe(() => {
      throw new Error('a listener that fails changes nothing');
    });
    const events = await chain.refresh(server);
    expect(events).toEqual(heard);
    expect(events).toMatchObject([{ type: 'device-added', role: 'device', index: 1, ts: T0 }]);
    expect(events[0]!.by).toEqual(phone.id);
    expect(chain.activeDevices().map((d) => d.id)).toEqual([phone.id, laptop.id]);
    expect(await chain.refresh(server)).toEqual([]);

    const restored = DeviceChain.fromBytes(phone.suite, chain.toBytes());
    expect(restored.head).toEqual(chain.head);
    expect(restored.self).toEqual(phone.id);
    expect(restored.verifiedAt).toBe(chain.verifiedAt);
    expect(restored.forkAlarm).toBeUndefined();
  });

  it('a shorter chain is a rollback, a different one a divergence, and the alarm sticks until acknowledged', async () => {
    const { server, chain, addLaptop } = await setUp();
    server.push(addLaptop());
    await chain.refresh(server);
    server.lie = () => ({ entries: [], head: server.entries[0]!.hash, length: 1 });
    expect((await alarmOf(chain.refresh(server))).reason).toBe('rollback');
    server.lie = undefined;
    await expect(chain.refresh(server)).rejects.toMatchObject({ code: 'FORK_ALARM', reason: 'rollback' });
    expect(chain.forkAlarm).toBe('rollback');
    expect(DeviceChain.fromBytes(chain.suite, chain.toBytes()).forkAlarm).toBe('rollback');
    chain.acknowledgeFork();
    await expect(chain.refresh(server)).resolves.toEqual([]);

    server.lie = (page) => ({ ...page, head: new Uint8Array(32).fill(9) });
    expect((await alarmOf(chain.refresh(server))).reason).toBe('diverged');
    chain.acknowledgeFork();
    server.lie = (page) => ({ ...page, entries: [server.entries[0]!.bytes] });
    expect((await alarmOf(chain.refresh(server))).reason).toBe('diverged');
  });

  it('an entry that does not link to our head, or breaks a rule, raises an alarm and changes nothing', async () => {
    const { phone, laptop, server, chain, addLaptop } = await setUp();
    server.push(addLaptop());
    // A ghost: an entry that links to our head but is signed by a device not on the list.
    const ghost = makeRemove(laptop, chain.state, phone.id, EMPTY_LOG, T0);
    server.lie = (page) => ({ ...page, entries: [ghost.bytes], head: ghost.hash });
    const alarm = await alarmOf(chain.refresh(server));
    expect(alarm).toMatchObject({ reason: 'invalid-entry', cause: { code: 'CHAIN_SIGNER_NOT_ACTIVE' } });
    expect(chain.length).toBe(1);
    chain.acknowledgeFork();
    server.lie = (page) => ({ ...page, entries: [new Uint8Array([0xa0])] });
    expect((await alarmOf(chain.refresh(server))).reason).toBe('invalid-entry');
    chain.acknowledgeFork();
    server.lie = undefined;
    await chain.refresh(server);
    const stale = makeRotate(laptop.rotateEncryptionKey(), { ...chain.state, head: new Uint8Array(32).fill(1) }, EMPTY_LOG, T0);
    server.lie = () => ({ entries: [stale.bytes], head: stale.hash, length: 3 });
    expect((await alarmOf(chain.refresh(server))).reason).toBe('diverged');
    expect(chain.length).toBe(2);
  });

  it('an entry dated before our last refresh is backdated; one dated ahead of our clock is postdated', async () => {
    const { phone, laptop, server, chain, advance } = await setUp();
    advance(120 * MIN);
    await chain.refresh(server); // nothing new at T0 + 2h
    const backdated = makeAdd(phone, server.state!, deviceKeys(laptop), signConsent(laptop, server.state!.accountId), { now: T0 + 10 * MIN });
    server.push(backdated);
    expect((await alarmOf(chain.refresh(server))).reason).toBe('backdated');

    const fresh = await setUp();
    const future = makeAdd(fresh.phone, fresh.server.state!, deviceKeys(fresh.laptop), signConsent(fresh.laptop, fresh.server.state!.accountId), { now: T0 + 60 * MIN });
    fresh.server.push(future);
    expect((await alarmOf(fresh.chain.refresh(fresh.server))).reason).toBe('postdated');
    fresh.advance(45 * MIN); // now only 15 minutes ahead: within the tolerance
    fresh.chain.acknowledgeFork();
    await expect(fresh.chain.refresh(fresh.server)).resolves.toHaveLength(1);
  });

  it('checkHead passes known heads without the network and raises unknown-head for heads nobody shows', async () => {
    const { server, chain, addLaptop } = await setUp();
    const genesisHead = chain.head;
    server.push(addLaptop());
    const reads = { n: 0 };
    const counting = { ...server, readChain: (from?: number) => (reads.n++, server.readChain(from)) } as unknown as MemoryTransport;
    await expect(chain.checkHead(genesisHead, counting)).resolves.toEqual([]);
    expect(reads.n).toBe(0);
    await expect(chain.checkHead(server.state!.head, counting)).resolves.toHaveLength(1);
    expect(chain.indexOf(server.state!.head)).toBe(1);
    expect((await alarmOf(chain.checkHead(new Uint8Array(32).fill(7), counting))).reason).toBe('unknown-head');
    await expect(chain.checkHead(new Uint8Array(31), server)).rejects.toMatchObject({ code: 'ARGUMENT_INVALID' });
  });

  it('append retries on conflict, learns a landed entry after a lost answer, and gives up when bounded', async () => {
    const { phone, laptop, server, chain, addLaptop } = await setUp();
    server.push(addLaptop()); // the chain does not know yet: its first try conflicts
    const rotated = phone.rotateEncryptionKey();
    const result = await chain.append(server, (state) => makeRotate(rotated, state, EMPTY_LOG, T0));
    expect(result.events.map((e) => e.type)).toEqual(['device-added', 'key-rotated']);
    expect(server.appends).toBe(2);

    server.loseNextAnswer = true;
    const removed = await chain.append(server, (state) => makeRemove(phone, state, laptop.id, EMPTY_LOG, T0));
    expect(removed.entry).not.toBeNull();
    expect(removed.events.map((e) => e.type)).toEqual(['device-removed']);
    expect(chain.head).toEqual(server.state!.head);

    server.alwaysConflict = true;
    const tries = server.appends;
    await expect(chain.append(server, (state) => makeRotate(rotated.rotateEncryptionKey(), state, EMPTY_LOG, T0), { attempts: 3 })).rejects.toMatchObject({
      code: 'CHAIN_CONFLICT',
    });
    expect(server.appends - tries).toBe(3);
  });

  it('append checks the entry before sending it, and refuses an acknowledgement of another head', async () => {
    const { phone, laptop, server, chain } = await setUp();
    await expect(chain.append(server, (state) => makeRemove(phone, state, laptop.id, EMPTY_LOG, T0))).rejects.toMatchObject({ code: 'CHAIN_TARGET_INVALID' });
    expect(server.appends).toBe(0);
    await expect(chain.append(server, () => null)).resolves.toEqual({ entry: null, events: [] });
    server.ackHead = new Uint8Array(32);
    const rotated = phone.rotateEncryptionKey();
    expect((await alarmOf(chain.append(server, (state) => makeRotate(rotated, state, EMPTY_LOG, T0)))).reason).toBe('diverged');
  });

  it('refreshes and appends on one chain run one at a time', async () => {
    const { phone, server, chain, addLaptop } = await setUp();
    server.push(addLaptop());
    const rotated = phone.rotateEncryptionKey();
    const [events, appended] = await Promise.all([chain.refresh(server), chain.append(server, (state) => makeRotate(rotated, state, EMPTY_LOG, T0))]);
    expect(events).toHaveLength(1);
    expect(appended.events.map((e) => e.type)).toEqual(['key-rotated']);
    expect(server.appends).toBe(1);
  });

  it('fetch verifies a whole chain for a joining device and refuses another account\'s', async () => {
    const { phone, laptop, server, addLaptop } = await setUp();
    server.push(addLaptop());
    const joined = await DeviceChain.fetch(laptop.suite, server, { accountId: server.state!.accountId, self: laptop.id, clock: () => T0 });
    expect(joined.length).toBe(2);
    expect(joined.entries).toHaveLength(2);
    const other = await setUp();
    const alarm = await alarmOf(DeviceChain.fetch(laptop.suite, other.server, { accountId: server.state!.accountId, self: laptop.id, clock: () => T0 }));
    expect(alarm.reason).toBe('diverged');
    expect(joined.self).not.toEqual(phone.id);
  });

  it('a damaged saved chain is refused', async () => {
    const { phone, chain, server, addLaptop } = await setUp();
    server.push(addLaptop());
    await chain.refresh(server);
    const bytes = chain.toBytes();
    for (const bad of [bytes.slice(0, -3), new Uint8Array([0xa0]), encodeCanonical({ v: 1, self: phone.id, at: 0, e: [] })]) {
      expect(() => DeviceChain.fromBytes(phone.suite, bad)).toThrowError(expect.objectContaining({ code: 'DEVICE_CHAIN_MALFORMED' }));
    }
    // Entries in the wrong order do not replay.
    const reordered = encodeCanonical({ v: 1, self: phone.id, at: 0, e: [...chain.entries].reverse() });
    expect(() => DeviceChain.fromBytes(phone.suite, reordered)).toThrowError(expect.objectContaining({ code: 'DEVICE_CHAIN_MALFORMED' }));
    expect(() => DeviceChain.fromEntries(phone.suite, chain.entries, { self: new Uint8Array(3) })).toThrowError(
      expect.objectContaining({ code: 'ARGUMENT_INVALID' }),
    );
  });

  it('transport errors other than conflicts pass through unchanged', async () => {
    const { phone, server, chain } = await setUp();
    const refusing = { ...server, appendChain: async () => Promise.reject(new RemoteError('DEVICE_REVOKED', 'gone', 403)) } as unknown as MemoryTransport;
    await expect(chain.append(refusing, (state) => makeRotate(phone.rotateEncryptionKey(), state, EMPTY_LOG, T0))).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });
    expect(chain.forkAlarm).toBeUndefined();
  });
});
