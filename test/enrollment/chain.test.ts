import { describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { decodeEntry, encodeEntry, signEntry } from '../../src/enrollment/chainEntry.js';
import { createGenesis, makeAdd, makeRemove, makeRotate, makeVeto, signConsent } from '../../src/enrollment/chainOps.js';
import { activeDevices, activeDevice, applyEntry, genesisState, replayChain, type ChainState } from '../../src/enrollment/chainState.js';
import type { EncodedEntry } from '../../src/enrollment/chainEntry.js';

const T0 = 1_800_000_000_000;

async function account() {
  const phone = await Device.generate();
  const recovery = await Device.generate();
  const genesis = createGenesis(phone, { recovery: recovery.public, recoveryDelayMs: 1000, now: T0 });
  return { phone, recovery, genesis, state: genesisState(phone.suite, genesis) };
}

function apply(state: ChainState, entry: EncodedEntry): ChainState {
  return applyEntry(stateSuite, state, entry);
}
let stateSuite: Device['suite'];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('device chain', () => {
  it('the account id is the hash of the genesis entry, and the first device and recovery key are active', async () => {
    const { phone, recovery, genesis, state } = await account();
    stateSuite = phone.suite;
    expect(state.accountId).toEqual(genesis.hash);
    expect(activeDevices(state, T0).map((d) => d.id)).toEqual([phone.id, recovery.id]);
    expect(state.devices.get(String.fromCharCode(...recovery.id))?.role).toBe('recovery');
    expect(decodeEntry(phone.suite, genesis.bytes).hash).toEqual(genesis.hash);
  });

  it('adds a device that consented, and replays to the same state', async () => {
    const { phone, genesis, state } = await account();
    stateSuite = phone.suite;
    const laptop = await Device.generate();
    const add = makeAdd(phone, state, laptop.public, signConsent(laptop, state.accountId), { now: T0 + 1 });
    const after = apply(state, add);
    expect(activeDevice(after, laptop.id, T0 + 1)?.card).toEqual(laptop.public);
    const replayed = replayChain(phone.suite, [genesis.bytes, add.bytes]);
    expect(replayed.head).toEqual(after.head);
    expect(replayed.length).toBe(2);
  });

  it('rejects an add without the new device\'s consent, or with consent for another account', async () => {
    const { phone, state } = await account();
    stateSuite = phone.suite;
    const laptop = await Device.generate();
    const other = await account();
    const add = makeAdd(phone, state, laptop.public, signConsent(laptop, other.state.accountId));
    expect(codeOf(() => apply(state, add))).toBe('CHAIN_CONSENT_INVALID');
  });

  it('rejects a ghost device signed by a key that is not on the list', async () => {
    const { phone, state } = await account();
    stateSuite = phone.suite;
    const server = await Device.generate();
    const ghost = await Device.generate();
    const add = makeAdd(server, state, ghost.public, signConsent(ghost, state.accountId));
    expect(codeOf(() => apply(state, add))).toBe('CHAIN_SIGNER_NOT_ACTIVE');
  });

  it('rejects entries that do not extend the head, and altered signatures', async () => {
    const { phone, state } = await account();
    stateSuite = phone.suite;
    const laptop = await Device.generate();
    const add = makeAdd(phone, state, laptop.public, signConsent(laptop, state.accountId));
    const after = apply(state, add);
    expect(codeOf(() => apply(after, add))).toBe('CHAIN_BROKEN_LINK');
    const forged = encodeEntry(phone.suite, { ...add.entry, ts: add.entry.ts + 1 });
    expect(codeOf(() => apply(state, forged))).toBe('CHAIN_SIGNATURE_INVALID');
  });

  it('a removed device cannot sign, and cannot come back', async () => {
    const { phone, state } = await account();
    stateSuite = phone.suite;
    const tablet = await Device.generate();
    let s = apply(state, makeAdd(phone, state, tablet.public, signConsent(tablet, state.accountId)));
    s = apply(s, makeRemove(phone, s, tablet.id));
    expect(activeDevice(s, tablet.id, Date.now())).toBeUndefined();
    expect(codeOf(() => apply(s, makeRemove(tablet, s, phone.id)))).toBe('CHAIN_SIGNER_NOT_ACTIVE');
    expect(codeOf(() => apply(s, makeAdd(phone, s, tablet.public, signConsent(tablet, s.accountId))))).toBe('CHAIN_DEVICE_REMOVED');
  });

  it('a device rotates its own encryption key only', async () => {
    const { phone, state } = await account();
    stateSuite = phone.suite;
    const rotated = phone.rotateEncryptionKey();
    const s = apply(state, makeRotate(rotated, state));
    expect(activeDevice(s, phone.id, Date.now())?.card.encryptionKey).toEqual(rotated.public.encryptionKey);
    const other = await Device.generate();
    const bogus = signEntry(phone, state.accountId, { v: 1, t: 'rotate', i: 1, prev: state.head, ts: T0, by: phone.id, dev: (await import('../../src/core/devicePublic.js')).encodeDevicePublic(other.public) });
    expect(codeOf(() => apply(state, bogus))).toBe('CHAIN_TARGET_INVALID');
  });

  it('a recovery add waits out the delay and can be vetoed meanwhile', async () => {
    const { phone, recovery, state } = await account();
    stateSuite = phone.suite;
    const newPhone = await Device.generate();
    const add = makeAdd(recovery, state, newPhone.public, signConsent(newPhone, state.accountId), { now: T0 + 10 });
    const pending = apply(state, add);
    expect(activeDevice(pending, newPhone.id, T0 + 500)).toBeUndefined();
    expect(activeDevice(pending, newPhone.id, T0 + 1010)?.card).toEqual(newPhone.public);
    // The recovery key may only add.
    expect(codeOf(() => apply(state, makeRemove(recovery, state, phone.id, T0 + 10)))).toBe('CHAIN_SIGNER_NOT_ACTIVE');
    const vetoed = apply(pending, makeVeto(phone, pending, add.hash, T0 + 20));
    expect(activeDevice(vetoed, newPhone.id, T0 + 5000)).toBeUndefined();
    // Too late to veto once it took effect.
    expect(codeOf(() => apply(pending, makeVeto(phone, pending, add.hash, T0 + 2000)))).toBe('CHAIN_TARGET_INVALID');
  });

  it('rejects malformed and non-canonical entry bytes with a typed error', async () => {
    const { phone, genesis } = await account();
    expect(codeOf(() => decodeEntry(phone.suite, new Uint8Array([1, 2, 3])))).toMatch(/^CBOR_|CHAIN_ENTRY_MALFORMED/);
    expect(codeOf(() => decodeEntry(phone.suite, genesis.bytes.subarray(0, 40)))).toMatch(/^CBOR_/);
    expect(codeOf(() => replayChain(phone.suite, []))).toBe('CHAIN_GENESIS_INVALID');
  });
});
