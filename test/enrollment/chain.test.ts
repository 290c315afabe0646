import { beforeAll, describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { encodeDevicePublic } from '../../src/core/devicePublic.js';
import { makeKeyStatement } from '../../src/core/keyStatement.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { decodeEntry, encodeEntry, signEntry, type ChainEntry, type EncodedEntry } from '../../src/enrollment/chainEntry.js';
import { createGenesis, deviceKeys, makeAdd, makeRemove, makeRotate, makeVeto, signConsent } from '../../src/enrollment/chainOps.js';
import {
  activeDevice,
  activeDevices,
  applyEntry,
  cardAtPosition,
  genesisState,
  MIN_RECOVERY_DELAY_MS,
  replayChain,
  type ChainState,
} from '../../src/enrollment/chainState.js';
import { EMPTY_LOG } from '../../src/enrollment/logCut.js';

const T0 = 1_800_000_000_000;
const DELAY = MIN_RECOVERY_DELAY_MS;
let suite: CryptoProvider;

beforeAll(async () => {
  suite = (await Device.generate()).suite;
});

async function account() {
  const phone = await Device.generate();
  const recovery = await Device.generate();
  const genesis = createGenesis(phone, { recovery: deviceKeys(recovery), recoveryDelayMs: DELAY, now: T0 });
  return { phone, recovery, genesis, state: genesisState(phone.suite, genesis) };
}

/** `state` with `joiner` added by `approver` (a real device: active at once). */
function add(state: ChainState, approver: Device, joiner: Device, now = T0): ChainState {
  return apply(state, makeAdd(approver, state, deviceKeys(joiner), signConsent(joiner, state.accountId), { now }));
}

function apply(state: ChainState, entry: EncodedEntry): ChainState {
  return applyEntry(suite, state, entry);
}

/** An entry on `state` signed by `signer` with exactly `fields` (for entries the builders refuse to make). */
function raw(signer: Device, state: ChainState, fields: Partial<ChainEntry>): EncodedEntry {
  return signEntry(signer, state.accountId, { v: 2, i: state.length, prev: state.head, ts: T0, by: signer.id, ...fields } as Omit<ChainEntry, 'sig'>);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

const cut = (position: number) => ({ position, hash: new Uint8Array(32).fill(position) });

describe('device chain', () => {
  it('the account id is the hash of the genesis entry, and the first device and recovery key are active', async () => {
    const { phone, recovery, genesis, state } = await account();
    expect(state.accountId).toEqual(genesis.hash);
    expect(activeDevices(state, T0).map((d) => d.id)).toEqual([phone.id, recovery.id]);
    expect(state.devices.get(String.fromCharCode(...recovery.id))?.role).toBe('recovery');
    expect(decodeEntry(phone.suite, genesis.bytes).hash).toEqual(genesis.hash);
    expect(genesis.entry.v).toBe(2);
  });

  it('adds a device that consented, and replays to the same state', async () => {
    const { phone, genesis, state } = await account();
    const laptop = await Device.generate();
    const entry = makeAdd(phone, state, deviceKeys(laptop), signConsent(laptop, state.accountId), { now: T0 + 1 });
    const after = apply(state, entry);
    expect(activeDevice(after, laptop.id, T0 + 1)?.card).toEqual(laptop.public);
    const replayed = replayChain(phone.suite, [genesis.bytes, entry.bytes]);
    expect(replayed.head).toEqual(after.head);
    expect(replayed.length).toBe(2);
  });

  it("every device enters with its epoch-0 key statement, which the replayed state keeps", async () => {
    const { phone, recovery, state } = await account();
    const laptop = await Device.generate();
    const after = add(state, phone, laptop);
    for (const d of [phone, recovery, laptop]) {
      const listed = activeDevice(after, d.id, T0)!;
      expect(listed.keyStatement.bytes).toEqual(d.epochs.get(0)!.statement.bytes);
      expect(listed.keyStatement.epoch).toBe(0);
      expect(listed.rotations).toEqual([]);
    }
  });

  it("refuses an add whose key statement is missing, another device's, of another epoch, or altered", async () => {
    const { phone, state } = await account();
    const laptop = await Device.generate();
    const tablet = await Device.generate();
    const consent = signConsent(laptop, state.accountId);
    const base = { t: 'add' as const, dev: encodeDevicePublic(laptop.public), ok: consent };
    const epoch1 = makeKeyStatement(laptop, 1, new Uint8Array(32).fill(3)).bytes;
    const altered = laptop.epochs.get(0)!.statement.bytes.slice();
    altered[100]! ^= 1;
    for (const xk of [undefined, tablet.epochs.get(0)!.statement.bytes, epoch1, altered]) {
      expect(codeOf(() => apply(state, raw(phone, state, xk === undefined ? base : { ...base, xk })))).toBe('CHAIN_KEY_STATEMENT_INVALID');
    }
    const genesisWithout = signEntry(phone, undefined, { v: 2, t: 'genesis', i: 0, ts: T0, dev: encodeDevicePublic(phone.public) });
    expect(codeOf(() => genesisState(suite, genesisWithout))).toBe('CHAIN_KEY_STATEMENT_INVALID');
  });

  it('rejects an add without the new device\'s consent, or with consent for another account', async () => {
    const { phone, state } = await account();
    const laptop = await Device.generate();
    const other = await account();
    const entry = makeAdd(phone, state, deviceKeys(laptop), signConsent(laptop, other.state.accountId));
    expect(codeOf(() => apply(state, entry))).toBe('CHAIN_CONSENT_INVALID');
  });

  it('rejects a ghost device signed by a key that is not on the list', async () => {
    const { state } = await account();
    const server = await Device.generate();
    const ghost = await Device.generate();
    const entry = makeAdd(server, state, deviceKeys(ghost), signConsent(ghost, state.accountId));
    expect(codeOf(() => apply(state, entry))).toBe('CHAIN_SIGNER_NOT_ACTIVE');
  });

  it('rejects entries that do not extend the head, and altered signatures', async () => {
    const { phone, state } = await account();
    const laptop = await Device.generate();
    const entry = makeAdd(phone, state, deviceKeys(laptop), signConsent(laptop, state.accountId));
    const after = apply(state, entry);
    expect(codeOf(() => apply(after, entry))).toBe('CHAIN_BROKEN_LINK');
    const forged = encodeEntry(phone.suite, { ...entry.entry, ts: entry.entry.ts + 1 });
    expect(codeOf(() => apply(state, forged))).toBe('CHAIN_SIGNATURE_INVALID');
  });

  it('a removed device cannot sign, cannot come back, and is remembered with its cut', async () => {
    const { phone, state } = await account();
    const tablet = await Device.generate();
    let s = add(state, phone, tablet);
    s = apply(s, makeRemove(phone, s, tablet.id, cut(7)));
    expect(activeDevice(s, tablet.id, Date.now())).toBeUndefined();
    const gone = s.removedDevices.get(String.fromCharCode(...tablet.id))!;
    expect(gone).toMatchObject({ cut: { position: 7, hash: new Uint8Array(32).fill(7) }, removedAt: 2, vetoed: false, role: 'device' });
    expect(gone.card).toEqual(tablet.public);
    expect(codeOf(() => apply(s, makeRemove(tablet, s, phone.id, EMPTY_LOG)))).toBe('CHAIN_SIGNER_NOT_ACTIVE');
    expect(codeOf(() => apply(s, makeAdd(phone, s, deviceKeys(tablet), signConsent(tablet, s.accountId))))).toBe('CHAIN_DEVICE_REMOVED');
  });

  it('a remove names a log position, and its checkpoint hash exactly when the position is above 0', async () => {
    const { phone, state } = await account();
    const tablet = await Device.generate();
    const s = add(state, phone, tablet);
    const hash = new Uint8Array(32).fill(1);
    expect(codeOf(() => apply(s, raw(phone, s, { t: 'remove', tgt: tablet.id })))).toBe('CHAIN_ENTRY_INVALID');
    expect(codeOf(() => apply(s, raw(phone, s, { t: 'remove', tgt: tablet.id, lp: 3 })))).toBe('CHAIN_ENTRY_INVALID');
    expect(codeOf(() => apply(s, raw(phone, s, { t: 'remove', tgt: tablet.id, lp: 0, lh: hash })))).toBe('CHAIN_ENTRY_INVALID');
    expect(codeOf(() => apply(s, raw(phone, s, { t: 'remove', tgt: tablet.id, lp: 0, role: 'device' })))).toBe('CHAIN_ENTRY_INVALID');
    expect(apply(s, raw(phone, s, { t: 'remove', tgt: tablet.id, lp: 0 })).removedDevices.size).toBe(1);
    expect(() => makeRemove(phone, s, tablet.id, { position: 3, hash: null })).toThrowError(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
    expect(() => makeRemove(phone, s, tablet.id, { position: 2 ** 32, hash })).toThrowError(expect.objectContaining({ code: 'ARGUMENT_INVALID' }));
  });

  it('the account keeps an active real device: the last one cannot be removed, by itself or by anyone', async () => {
    const { phone, recovery, state } = await account();
    expect(codeOf(() => apply(state, makeRemove(phone, state, phone.id, EMPTY_LOG)))).toBe('CHAIN_LAST_DEVICE');
    // A pending recovery add does not count: it could never be vetoed then.
    const newPhone = await Device.generate();
    const pending = apply(state, makeAdd(recovery, state, deviceKeys(newPhone), signConsent(newPhone, state.accountId), { now: T0 }));
    expect(codeOf(() => apply(pending, makeRemove(phone, pending, phone.id, EMPTY_LOG, T0 + 1)))).toBe('CHAIN_LAST_DEVICE');
    // Removing the recovery device, or a device that leaves another real one, is fine; so is removing oneself.
    const laptop = await Device.generate();
    let s = add(state, phone, laptop);
    s = apply(s, makeRemove(phone, s, recovery.id, EMPTY_LOG));
    s = apply(s, makeRemove(phone, s, phone.id, cut(4)));
    expect([...s.devices.values()].map((d) => d.card.id)).toEqual([laptop.id]);
    expect(codeOf(() => apply(s, makeRemove(laptop, s, laptop.id, EMPTY_LOG)))).toBe('CHAIN_LAST_DEVICE');
  });

  it('a device rotates its own encryption key only, and its earlier cards stay attached to their log positions', async () => {
    const { phone, state } = await account();
    const statement0 = phone.epochs.get(0)!.statement.bytes;
    const rotated = phone.rotateEncryptionKey();
    let s = apply(state, makeRotate(rotated, state, cut(5)));
    expect(activeDevice(s, phone.id, T0)?.card.encryptionKey).toEqual(rotated.public.encryptionKey);
    const again = rotated.rotateEncryptionKey();
    s = apply(s, makeRotate(again, s, cut(9)));
    const listed = activeDevice(s, phone.id, T0)!;
    expect(listed.rotations.map((r) => [r.card, r.untilPosition])).toEqual([
      [phone.public, 5],
      [rotated.public, 9],
    ]);
    expect([1, 5, 6, 9, 10, 1000].map((p) => cardAtPosition(listed, p))).toEqual([
      phone.public,
      phone.public,
      rotated.public,
      rotated.public,
      again.public,
      again.public,
    ]);
    expect(listed.keyStatement.bytes).toEqual(statement0); // the identity, not the encryption key, signs statements
    // The log position never goes back: not in a later rotate, not in a remove.
    expect(codeOf(() => apply(s, makeRotate(again.rotateEncryptionKey(), s, cut(8))))).toBe('CHAIN_CUT_INVALID');
    const laptop = await Device.generate();
    const withLaptop = add(s, again, laptop);
    expect(codeOf(() => apply(withLaptop, makeRemove(laptop, withLaptop, phone.id, cut(8))))).toBe('CHAIN_CUT_INVALID');
    expect(apply(withLaptop, makeRemove(laptop, withLaptop, phone.id, cut(9))).removedDevices.size).toBe(1);

    const other = await Device.generate();
    const bogus = raw(phone, state, { t: 'rotate', dev: encodeDevicePublic(other.public), lp: 0 });
    expect(codeOf(() => apply(state, bogus))).toBe('CHAIN_TARGET_INVALID');
  });

  it('a recovery add waits out the delay and can be vetoed meanwhile, which voids its log', async () => {
    const { phone, recovery, state } = await account();
    const newPhone = await Device.generate();
    const entry = makeAdd(recovery, state, deviceKeys(newPhone), signConsent(newPhone, state.accountId), { now: T0 + 10 });
    const pending = apply(state, entry);
    expect(activeDevice(pending, newPhone.id, T0 + DELAY)).toBeUndefined();
    expect(activeDevice(pending, newPhone.id, T0 + DELAY + 10)?.card).toEqual(newPhone.public);
    // The recovery key may only add.
    expect(codeOf(() => apply(state, makeRemove(recovery, state, phone.id, EMPTY_LOG, T0 + 10)))).toBe('CHAIN_SIGNER_NOT_ACTIVE');
    const vetoed = apply(pending, makeVeto(phone, pending, entry.hash, T0 + 20));
    expect(activeDevice(vetoed, newPhone.id, T0 + 2 * DELAY)).toBeUndefined();
    expect(vetoed.removedDevices.get(String.fromCharCode(...newPhone.id))).toMatchObject({ vetoed: true, cut: { position: 0, hash: null }, removedAt: 2 });
    // Too late to veto once it took effect.
    expect(codeOf(() => apply(pending, makeVeto(phone, pending, entry.hash, T0 + DELAY + 10)))).toBe('CHAIN_TARGET_INVALID');
  });

  it('a recovery delay under 24 hours is refused when the account is made and when a chain is replayed', async () => {
    const phone = await Device.generate();
    for (const recoveryDelayMs of [0, 1000, DELAY - 1, 1.5 * DELAY + 0.5]) {
      expect(() => createGenesis(phone, { recoveryDelayMs, now: T0 })).toThrowError(expect.objectContaining({ code: 'RECOVERY_DELAY_TOO_SHORT' }));
    }
    const short = signEntry(phone, undefined, { v: 2, t: 'genesis', i: 0, ts: T0, dev: encodeDevicePublic(phone.public), xk: deviceKeys(phone).keyStatement.bytes, rd: DELAY - 1 });
    expect(codeOf(() => replayChain(suite, [short.bytes]))).toBe('CHAIN_RECOVERY_DELAY_TOO_SHORT');
    expect(replayChain(suite, [createGenesis(phone, { recoveryDelayMs: DELAY, now: T0 }).bytes]).recoveryDelayMs).toBe(DELAY);
  });

  it('rejects malformed and non-canonical entry bytes with a typed error', async () => {
    const { phone, genesis } = await account();
    expect(codeOf(() => decodeEntry(phone.suite, new Uint8Array([1, 2, 3])))).toMatch(/^CBOR_|CHAIN_ENTRY_MALFORMED/);
    expect(codeOf(() => decodeEntry(phone.suite, genesis.bytes.subarray(0, 40)))).toMatch(/^CBOR_/);
    expect(codeOf(() => replayChain(phone.suite, []))).toBe('CHAIN_GENESIS_INVALID');
    expect(codeOf(() => decodeEntry(phone.suite, new Uint8Array(4097)))).toBe('CHAIN_ENTRY_MALFORMED');
  });
});
