/** Content keys and envelope hashes: stored with their version, returned by every read, gone with the row. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/crypto/bytes.js';
import type { LocalRecord, LocalStore } from '../../../src/sync/localStore.js';
import {
  bytes32,
  CALLS,
  DEVICE,
  id16,
  keysFor,
  outboxFor,
  record,
  rejectsWith,
  tombstone,
  useStore,
  type MakeLocalStore,
} from '../fixtures.js';

const CURSOR = 'cursor:calls';

/** Every read that returns a LocalRecord, for the record `r` names. */
async function everyRead(store: LocalStore, r: LocalRecord): Promise<(LocalRecord | null | undefined)[]> {
  const listed = await store.listRecords(r.collection, { includeDeleted: true, limit: 1000 });
  const listedOne = listed.records.find((x) => toHex(x.recordId) === toHex(r.recordId));
  return [await store.getRecord(r.collection, r.recordId), listedOne];
}

export function contentKeysSuite(make: MakeLocalStore): void {
  describe('content keys', () => {
    const store = useStore(make);

    it('stores a pulled version with its key and hash and returns them from every read', async () => {
      const r = record({ ...keysFor(1) });
      const t = { ...tombstone(record({ recordId: id16(2) })), ...keysFor(2) };
      await store().applyRemote([r, t], CURSOR, new Uint8Array(1));
      for (const read of [...(await everyRead(store(), r)), ...(await everyRead(store(), t))]) {
        expect(read?.contentKey).toBeInstanceOf(Uint8Array);
      }
      expect(await everyRead(store(), r)).toEqual([r, r]);
      expect(await everyRead(store(), t)).toEqual([t, t]);
    });

    it('returns contentKey and envelopeHash as null for a version given without them', async () => {
      const { contentKey: _k, envelopeHash: _h, ...bare } = record();
      await store().applyRemote([bare as LocalRecord], CURSOR, new Uint8Array(1));
      const undefinedKeys = { ...record({ recordId: id16(2) }), contentKey: undefined, envelopeHash: undefined };
      await store().applyLocal(undefinedKeys, null);
      for (const r of [bare as LocalRecord, undefinedKeys]) {
        for (const read of await everyRead(store(), r)) {
          expect(read).toHaveProperty('contentKey', null);
          expect(read).toHaveProperty('envelopeHash', null);
        }
      }
    });

    it('stores what a local write is given: null keys, or keys', async () => {
      const plain = record({ recordId: id16(1) });
      const keyed = record({ recordId: id16(2), ...keysFor(2) });
      await store().applyLocal(plain, outboxFor(plain));
      await store().applyLocal(keyed, null);
      expect(await store().getRecord(CALLS, plain.recordId)).toEqual(plain);
      expect(await store().getRecord(CALLS, keyed.recordId)).toEqual(keyed);
    });

    it('keeps its own copies of the key and hash, and hands out copies', async () => {
      const keys = keysFor(1);
      await store().applyRemote([record(keys)], CURSOR, new Uint8Array(1));
      keys.contentKey.fill(0);
      keys.envelopeHash.fill(0);
      const first = (await store().getRecord(CALLS, id16(1)))!;
      expect(first).toMatchObject(keysFor(1));
      first.contentKey!.fill(1);
      first.envelopeHash!.fill(1);
      expect(await store().getRecord(CALLS, id16(1))).toMatchObject(keysFor(1));
      const [keyed] = (await store().listKeyed({ limit: 10 })).records;
      keyed!.contentKey.fill(2);
      expect(await store().getRecord(CALLS, id16(1))).toMatchObject(keysFor(1));
    });

    it('replaces the key with the version: a newer version brings its own (or none), an older one changes nothing', async () => {
      const v1 = record({ revision: 1, ...keysFor(1) });
      const v2 = record({ revision: 2, sender: DEVICE[1]! });
      const v3 = record({ revision: 3, ...keysFor(3) });
      await store().applyRemote([v1], CURSOR, new Uint8Array(1));
      await store().applyRemote([v2], CURSOR, new Uint8Array(1));
      expect(await store().getRecord(CALLS, id16(1))).toEqual(v2);
      expect((await store().listKeyed({ limit: 10 })).records).toEqual([]);
      await store().applyRemote([v3], CURSOR, new Uint8Array(1));
      expect(await store().applyRemote([{ ...v2, ...keysFor(2) }], CURSOR, new Uint8Array(1))).toEqual([false]);
      expect(await store().getRecord(CALLS, id16(1))).toEqual(v3);
      const local = { ...v3, revision: 4, value: 'edited', contentKey: null, envelopeHash: null };
      await store().applyLocal(local, outboxFor(local));
      expect(await store().getRecord(CALLS, id16(1))).toMatchObject({ contentKey: null, envelopeHash: null });
    });

    it('takes the key with the row on expire and dropCollection, and leaves the version index alone', async () => {
      const expiring = record({ recordId: id16(1), expiresAt: 10, ...keysFor(1) });
      const dropped = record({ collection: 'notes', recordId: id16(2), ...keysFor(2) });
      const kept = record({ recordId: id16(3), ...keysFor(3) });
      const entry = (recordId: Uint8Array) => ({ recordId, claim: null, have: { revision: 1, sender: DEVICE[0]! }, purgedUpTo: 0 });
      await store().applyRemote([expiring, dropped, kept], CURSOR, new Uint8Array(1), {
        versions: [entry(id16(1)), entry(id16(2)), entry(id16(3))],
      });
      expect(await store().expire(10)).toBe(1);
      expect(await store().dropCollection('notes')).toBe(1);
      expect(await store().getRecord(CALLS, id16(1))).toBeNull();
      expect(await store().getRecord('notes', id16(2))).toBeNull();
      expect((await store().listKeyed({ limit: 10 })).records.map((r) => r.recordId)).toEqual([id16(3)]);
      expect([...(await store().getVersions([id16(1), id16(2), id16(3)])).keys()]).toHaveLength(3);
      // Written again without a key, the id does not get the old key back.
      await store().applyRemote([{ ...expiring, expiresAt: null, contentKey: null, envelopeHash: null }], CURSOR, new Uint8Array(1));
      expect(await store().getRecord(CALLS, id16(1))).toMatchObject({ contentKey: null, envelopeHash: null });
    });

    describe('refuses a key without its hash (or the reverse) or a wrong length, and stores nothing', () => {
      const { contentKey, envelopeHash } = keysFor(1);
      const cases: [string, Partial<LocalRecord>][] = [
        ['a content key without a hash', { contentKey, envelopeHash: null }],
        ['a hash without a content key', { contentKey: null, envelopeHash }],
        ['a content key with an undefined hash', { contentKey, envelopeHash: undefined }],
        ['a 31-byte content key', { contentKey: contentKey.subarray(1), envelopeHash }],
        ['a 33-byte envelope hash', { contentKey, envelopeHash: new Uint8Array(33) }],
        ['a content key that is not a Uint8Array', { contentKey: [...contentKey] as never, envelopeHash }],
        ['an envelope hash that is a string', { contentKey, envelopeHash: 'h'.repeat(32) as never }],
      ];
      for (const [name, keys] of cases) {
        it(name, async () => {
          const good = record({ recordId: id16(1), ...keysFor(1) });
          const bad = record({ recordId: id16(2), ...keys });
          await rejectsWith(store().applyRemote([good, bad], CURSOR, new Uint8Array([2])), 'INVALID_ARGUMENT');
          await rejectsWith(store().applyLocal(bad, outboxFor(bad)), 'INVALID_ARGUMENT');
          await rejectsWith(store().applyLocal(bad, null), 'INVALID_ARGUMENT');
          expect(await store().getRecord(CALLS, id16(1))).toBeNull();
          expect(await store().getRecord(CALLS, id16(2))).toBeNull();
          expect(await store().getMeta(CURSOR)).toBeNull();
          expect(await store().outboxSize()).toBe(0);
        });
      }
    });

    it('accepts any 32 bytes, zeros included', async () => {
      const zeros = record({ contentKey: new Uint8Array(32), envelopeHash: bytes32(0, 0) });
      await store().applyRemote([zeros], CURSOR, new Uint8Array(1));
      expect(await store().getRecord(CALLS, id16(1))).toEqual(zeros);
    });
  });
}
