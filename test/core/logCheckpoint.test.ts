import { describe, expect, it } from 'vitest';
import {
  checkpointHash,
  decodeCheckpoint,
  isCheckpoint,
  MAX_CHECKPOINT_BYTES,
  NO_PREVIOUS,
  signCheckpoint,
  verifyCheckpointSignature,
  type CheckpointFields,
} from '../../src/core/logCheckpoint.js';
import { isMultikeySyncError } from '../../src/errors.js';
import { ACCOUNT, BACKENDS, makeDevices } from '../support/devices.js';
import { codeOf } from '../support/codeOf.js';

const id = (n: number) => new Uint8Array(16).fill(n);
const h = (n: number) => new Uint8Array(32).fill(n);

describe.each(BACKENDS)('log checkpoints on the %s backend', (backend) => {
  async function sample(): Promise<{ fields: CheckpointFields; device: Awaited<ReturnType<typeof makeDevices>>[number] }> {
    const [device, peer] = await makeDevices(2, backend);
    const fields: CheckpointFields = {
      sender: device!.id,
      position: 2,
      prev: h(1),
      chainHead: h(2),
      time: 1_800_000_000_000,
      claims: [
        { recordId: id(3), revision: 7, kind: 'record', expiryDay: 20_100, hash: h(4) },
        { recordId: id(5), revision: 1, kind: 'tombstone', expiryDay: 0, hash: h(6) },
      ],
      purges: [{ recordId: id(7), upToRevision: 9 }],
      pairKeys: [{ recipient: peer!.id, epoch: 0, ciphertext: new Uint8Array(1120).fill(8) }],
      seen: [{ device: peer!.id, position: 4, hash: h(9) }],
      statement: device!.epochs.current!.statement.bytes,
      historyRequest: peer!.id,
    };
    return { fields, device: device! };
  }

  it('round-trips every section, signs once, and hashes its exact bytes in the account', async () => {
    const { fields, device } = await sample();
    const signed = signCheckpoint(device, ACCOUNT, fields);
    expect(isCheckpoint(signed.bytes)).toBe(true);
    expect(signed.bytes.length).toBe(103 + 16 + 1301 + 2 * 55 + 20 + 1140 + 52 + 64);
    const decoded = decodeCheckpoint(device.suite, ACCOUNT, signed.bytes);
    expect(decoded).toMatchObject({ ...fields, hash: signed.hash });
    expect(decoded.hash).toEqual(checkpointHash(device.suite, ACCOUNT, signed.bytes));
    expect(() => verifyCheckpointSignature(device.suite, ACCOUNT, decoded, device.public.identityKey)).not.toThrow();
  });

  it('a signature checks only in its own account, under its own key, over its exact bytes', async () => {
    const { fields, device } = await sample();
    const [other] = await makeDevices(1, backend);
    const signed = signCheckpoint(device, ACCOUNT, fields);
    const elsewhere = decodeCheckpoint(device.suite, new Uint8Array(32), signed.bytes);
    expect(codeOf(() => verifyCheckpointSignature(device.suite, new Uint8Array(32), elsewhere, device.public.identityKey))).toBe('LOG_CHECKPOINT_SIGNATURE_INVALID');
    expect(codeOf(() => verifyCheckpointSignature(device.suite, ACCOUNT, signed, other!.public.identityKey))).toBe('LOG_CHECKPOINT_SIGNATURE_INVALID');
    for (const at of [2, 20, 30, 60, 90, 95 + 10, 200, signed.bytes.length - 70, signed.bytes.length - 1]) {
      const bad = signed.bytes.slice();
      bad[at] = bad[at]! ^ 1;
      let decoded;
      try {
        decoded = decodeCheckpoint(device.suite, ACCOUNT, bad);
      } catch (e) {
        expect(isMultikeySyncError(e, 'LOG_CHECKPOINT_MALFORMED'), `byte ${at}`).toBe(true);
        continue;
      }
      expect(codeOf(() => verifyCheckpointSignature(device.suite, ACCOUNT, decoded, device.public.identityKey)), `byte ${at}`).toBe('LOG_CHECKPOINT_SIGNATURE_INVALID');
    }
  });

  it('refuses malformed bytes with LOG_CHECKPOINT_MALFORMED before any crypto', async () => {
    const { fields, device } = await sample();
    const good = signCheckpoint(device, ACCOUNT, fields).bytes;
    const withByte = (at: number, value: number) => {
      const b = good.slice();
      b[at] = value;
      return b;
    };
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['short', good.subarray(0, 150)],
      ['one byte too long', new Uint8Array([...good, 0])],
      ['not the magic', withByte(0, 0x02)],
      ['version 2', withByte(1, 2)],
      ['position 0', (() => { const b = good.slice(); b.fill(0, 18, 22); return b; })()],
      ['unknown flag', withByte(102, good[102]! | 0x04)],
      ['claim count off by one', withByte(95, good[95]! + 1)],
      ['unknown claim kind', withByte(103 + 16 + 1301 + 20, 2)],
      ['over the size limit', new Uint8Array(MAX_CHECKPOINT_BYTES + 1)],
    ];
    for (const [why, bytes] of cases) expect(codeOf(() => decodeCheckpoint(device.suite, ACCOUNT, bytes)), why).toBe('LOG_CHECKPOINT_MALFORMED');
  });

  it('refuses to sign what it could not decode', async () => {
    const { fields, device } = await sample();
    const bad = (patch: Partial<CheckpointFields>) => codeOf(() => signCheckpoint(device, ACCOUNT, { ...fields, ...patch }));
    expect(bad({ position: 0 })).toBe('LOG_CHECKPOINT_INPUT_INVALID');
    expect(bad({ position: 1 })).toBe('LOG_CHECKPOINT_INPUT_INVALID'); // a first checkpoint with a prev
    expect(signCheckpoint(device, ACCOUNT, { ...fields, position: 1, prev: NO_PREVIOUS }).position).toBe(1);
    expect(bad({ sender: id(1) })).toBe('LOG_CHECKPOINT_INPUT_INVALID');
    expect(bad({ seen: [{ device: device.id, position: 1, hash: h(1) }] })).toBe('LOG_CHECKPOINT_INPUT_INVALID');
    expect(bad({ purges: [{ recordId: id(1), upToRevision: 1 }, { recordId: id(1), upToRevision: 2 }] })).toBe('LOG_CHECKPOINT_INPUT_INVALID');
    expect(bad({ claims: [{ recordId: id(1), revision: -1, kind: 'record', expiryDay: 0, hash: h(1) }] })).toBe('LOG_CHECKPOINT_INPUT_INVALID');
    expect(bad({ statement: new Uint8Array(10) })).toBe('LOG_CHECKPOINT_INPUT_INVALID');
  });
});
