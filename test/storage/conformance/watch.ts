/** The change feed: watchers wake after commits that store envelopes. */
import { describe, expect, it } from 'vitest';
import type { StoredEnvelope } from '../../../src/storage/index.js';
import { bytes, envelope, logChain, newAccount, pullAll, pullItems, useStore, waitFor, type MakeStore } from '../fixtures.js';

export function watchSuite(makeStore: MakeStore): void {
  describe('watch', () => {
    const store = useStore(makeStore);

    it('wakes a watcher with the cursor of the commit', async () => {
      const id = await newAccount(store());
      const calls: number[] = [];
      await store().watch(id, (cursor) => calls.push(cursor));
      await store().putEnvelopes(id, [envelope(), envelope()]);
      const all = await pullAll(store(), id);
      const last = (all[all.length - 1] as StoredEnvelope).cursor;
      await waitFor(() => calls.length > 0);
      expect(calls).toEqual([last]);
    });

    it('a batch that stores nothing wakes no one; neither does another account', async () => {
      const id = await newAccount(store());
      const other = await newAccount(store());
      const e = envelope();
      await store().putEnvelopes(id, [e]);
      const calls: number[] = [];
      await store().watch(id, (cursor) => calls.push(cursor));
      await store().putEnvelopes(id, [e]); // duplicate: nothing stored
      await store().putEnvelopes(id, [{ ...e, revision: 0 }]); // superseded
      await store().putEnvelopes(other, [envelope()]);
      await store().putEnvelopes(id, [envelope()]); // the barrier: this one must wake
      const all = await pullAll(store(), id);
      await waitFor(() => calls.length > 0);
      // Notifications arrive in commit order, so only the barrier's can be here.
      expect(calls).toEqual([(all[all.length - 1] as StoredEnvelope).cursor]);
    });

    it('a push that stores only a checkpoint wakes watchers; a re-push that stores nothing does not', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2] = logChain(device, 2);
      const e = envelope({ sender: device });
      await store().putEnvelopes(id, [e], c1);
      const calls: number[] = [];
      await store().watch(id, (cursor) => calls.push(cursor));
      await store().putEnvelopes(id, [e], c1); // a re-push: all duplicate, checkpoint already stored
      await store().putEnvelopes(id, [e], c2); // the barrier: stores only the checkpoint
      const checkpoint = (await pullItems(store(), id)).at(-1);
      expect(checkpoint).toMatchObject({ kind: 'log', position: 2 });
      await waitFor(() => calls.length > 0);
      expect(calls).toEqual([checkpoint!.cursor]);
    });

    it('a push with a checkpoint and envelopes wakes watchers once, with its highest cursor', async () => {
      const id = await newAccount(store());
      const calls: number[] = [];
      await store().watch(id, (cursor) => calls.push(cursor));
      await store().putEnvelopes(id, [envelope(), envelope()], logChain(bytes(16), 1)[0]);
      const items = await pullItems(store(), id);
      expect(items).toHaveLength(3);
      await waitFor(() => calls.length > 0);
      expect(calls).toEqual([items.at(-1)!.cursor]);
    });

    it('wakes every watcher of the account; a throwing listener hurts no one', async () => {
      const id = await newAccount(store());
      const a: number[] = [];
      const b: number[] = [];
      const listener = (cursor: number): void => {
        a.push(cursor);
      };
      await store().watch(id, () => {
        throw new Error('listener bug');
      });
      await store().watch(id, listener);
      await store().watch(id, (cursor) => b.push(cursor));
      await store().watch(id, listener); // the same function twice is two watches
      expect(await store().putEnvelopes(id, [envelope()])).toEqual(['stored']);
      await waitFor(() => a.length === 2 && b.length === 1);
    });

    it('stops after unwatch', async () => {
      const id = await newAccount(store());
      const stopped: number[] = [];
      const live: number[] = [];
      const unwatch = await store().watch(id, (cursor) => stopped.push(cursor));
      await store().watch(id, (cursor) => live.push(cursor));
      await unwatch();
      await unwatch();
      await store().putEnvelopes(id, [envelope()]);
      await waitFor(() => live.length === 1);
      expect(stopped).toEqual([]);
    });
  });
}
