/** Malformed arguments are refused with INVALID_ARGUMENT before anything happens. */
import { describe, it } from 'vitest';
import type { EnvelopeInput } from '../../../src/storage/index.js';
import { bytes, chainEntry, envelope, expectCode, newAccount, useStore, type MakeStore } from '../fixtures.js';

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
  });
}
