/**
 * Device logs: checkpoints appended with a push, in the same cursor stream as envelopes; the
 * head check (LOG_CONFLICT), byte-identical re-pushes, racing appends, and checkpoints that
 * nothing but deleteAccount removes.
 */
import { describe, expect, it } from 'vitest';
import type { LogAppend, StoredCheckpoint, StoredItem } from '../../../src/storage/index.js';
import { MAX_CHECKPOINT_BYTES } from '../../../src/storage/index.js';
import {
  bytes,
  chainEntry,
  envelope,
  expectCode,
  filled,
  logChain,
  newAccount,
  pullItems,
  purgeAll,
  snapshot,
  useStore,
  type MakeStore,
} from '../fixtures.js';

/** What a pull shows of a pushed checkpoint (the cursor aside). */
function pulled(log: LogAppend) {
  return { kind: 'log', device: log.device, position: log.position, bytes: log.bytes };
}

function withoutCursor(item: StoredItem) {
  const { cursor: _cursor, ...rest } = item;
  return rest;
}

function checkpoints(items: readonly StoredItem[]): StoredCheckpoint[] {
  return items.filter((item): item is StoredCheckpoint => item.kind === 'log');
}

export function logSuite(makeStore: MakeStore): void {
  describe('device logs', () => {
    const store = useStore(makeStore);

    it('a push with a checkpoint stores it first, below its envelopes, and makes it the head', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1] = logChain(device, 1) as [LogAppend];
      const envelopes = [envelope({ sender: device }), envelope({ sender: device, kind: 'tombstone' })];
      expect(await store().putEnvelopes(id, envelopes, c1)).toEqual(['stored', 'stored']);
      const items = await pullItems(store(), id);
      expect(items.map(withoutCursor)).toEqual([pulled(c1), ...envelopes]);
      const cursors = items.map((item) => item.cursor);
      expect([...cursors].sort((a, b) => a - b)).toEqual(cursors);
      expect(await store().logHead(id, device)).toEqual({ position: 1, hash: c1.hash, bytes: c1.bytes });
      expect(await store().usage(id)).toEqual({ bytes: 100 + 2 * 64, envelopes: 3 });
    });

    it('the head moves with each append; every device of every account has its own log', async () => {
      const a = await newAccount(store());
      const b = await newAccount(store());
      const [phone, laptop] = [bytes(16), bytes(16)];
      const phoneLog = logChain(phone, 3);
      const laptopLog = logChain(laptop, 1);
      expect(await store().logHead(a, phone)).toBeNull();
      for (const log of phoneLog) {
        await store().putEnvelopes(a, [envelope({ sender: phone })], log);
        expect(await store().logHead(a, phone)).toEqual({ position: log.position, hash: log.hash, bytes: log.bytes });
      }
      await store().putEnvelopes(a, [], laptopLog[0]);
      // The same device id in another account starts its own log at 1.
      await store().putEnvelopes(b, [], phoneLog[0]);
      expect(await store().logHead(a, laptop)).toMatchObject({ position: 1, hash: laptopLog[0]!.hash });
      expect(await store().logHead(a, phone)).toMatchObject({ position: 3, hash: phoneLog[2]!.hash });
      expect(await store().logHead(b, phone)).toMatchObject({ position: 1 });
      expect(await store().logHead(b, laptop)).toBeNull();
      const inA = checkpoints(await pullItems(store(), a));
      expect(inA.map(withoutCursor)).toEqual([...phoneLog, ...laptopLog].map(pulled));
    });

    it('a push with a checkpoint and no envelopes stores the checkpoint alone', async () => {
      const id = await newAccount(store());
      const [c1] = logChain(bytes(16), 1);
      expect(await store().putEnvelopes(id, [], c1)).toEqual([]);
      const page = await store().pullEnvelopes(id, 0, 10);
      expect(page.items.map(withoutCursor)).toEqual([pulled(c1!)]);
      expect(page).toMatchObject({ cursor: page.items[0]!.cursor, more: false });
    });

    it('a checkpoint that does not extend the head is LOG_CONFLICT and stores nothing, envelopes included', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2, c3] = logChain(device, 3) as [LogAppend, LogAppend, LogAppend];
      await store().putEnvelopes(id, [envelope({ sender: device })], c1);
      const stranger = bytes(16);
      const before = await snapshot(store(), id, [device, stranger]);
      const refused: LogAppend[] = [
        c3, // skips position 2
        { ...c2, prevHash: bytes(32) }, // right position, wrong prev
        { ...c2, position: 3 }, // right prev, wrong position
        logChain(device, 1)[0]!, // a second first checkpoint
      ];
      for (const log of refused) {
        await expectCode(store().putEnvelopes(id, [envelope({ sender: device }), envelope({ sender: device })], log), 'LOG_CONFLICT');
        await expectCode(store().putEnvelopes(id, [], log), 'LOG_CONFLICT');
      }
      // A device's first checkpoint must be position 1.
      const [, late] = logChain(stranger, 2);
      await expectCode(store().putEnvelopes(id, [envelope({ sender: stranger })], late), 'LOG_CONFLICT');
      expect(await snapshot(store(), id, [device, stranger])).toEqual(before);
      expect(await store().putEnvelopes(id, [], c2)).toEqual([]);
    });

    it('a different checkpoint at a taken position conflicts, whether it is the head or older', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2] = logChain(device, 2) as [LogAppend, LogAppend];
      await store().putEnvelopes(id, [], c1);
      await store().putEnvelopes(id, [], c2);
      const before = await snapshot(store(), id, [device]);
      await expectCode(store().putEnvelopes(id, [envelope()], { ...c2, bytes: bytes(100) }), 'LOG_CONFLICT');
      await expectCode(store().putEnvelopes(id, [envelope()], { ...c1, bytes: bytes(100) }), 'LOG_CONFLICT');
      await expectCode(store().putEnvelopes(id, [], { ...c2, bytes: c2.bytes.subarray(1) }), 'LOG_CONFLICT');
      expect(await snapshot(store(), id, [device])).toEqual(before);
    });

    it('a byte-identical re-push is accepted: envelopes get their usual outcomes, the checkpoint is stored once', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2] = logChain(device, 2) as [LogAppend, LogAppend];
      const batch = [envelope({ sender: device }), envelope({ sender: device })];
      await store().putEnvelopes(id, batch, c1);
      const before = await snapshot(store(), id, [device]);
      // The response was lost; the device pushes the same batch again (a fresh copy of it).
      const again = batch.map((e) => ({ ...e, bytes: Uint8Array.from(e.bytes) }));
      expect(await store().putEnvelopes(id, again, { ...c1, bytes: Uint8Array.from(c1.bytes) })).toEqual(['duplicate', 'duplicate']);
      expect(await snapshot(store(), id, [device])).toEqual(before);
      // A re-push whose envelope was meanwhile replaced, or purged, gets the usual outcomes.
      const newer = { ...batch[0]!, revision: 2, bytes: bytes(64) };
      await store().putEnvelopes(id, [newer], c2);
      await store().purgeEnvelopes(id, [purgeAll(batch[1]!.recordId)]);
      expect(await store().putEnvelopes(id, batch, c1)).toEqual(['superseded', 'stored']);
      const logged = checkpoints(await pullItems(store(), id));
      expect(logged.map(withoutCursor)).toEqual([pulled(c1), pulled(c2)]);
      expect(await store().logHead(id, device)).toMatchObject({ position: 2, hash: c2.hash });
    });

    it('two pushes race for one position: exactly one wins, the other gets LOG_CONFLICT', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      let prevHash: Uint8Array = new Uint8Array(32);
      for (let position = 1; position <= 6; position += 1) {
        const [a, b] = [0, 1].map(() => logChain(device, 1, 50, position, prevHash)[0]!);
        const results = await Promise.allSettled([
          store().putEnvelopes(id, [envelope({ sender: device })], a),
          store().putEnvelopes(id, [envelope({ sender: device })], b),
        ]);
        const won = results.map((r) => r.status === 'fulfilled');
        expect(won.filter(Boolean)).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason.code).toBe('LOG_CONFLICT');
        const winner = won[0] ? a! : b!;
        expect(await store().logHead(id, device)).toEqual({ position, hash: winner.hash, bytes: winner.bytes });
        prevHash = winner.hash;
      }
      const items = await pullItems(store(), id);
      expect(checkpoints(items).map((c) => c.position)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await store().usage(id)).toEqual({ bytes: 6 * 50 + 6 * 64, envelopes: 12 });
    });

    it('the same checkpoint pushed twice at once is stored once', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      for (const log of logChain(device, 4)) {
        const batch = [envelope({ sender: device })];
        const results = await Promise.all([store().putEnvelopes(id, batch, log), store().putEnvelopes(id, batch, log)]);
        expect(results.flat().sort()).toEqual(['duplicate', 'stored']);
      }
      expect(checkpoints(await pullItems(store(), id)).map((c) => c.position)).toEqual([1, 2, 3, 4]);
      expect((await store().usage(id)).envelopes).toBe(8);
    });

    it('pulls page through checkpoints and envelopes alike, one item each', async () => {
      const id = await newAccount(store());
      const [phone, laptop] = [bytes(16), bytes(16)];
      const [p1, p2] = logChain(phone, 2);
      const [l1] = logChain(laptop, 1);
      await store().putEnvelopes(id, [envelope({ sender: phone }), envelope({ sender: phone })], p1);
      await store().putEnvelopes(id, [], l1);
      await store().putEnvelopes(id, [envelope({ sender: phone })], p2);
      await store().putEnvelopes(id, [envelope()]);
      const all = await pullItems(store(), id);
      expect(all.map((item) => item.kind)).toEqual(['log', 'record', 'record', 'log', 'log', 'record', 'record']);
      for (const limit of [1, 2, 3, 7]) expect(await pullItems(store(), id, 0, limit)).toEqual(all);
      const first = await store().pullEnvelopes(id, 0, 3);
      expect(first).toEqual({ items: all.slice(0, 3), cursor: all[2]!.cursor, more: true });
      expect(await store().pullEnvelopes(id, all[3]!.cursor, 1)).toEqual({ items: [all[4]], cursor: all[4]!.cursor, more: true });
      expect(await store().pullEnvelopes(id, all[6]!.cursor, 5)).toEqual({ items: [], cursor: all[6]!.cursor, more: false });
    });

    it('no record id reaches a checkpoint: pushes, purges and expiry leave it in place', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1] = logChain(device, 1) as [LogAppend];
      await store().putEnvelopes(id, [], c1);
      // Record ids a client might pick to collide with a checkpoint row: its device, zeros, ones.
      const picks = [device, filled(16, 0), filled(16, 0xff)];
      const rows = picks.map((recordId) => envelope({ recordId, revision: 0xffff_ffff, sender: filled(16, 0xff), expiryDay: 1 }));
      expect(await store().putEnvelopes(id, rows)).toEqual(['stored', 'stored', 'stored']);
      expect(await store().purgeEnvelopes(id, picks.slice(1).map(purgeAll))).toBe(2);
      expect(await store().collectExpired(2)).toBe(1);
      expect((await pullItems(store(), id)).map(withoutCursor)).toEqual([pulled(c1)]);
      expect(await store().logHead(id, device)).toMatchObject({ position: 1, hash: c1.hash });
      expect(await store().usage(id)).toEqual({ bytes: 100, envelopes: 1 });
    });

    it('checkpoints never expire', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1] = logChain(device, 1, 40) as [LogAppend];
      await store().putEnvelopes(id, [envelope({ sender: device, expiryDay: 10, bytes: bytes(30) })], c1);
      expect(await store().collectExpired(1_000_000)).toBe(1);
      expect((await pullItems(store(), id)).map(withoutCursor)).toEqual([pulled(c1)]);
      expect(await store().usage(id)).toEqual({ bytes: 40, envelopes: 1 });
      expect(await store().logHead(id, device)).toMatchObject({ position: 1 });
    });

    it('deleteAccount takes the logs with it: a re-created account starts every log afresh', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1, c2] = logChain(device, 2);
      await store().putEnvelopes(id, [envelope({ sender: device })], c1);
      await store().putEnvelopes(id, [], c2);
      await store().deleteAccount(id);
      await expectCode(store().logHead(id, device), 'ACCOUNT_NOT_FOUND');
      await store().createAccount(id, chainEntry(0));
      expect(await store().logHead(id, device)).toBeNull();
      expect(await pullItems(store(), id)).toEqual([]);
      expect(await store().usage(id)).toEqual({ bytes: 0, envelopes: 0 });
      // Position 1 again, even with the old bytes: the old log is gone, not a re-push.
      expect(await store().putEnvelopes(id, [], c1)).toEqual([]);
      expect(checkpoints(await pullItems(store(), id))).toHaveLength(1);
    });

    it('keeps a checkpoint of the largest size intact, and copies bytes in and out', async () => {
      const id = await newAccount(store());
      const device = bytes(16);
      const [c1] = logChain(device, 1, MAX_CHECKPOINT_BYTES) as [LogAppend];
      const copy = Buffer.from(c1.bytes);
      await store().putEnvelopes(id, [], c1);
      c1.bytes.fill(0);
      c1.hash.fill(0);
      // Buffer.equals: a deep equality over 4 MiB, element by element, would take minutes.
      const head = await store().logHead(id, device);
      expect(copy.equals(head?.bytes ?? new Uint8Array(0))).toBe(true);
      head?.bytes.fill(1);
      const [item] = await pullItems(store(), id);
      expect(copy.equals(item?.bytes ?? new Uint8Array(0))).toBe(true);
      expect((await store().logHead(id, device))?.hash).not.toEqual(new Uint8Array(32));
      expect(await store().usage(id)).toEqual({ bytes: MAX_CHECKPOINT_BYTES, envelopes: 1 });
    });
  });
}
