/**
 * What commits with a pull page (version entries, held envelopes, meta) and with a push ack
 * (content keys for the exact versions pushed, meta): all of it with the records and the cursor,
 * or with the ack, or none of it.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/crypto/bytes.js';
import type { AckExtras, LocalStore, PushedKey, RemoteExtras } from '../../../src/sync/localStore.js';
import {
  CALLS,
  DEVICE,
  envelope,
  id16,
  keysFor,
  outboxFor,
  record,
  rejectsWith,
  useStore,
  type MakeLocalStore,
} from '../fixtures.js';
import { BAD_ENTRIES, entry } from './versionIndex.js';

const CURSOR = 'cursor:calls';

/** Everything a pull page or an ack may change, read back for comparison. */
async function snapshot(store: LocalStore): Promise<unknown> {
  const ids = [1, 2, 3, 4].map((n) => id16(n));
  return {
    records: await Promise.all(ids.map((id) => store.getRecord(CALLS, id))),
    keyed: await store.listKeyed({ limit: 100 }),
    versions: await store.getVersions(ids),
    held: await store.heldCount(),
    outbox: await store.outboxPeek(100),
    meta: await Promise.all([CURSOR, 'log-head', 'other'].map((key) => store.getMeta(key))),
  };
}

/** A valid set of extras touching every part. */
function goodExtras(): RemoteExtras {
  return {
    versions: [entry(1), entry(2)],
    held: [{ recordId: id16(3), bytes: envelope(3) }],
    meta: [['log-head', new Uint8Array([7])]],
  };
}

/** Extras the store must refuse as a whole, each with one part at fault. */
const BAD_REMOTE_EXTRAS: [string, () => unknown][] = [
  ['extras that are not an object', () => 'extras'],
  ['extras that are null', () => null],
  ...BAD_ENTRIES.map(([name, bad]): [string, () => unknown] => [
    `a version entry with ${name.replace(/^an? /, '')}`,
    () => ({ ...goodExtras(), versions: [entry(2), bad()] }),
  ]),
  ['held that is not an array', () => ({ ...goodExtras(), held: { recordId: id16(3), bytes: envelope(3) } })],
  ['a held item with a 15-byte record id', () => ({ ...goodExtras(), held: [{ recordId: new Uint8Array(15), bytes: envelope(3) }] })],
  ['a held item with empty bytes', () => ({ ...goodExtras(), held: [{ recordId: id16(3), bytes: new Uint8Array(0) }] })],
  ['a held item that is null', () => ({ ...goodExtras(), held: [null] })],
  ['meta that is not an array', () => ({ ...goodExtras(), meta: { 'log-head': new Uint8Array(1) } })],
  ['a meta pair of three', () => ({ ...goodExtras(), meta: [['log-head', new Uint8Array(1), 'x']] })],
  ['a meta value that is not bytes', () => ({ ...goodExtras(), meta: [['log-head', 'v']] })],
  ['an empty meta key', () => ({ ...goodExtras(), meta: [['', new Uint8Array(1)]] })],
];

const BAD_ACK_EXTRAS: [string, () => unknown][] = [
  ['extras that are not an object', () => 7],
  ['keys that are not an array', () => ({ keys: { collection: CALLS } })],
  ['a key that is null', () => ({ keys: [null] })],
  ['a key without an envelope hash', () => ({ keys: [{ ...pushed(1), envelopeHash: undefined }] })],
  ['a key with a null content key', () => ({ keys: [{ ...pushed(1), contentKey: null }] })],
  ['a 31-byte content key', () => ({ keys: [{ ...pushed(1), contentKey: new Uint8Array(31) }] })],
  ['a 33-byte envelope hash', () => ({ keys: [{ ...pushed(1), envelopeHash: new Uint8Array(33) }] })],
  ['a key with an empty collection', () => ({ keys: [{ ...pushed(1), collection: '' }] })],
  ['a key with a 15-byte record id', () => ({ keys: [{ ...pushed(1), recordId: new Uint8Array(15) }] })],
  ['a key with a revision of 2^32', () => ({ keys: [{ ...pushed(1), revision: 2 ** 32 }] })],
  ['a key with a 17-byte sender', () => ({ keys: [{ ...pushed(1), sender: new Uint8Array(17) }] })],
  ['meta that is not an array', () => ({ keys: [pushed(1)], meta: 'log-head' })],
  ['a meta value that is not bytes', () => ({ keys: [pushed(1)], meta: [['log-head', 1]] })],
];

