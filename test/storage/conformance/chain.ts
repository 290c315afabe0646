/** Accounts and the membership chain: creation, reads, compare-and-swap appends. */
import { describe, expect, it } from 'vitest';
import type { ChainEntryRow, Store } from '../../../src/storage/index.js';
import { bytes, chainEntry, expectCode, logChain, newAccount, useStore, type MakeStore } from '../fixtures.js';

async function appendMany(store: Store, account: Uint8Array, count: number): Promise<ChainEntryRow[]> {
  const entries = [await store.chainHead(account)];
  for (let i = 1; i <= count; i += 1) {
    const entry = chainEntry(i);
    await store.appendChain(account, (entries[i - 1] as ChainEntryRow).hash, entry);
    entries.push(entry);
  }
  return entries;
}

export function chainSuite(makeStore: MakeStore): void {
  describe('accounts and chain', () => {
    const store = useStore(makeStore);

    it('creates an account whose chain is its genesis entry', async () => {
      const id = bytes(32);
      const genesis = chainEntry(0);
      expect(await store().hasAccount(id)).toBe(false);
      await store().createAccount(id, genesis);
      expect(await store().hasAccount(id)).toBe(true);
      expect(await store().chainHead(id)).toEqual(genesis);
      expect(await store().readChain(id, 0, 10)).toEqual([genesis]);
      expect(await store().usage(id)).toEqual({ bytes: 0, envelopes: 0 });
    });

    it('refuses to create an account twice, and a genesis entry whose index is not 0', async () => {
      const id = await newAccount(store());
      await expectCode(store().createAccount(id, chainEntry(0)), 'ACCOUNT_EXISTS');
      await expectCode(store().createAccount(bytes(32), chainEntry(1)), 'INVALID_ARGUMENT');
    });

    it('two callers creating one account at once: one succeeds, one gets ACCOUNT_EXISTS', async () => {
      const id = bytes(32);
      const results = await Promise.allSettled([
        store().createAccount(id, chainEntry(0)),
        store().createAccount(id, chainEntry(0)),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect((rejected as PromiseRejectedResult).reason.code).toBe('ACCOUNT_EXISTS');
    });

    it('appends entries and reads them back in pages', async () => {
      const id = await newAccount(store());
      const entries = await appendMany(store(), id, 5);
      expect(await store().chainHead(id)).toEqual(entries[5]);
      expect(await store().readChain(id, 0, 100)).toEqual(entries);
      expect(await store().readChain(id, 2, 2)).toEqual(entries.slice(2, 4));
      expect(await store().readChain(id, 5, 10)).toEqual([entries[5]]);
      expect(await store().readChain(id, 6, 10)).toEqual([]);
    });

    it('rejects an append on a stale head or with a wrong index, leaving the chain as it was', async () => {
      const id = await newAccount(store());
      const [genesis, first] = await appendMany(store(), id, 1);
      await expectCode(store().appendChain(id, (genesis as ChainEntryRow).hash, chainEntry(2)), 'CHAIN_CONFLICT');
      await expectCode(store().appendChain(id, (genesis as ChainEntryRow).hash, chainEntry(1)), 'CHAIN_CONFLICT');
      await expectCode(store().appendChain(id, (first as ChainEntryRow).hash, chainEntry(3)), 'CHAIN_CONFLICT');
      await expectCode(store().appendChain(id, (first as ChainEntryRow).hash, chainEntry(1)), 'CHAIN_CONFLICT');
      expect(await store().readChain(id, 0, 10)).toEqual([genesis, first]);
    });

    it('two devices append to the chain at once: exactly one wins, the other gets CHAIN_CONFLICT', async () => {
      const id = await newAccount(store());
      for (let round = 1; round <= 10; round += 1) {
        const head = await store().chainHead(id);
        const a = chainEntry(round);
        const b = chainEntry(round);
        const results = await Promise.allSettled([store().appendChain(id, head.hash, a), store().appendChain(id, head.hash, b)]);
        const won = results.map((r) => r.status === 'fulfilled');
        expect(won.filter(Boolean)).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason.code).toBe('CHAIN_CONFLICT');
        expect(await store().chainHead(id)).toEqual(won[0] ? a : b);
      }
      expect(await store().readChain(id, 0, 100)).toHaveLength(11);
    });

    it('deletes an account with its chain and envelopes', async () => {
      const id = await newAccount(store());
      await appendMany(store(), id, 2);
      await store().putEnvelopes(id, [{ recordId: bytes(16), revision: 1, sender: bytes(16), kind: 'record', expiryDay: 0, bytes: bytes(10) }]);
      await store().deleteAccount(id);
      expect(await store().hasAccount(id)).toBe(false);
      await expectCode(store().chainHead(id), 'ACCOUNT_NOT_FOUND');
      await expectCode(store().deleteAccount(id), 'ACCOUNT_NOT_FOUND');
      const genesis = chainEntry(0);
      await store().createAccount(id, genesis);
      expect(await store().readChain(id, 0, 10)).toEqual([genesis]);
      expect((await store().pullEnvelopes(id, 0, 10)).items).toEqual([]);
      expect(await store().usage(id)).toEqual({ bytes: 0, envelopes: 0 });
    });

    it('answers ACCOUNT_NOT_FOUND for every account-scoped call on an unknown account', async () => {
      const s = store();
      const id = bytes(32);
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['chainHead', () => s.chainHead(id)],
        ['readChain', () => s.readChain(id, 0, 10)],
        ['appendChain', () => s.appendChain(id, bytes(32), chainEntry(1))],
        ['putEnvelopes', () => s.putEnvelopes(id, [])],
        ['putEnvelopes with a checkpoint', () => s.putEnvelopes(id, [], logChain(bytes(16), 1)[0])],
        ['pullEnvelopes', () => s.pullEnvelopes(id, 0, 10)],
        ['purgeEnvelopes', () => s.purgeEnvelopes(id, [])],
        ['logHead', () => s.logHead(id, bytes(16))],
        ['appendChain with a cut', () => s.appendChain(id, bytes(32), chainEntry(1), { device: bytes(16), position: 0, hash: null })],
        ['usage', () => s.usage(id)],
        ['deleteAccount', () => s.deleteAccount(id)],
        ['watch', () => s.watch(id, () => undefined)],
      ];
      for (const [, call] of calls) await expectCode(call(), 'ACCOUNT_NOT_FOUND');
    });
  });
}
