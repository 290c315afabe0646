/**
 * Log cuts: a chain append (a `remove` or `rotate`) that names a device's exact log head, in
 * the same transaction as the compare-and-swap, so no push of that device slips in between.
 */
import { describe, expect, it } from 'vitest';
import type { LogAppend, LogCut } from '../../../src/storage/index.js';
import { bytes, chainEntry, envelope, expectCode, logChain, newAccount, snapshot, useStore, type MakeStore } from '../fixtures.js';

export function logCutSuite(makeStore: MakeStore): void {
  describe('log cuts', () => {
    const store = useStore(makeStore);

    it('an append whose cut names the exact head succeeds', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2] = logChain(device, 2) as [LogAppend, LogAppend];
      await store().putEnvelopes(id, [envelope({ sender: device })], c1);
      await store().putEnvelopes(id, [], c2);
      const head = await store().chainHead(id);
      const entry = chainEntry(1);
      await store().appendChain(id, head.hash, entry, { device, position: 2, hash: c2.hash });
      expect(await store().chainHead(id)).toEqual(entry);
    });

    it('a stale cut is LOG_CUT_STALE and writes nothing', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2] = logChain(device, 2) as [LogAppend, LogAppend];
      await store().putEnvelopes(id, [], c1);
      await store().putEnvelopes(id, [], c2);
      const before = await snapshot(store(), id, [device]);
      const head = await store().chainHead(id);
      const stale: LogCut[] = [
        { device, position: 1, hash: c1.hash }, // an older checkpoint
        { device, position: 2, hash: c1.hash }, // the head's position, another hash
        { device, position: 3, hash: c2.hash }, // past the head
        { device, position: 0, hash: null }, // "never wrote", but it did
        { device: bytes(16), position: 2, hash: c2.hash }, // another device's log
      ];
      for (const cut of stale) await expectCode(store().appendChain(id, head.hash, chainEntry(1), cut), 'LOG_CUT_STALE');
      expect(await snapshot(store(), id, [device])).toEqual(before);
    });

    it('a device that never wrote is cut at position 0 with no hash, and only so', async () => {
      const id = await newAccount(store());
      const silent = bytes(16);
      const other = bytes(16);
      await store().putEnvelopes(id, [], logChain(other, 1)[0]);
      const head = await store().chainHead(id);
      const before = await snapshot(store(), id, [silent, other]);
      await expectCode(store().appendChain(id, head.hash, chainEntry(1), { device: silent, position: 1, hash: bytes(32) }), 'LOG_CUT_STALE');
      expect(await snapshot(store(), id, [silent, other])).toEqual(before);
      const entry = chainEntry(1);
      await store().appendChain(id, head.hash, entry, { device: silent, position: 0, hash: null });
      expect(await store().chainHead(id)).toEqual(entry);
    });

    it('when the chain head and the cut are both stale, the answer is CHAIN_CONFLICT', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const genesis = await store().chainHead(id);
      await store().appendChain(id, genesis.hash, chainEntry(1));
      await store().putEnvelopes(id, [], logChain(device, 1)[0]);
      const before = await snapshot(store(), id, [device]);
      await expectCode(store().appendChain(id, genesis.hash, chainEntry(1), { device, position: 0, hash: null }), 'CHAIN_CONFLICT');
      await expectCode(store().appendChain(id, genesis.hash, chainEntry(2), { device, position: 0, hash: null }), 'CHAIN_CONFLICT');
      expect(await snapshot(store(), id, [device])).toEqual(before);
    });

    it('a push racing a cut: either the push lands first and the cut is stale, or the cut lands and the push after it', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const log = logChain(device, 8);
      await store().putEnvelopes(id, [], log[0]);
      for (let i = 1; i < log.length; i += 1) {
        const previous = log[i - 1] as LogAppend;
        const chain = await store().chainHead(id);
        const entry = chainEntry(chain.index + 1);
        const [push, append] = await Promise.allSettled([
          store().putEnvelopes(id, [envelope({ sender: device })], log[i]),
          store().appendChain(id, chain.hash, entry, { device, position: previous.position, hash: previous.hash }),
        ]);
        // The store does not refuse pushes after a cut (the server does): the push always lands.
        expect(push.status).toBe('fulfilled');
        if (append.status === 'rejected') expect(append.reason.code).toBe('LOG_CUT_STALE');
        else expect(await store().chainHead(id)).toEqual(entry);
      }
      expect(await store().logHead(id, device)).toMatchObject({ position: 8 });
    });

    it('an append without a cut ignores logs', async () => {
      const id = await newAccount(store());
      await store().putEnvelopes(id, [], logChain(bytes(16), 1)[0]);
      const head = await store().chainHead(id);
      await store().appendChain(id, head.hash, chainEntry(1));
      expect((await store().chainHead(id)).index).toBe(1);
    });
  });
}