/** The pushed key for local version revision 1 by DEVICE[0] of id16(n). */
function pushed(n: number, overrides: Partial<PushedKey> = {}): PushedKey {
  return { collection: CALLS, recordId: id16(n), revision: 1, sender: DEVICE[0]!, ...keysFor(n), ...overrides };
}

export function extrasSuite(make: MakeLocalStore): void {
  describe('pull page extras', () => {
    const store = useStore(make);

    it('commits version entries, held envelopes and meta with the records and the cursor', async () => {
      const r = record({ recordId: id16(1), ...keysFor(1) });
      expect(await store().applyRemote([r], CURSOR, new Uint8Array([5]), goodExtras())).toEqual([true]);
      expect(await store().getRecord(CALLS, id16(1))).toEqual(r);
      expect(await store().getMeta(CURSOR)).toEqual(new Uint8Array([5]));
      expect(await store().getVersions([id16(1), id16(2)])).toEqual(
        new Map([
          [toHex(id16(1)), entry(1)],
          [toHex(id16(2)), entry(2)],
        ]),
      );
      expect(await store().takeHeld([id16(3)])).toEqual(new Map([[toHex(id16(3)), envelope(3)]]));
      expect(await store().getMeta('log-head')).toEqual(new Uint8Array([7]));
    });

    it('takes any part alone, empty extras, or none', async () => {
      await store().applyRemote([], CURSOR, new Uint8Array([1]), { meta: [['log-head', new Uint8Array([1])]] });
      await store().applyRemote([], CURSOR, new Uint8Array([2]), { held: [{ recordId: id16(3), bytes: envelope(3) }] });
      await store().applyRemote([], CURSOR, new Uint8Array([3]), { versions: [entry(1)] });
      await store().applyRemote([], CURSOR, new Uint8Array([4]), {});
      await store().applyRemote([], CURSOR, new Uint8Array([5]), { versions: [], held: [], meta: [] });
      await store().applyRemote([], CURSOR, new Uint8Array([6]), undefined);
      expect(await store().getMeta('log-head')).toEqual(new Uint8Array([1]));
      expect(await store().heldCount()).toBe(1);
      expect((await store().getVersions([id16(1)])).size).toBe(1);
      expect(await store().getMeta(CURSOR)).toEqual(new Uint8Array([6]));
    });

    it('holds as holdEnvelopes does: a later hold of an id replaces it, within the page too', async () => {
      await store().holdEnvelopes([{ recordId: id16(3), bytes: envelope(1) }]);
      const held = [2, 3].map((n) => ({ recordId: id16(3), bytes: envelope(n) }));
      await store().applyRemote([], CURSOR, new Uint8Array(1), { held });
      expect(await store().takeHeld([id16(3)])).toEqual(new Map([[toHex(id16(3)), envelope(3)]]));
    });

    it('sets meta values in order and the cursor last, so the cursor wins over a meta entry of its key', async () => {
      const meta: [string, Uint8Array][] = [
        ['log-head', new Uint8Array([1])],
        ['log-head', new Uint8Array([2])],
        [CURSOR, new Uint8Array([9])],
      ];
      await store().applyRemote([], CURSOR, new Uint8Array([3]), { meta });
      expect(await store().getMeta('log-head')).toEqual(new Uint8Array([2]));
      expect(await store().getMeta(CURSOR)).toEqual(new Uint8Array([3]));
    });

    it('keeps its own copies of held bytes and meta values', async () => {
      const bytes = envelope(3);
      const value = new Uint8Array([1]);
      await store().applyRemote([], CURSOR, new Uint8Array(1), { held: [{ recordId: id16(3), bytes }], meta: [['log-head', value]] });
      bytes.fill(0);
      value.fill(0);
      expect((await store().takeHeld([id16(3)])).get(toHex(id16(3)))).toEqual(envelope(3));
      expect(await store().getMeta('log-head')).toEqual(new Uint8Array([1]));
    });

    describe('an invalid part leaves records, cursor, index, held and meta as they were', () => {
      for (const [name, extras] of BAD_REMOTE_EXTRAS) {
        it(name, async () => {
          await store().applyRemote([record({ recordId: id16(4), ...keysFor(4) })], CURSOR, new Uint8Array([1]), {
            versions: [entry(4)],
            held: [{ recordId: id16(4), bytes: envelope(4) }],
            meta: [['log-head', new Uint8Array([1])]],
          });
          const before = await snapshot(store());
          const page = [record({ recordId: id16(1), ...keysFor(1) }), record({ recordId: id16(4), revision: 2 })];
          await rejectsWith(store().applyRemote(page, CURSOR, new Uint8Array([2]), extras() as RemoteExtras), 'INVALID_ARGUMENT');
          expect(await snapshot(store())).toEqual(before);
        });
      }
    });
  });

  describe('ack extras', () => {
    const store = useStore(make);

    /** Three local writes of revision 1 by DEVICE[0], queued; returns their outbox ids. */
    async function pushThree(): Promise<number[]> {
      for (let n = 1; n <= 3; n++) {
        const r = record({ recordId: id16(n) });
        await store().applyLocal(r, outboxFor(r));
      }
      return (await store().outboxPeek(10)).map((item) => item.id);
    }

    it('attaches each key to its local version and removes the acked items, in one step', async () => {
      const ids = await pushThree();
      await store().outboxAck(ids.slice(0, 2), { keys: [pushed(1), pushed(2)], meta: [['log-head', new Uint8Array([4])]] });
      expect(await store().getRecord(CALLS, id16(1))).toEqual(record({ recordId: id16(1), ...keysFor(1) }));
      expect(await store().getRecord(CALLS, id16(2))).toEqual(record({ recordId: id16(2), ...keysFor(2) }));
      expect(await store().getRecord(CALLS, id16(3))).toMatchObject({ contentKey: null, envelopeHash: null });
      expect((await store().outboxPeek(10)).map((item) => item.id)).toEqual([ids[2]]);
      expect(await store().getMeta('log-head')).toEqual(new Uint8Array([4]));
      expect((await store().listKeyed({ limit: 10 })).records.map((r) => r.recordId)).toEqual([id16(1), id16(2)]);
    });

    it('ignores a key whose exact version is no longer the stored one', async () => {
      const ids = await pushThree();
      // Between the push and its ack: id 1 is overwritten by a newer pulled version, id 2 by a
      // newer local write; id 3 is untouched but the keys name another sender, another
      // revision, another collection; id 4 was never stored.
      const pulled = record({ recordId: id16(1), revision: 2, sender: DEVICE[1]!, ...keysFor(9) });
      await store().applyRemote([pulled], CURSOR, new Uint8Array(1));
      const rewritten = record({ recordId: id16(2), revision: 2, value: 'again' });
      await store().applyLocal(rewritten, outboxFor(rewritten));
      await store().outboxAck(ids, {
        keys: [
          pushed(1),
          pushed(2),
          pushed(3, { sender: DEVICE[1]! }),
          pushed(3, { revision: 2 }),
          pushed(3, { collection: 'notes' }),
          pushed(4),
        ],
      });
      expect(await store().getRecord(CALLS, id16(1))).toEqual(pulled);
      expect(await store().getRecord(CALLS, id16(2))).toEqual(rewritten);
      expect(await store().getRecord(CALLS, id16(3))).toEqual(record({ recordId: id16(3) }));
      expect(await store().getRecord(CALLS, id16(4))).toBeNull();
      expect(await store().getRecord('notes', id16(3))).toBeNull();
      expect(await store().outboxSize()).toBe(1);
    });

    it('attaches a key to a local tombstone too, and replaces a key the version already had', async () => {
      const r = record({ recordId: id16(1), deleted: true, value: null });
      await store().applyLocal(r, outboxFor(r));
      await store().outboxAck([], { keys: [pushed(1, keysFor(5))] });
      await store().outboxAck([], { keys: [pushed(1)] });
      expect(await store().getRecord(CALLS, id16(1))).toEqual({ ...r, ...keysFor(1) });
      expect((await store().listKeyed({ limit: 10 })).records).toMatchObject([{ deleted: true, ...keysFor(1) }]);
    });

    it('acks as before with no extras or empty ones', async () => {
      const ids = await pushThree();
      await store().outboxAck([ids[0]!]);
      await store().outboxAck([ids[1]!], {});
      await store().outboxAck([ids[2]!], { keys: [], meta: [] });
      expect(await store().outboxSize()).toBe(0);
      expect((await store().listKeyed({ limit: 10 })).records).toEqual([]);
    });

    it('keeps its own copy of a pushed key', async () => {
      await pushThree();
      const key = pushed(1);
      await store().outboxAck([], { keys: [key] });
      key.contentKey.fill(0);
      expect(await store().getRecord(CALLS, id16(1))).toMatchObject(keysFor(1));
    });

    describe('an invalid part acks nothing, attaches nothing and sets nothing', () => {
      for (const [name, extras] of BAD_ACK_EXTRAS) {
        it(name, async () => {
          const ids = await pushThree();
          const before = await snapshot(store());
          await rejectsWith(store().outboxAck(ids, extras() as AckExtras), 'INVALID_ARGUMENT');
          expect(await snapshot(store())).toEqual(before);
        });
      }
    });
  });
}
