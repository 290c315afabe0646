/** Malformed arguments are refused with INVALID_ARGUMENT before anything happens. */
import { describe, expect, it } from 'vitest';
import type { EnvelopeInput, LogAppend, LogCut } from '../../../src/storage/index.js';
import { MAX_CHECKPOINT_BYTES } from '../../../src/storage/index.js';
import { bytes, chainEntry, envelope, expectCode, logChain, newAccount, snapshot, useStore, type MakeStore } from '../fixtures.js';

export function validationSuite(makeStore: MakeStore): void {
  describe('argument validation', () => {
    const store = useStore(makeStore);

    it('refuses wrong byte lengths and types for ids and hashes', async () => {
      const s = store();
      const id = await newAccount(s);
      const head = await s.chainHead(id);
      const cases: Array<() => Promise<unknown>> = [
        () => s.createAccount(bytes(31), chainEntry(0)),
        () => s.createAccount(bytes(33), chainEntry(0)),
        () => s.createAccount(bytes(32), { index: 0, hash: bytes(31), bytes: bytes(4) }),
        () => s.createAccount(bytes(32), { index: 0, hash: bytes(32), bytes: new Uint8Array(0) }),
        () => s.hasAccount(Array.from(bytes(32)) as unknown as Uint8Array),
        () => s.chainHead(bytes(16)),
        () => s.appendChain(id, bytes(31), chainEntry(1)),
        () => s.appendChain(id, head.hash, { index: 1, hash: bytes(33), bytes: bytes(4) }),
        () => s.appendChain(id, head.hash, { index: -1, hash: bytes(32), bytes: bytes(4) }),
        () => s.readChain(id, -1, 10),
        () => s.readChain(id, 0, 0),
        () => s.pullEnvelopes(id, 0, 0),
        () => s.pullEnvelopes(id, 0, 10_001),
        () => s.pullEnvelopes(id, -1, 10),
        () => s.pullEnvelopes(id, 0.5, 10),
        () => s.collectExpired(-1),
        () => s.usage(bytes(0)),
      ];
      for (const call of cases) await expectCode(call(), 'INVALID_ARGUMENT');
    });

    it('refuses malformed envelope headers', async () => {
      const s = store();
      const id = await newAccount(s);
      const bad: Array<Partial<Record<keyof EnvelopeInput, unknown>>> = [
        { recordId: bytes(15) },
        { recordId: bytes(17) },
        { sender: bytes(15) },
        { sender: 'device' },
        { revision: -1 },
        { revision: 2 ** 32 },
        { revision: 1.5 },
        { revision: Number.NaN },
        { kind: 'deleted' },
        { expiryDay: -1 },
        { expiryDay: 2 ** 31 },
        { bytes: new Uint8Array(0) },
        { bytes: 'ciphertext' },
      ];
      for (const override of bad) {
        await expectCode(s.putEnvelopes(id, [envelope(override as Partial<EnvelopeInput>)]), 'INVALID_ARGUMENT');
      }
      await expectCode(s.putEnvelopes(id, 'nope' as unknown as EnvelopeInput[]), 'INVALID_ARGUMENT');
    });

    it('refuses malformed checkpoints, before anything is stored', async () => {
      const s = store();
      const id = await newAccount(s);
      const device = bytes(16);
      const [first, second] = logChain(device, 2) as [LogAppend, LogAppend];
      const bad: unknown[] = [
        null,
        'checkpoint',
        { ...first, device: bytes(15) },
        { ...first, device: bytes(17) },
        { ...first, position: 0 },
        { ...first, position: -1 },
        { ...first, position: 2 ** 32 },
        { ...first, position: 1.5 },
        { ...first, position: '1' },
        { ...first, prevHash: bytes(31) },
        { ...first, prevHash: Uint8Array.of(...new Uint8Array(31), 1) }, // position 1 names no predecessor
        { ...second, prevHash: undefined },
        { ...first, hash: bytes(33) },
        { ...first, hash: null },
        { ...first, bytes: new Uint8Array(0) },
        { ...first, bytes: new Uint8Array(MAX_CHECKPOINT_BYTES + 1) },
        { ...first, bytes: Array.from(first.bytes) },
      ];
      const before = await snapshot(s, id, [device]);
      for (const log of bad) {
        await expectCode(s.putEnvelopes(id, [envelope()], log as LogAppend), 'INVALID_ARGUMENT');
        await expectCode(s.purgeEnvelopes(id, [], log as LogAppend), 'INVALID_ARGUMENT');
      }
      // A checkpoint at the last position is well formed (and, here, a conflict).
      await expectCode(s.putEnvelopes(id, [], { ...second, position: 2 ** 32 - 1 }), 'LOG_CONFLICT');
      expect(await snapshot(s, id, [device])).toEqual(before);
    });

    it('refuses malformed log cuts and log head queries', async () => {
      const s = store();
      const id = await newAccount(s);
      const head = await s.chainHead(id);
      const device = bytes(16);
      const bad: unknown[] = [
        null,
        { device: bytes(15), position: 0, hash: null },
        { device, position: -1, hash: null },
        { device, position: 2 ** 32, hash: bytes(32) },
        { device, position: 0.5, hash: null },
        { device, position: 0, hash: bytes(32) }, // no checkpoint has no hash
        { device, position: 0 }, // hash must be null, not absent
        { device, position: 1, hash: null },
        { device, position: 1, hash: bytes(31) },
      ];
      for (const cut of bad) {
        await expectCode(s.appendChain(id, head.hash, chainEntry(1), cut as LogCut), 'INVALID_ARGUMENT');
      }
      await expectCode(s.logHead(id, bytes(15)), 'INVALID_ARGUMENT');
      await expectCode(s.logHead(id, 'device' as unknown as Uint8Array), 'INVALID_ARGUMENT');
      await expectCode(s.logHead(bytes(31), device), 'INVALID_ARGUMENT');
      expect(await s.readChain(id, 0, 10)).toEqual([head]);
      // The largest position is well formed (and, here, stale).
      await expectCode(s.appendChain(id, head.hash, chainEntry(1), { device, position: 2 ** 32 - 1, hash: bytes(32) }), 'LOG_CUT_STALE');
    });
  });
}
