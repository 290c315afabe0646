import { describe, expect, it } from 'vitest';
import { Device, signAsProtocol } from '../../src/core/device.js';
import { decodeKeyStatement, KEY_STATEMENT_BYTES, makeKeyStatement, verifyKeyStatement } from '../../src/core/keyStatement.js';
import { BACKENDS, makeDevices } from '../support/devices.js';
import { codeOf } from '../support/codeOf.js';

describe.each(BACKENDS)('key statements and epoch keys on the %s backend', (backend) => {
  it("a new device starts at epoch 0 with a statement signed by its identity key", async () => {
    const [d, other] = await makeDevices(2, backend);
    const s = d!.epochs.current!.statement;
    expect(s.bytes).toHaveLength(KEY_STATEMENT_BYTES);
    expect(s.epoch).toBe(0);
    expect(s.deviceId).toEqual(d!.id);
    expect(verifyKeyStatement(d!.suite, decodeKeyStatement(s.bytes), d!.public)).toBeTruthy();
    expect(codeOf(() => verifyKeyStatement(d!.suite, s, other!.public))).toBe('KEY_STATEMENT_INVALID');
    const flipped = s.bytes.slice();
    flipped[30] = flipped[30]! ^ 1;
    expect(codeOf(() => verifyKeyStatement(d!.suite, decodeKeyStatement(flipped), d!.public))).toBe('KEY_STATEMENT_INVALID');
    expect(codeOf(() => decodeKeyStatement(s.bytes.subarray(1)))).toBe('KEY_STATEMENT_MALFORMED');
  });

  it('refuses a statement whose X-Wing key cannot be encapsulated to, even when signed', async () => {
    const [d] = await makeDevices(1, backend);
    const s = makeKeyStatement(d!, 3, new Uint8Array(32).fill(4));
    const bytes = s.bytes.slice();
    bytes.fill(0xff, 21, 24); // an ML-KEM coefficient of 4095
    // Re-sign the damaged key so only the key check can refuse it.
    const resigned = bytes.slice();
    resigned.set(signAsProtocol(d!, 'multikey-sync/v2/key-statement', bytes.subarray(0, KEY_STATEMENT_BYTES - 64)), KEY_STATEMENT_BYTES - 64);
    expect(codeOf(() => verifyKeyStatement(d!.suite, decodeKeyStatement(resigned), d!.public))).toBe('KEY_STATEMENT_KEY_INVALID');
  });

  it('epochs advance by one, forget only ended epochs, and survive a save and restore', async () => {
    const d = await Device.generate({ backend, now: 1000 });
    const e1 = d.epochs.begin(d, new Uint8Array(32).fill(1), 2000);
    expect(e1.epoch).toBe(1);
    expect(d.epochs.get(0)!.endedAt).toBe(2000);
    expect(codeOf(() => d.epochs.forget(1))).toBe('EPOCH_CURRENT');
    const saved = d.epochs.toBytes();
    const restored = await Device.fromSecrets(d.exportSecrets(), { backend });
    expect(restored.epochs.current).toBeUndefined();
    restored.epochs.restore(restored, saved);
    expect(restored.epochs.all().map((e) => [e.epoch, e.startedAt, e.endedAt])).toEqual([[0, 1000, 2000], [1, 2000, undefined]]);
    const seed = d.epochs.get(0)!.seed;
    expect(d.epochs.forget(0)).toBe(true);
    expect(seed.every((b) => b === 0)).toBe(true);
    expect(d.epochs.get(0)).toBeUndefined();
    // Another device's saved epochs do not restore here.
    const [other] = await makeDevices(1, backend);
    expect(codeOf(() => restored.epochs.restore(restored, other!.epochs.toBytes()))).toBe('EPOCH_KEYS_MALFORMED');
  });

  it('a rotated device takes the epoch keys along; wiping the old object leaves them', async () => {
    const [d] = await makeDevices(1, backend);
    const statement = d!.epochs.current!.statement;
    const rotated = d!.rotateEncryptionKey();
    d!.wipe();
    expect(rotated.epochs.current!.statement).toBe(statement);
    expect(rotated.epochs.current!.seed.some((b) => b !== 0)).toBe(true);
  });
});
