/** The version index: entries written with a pull page, read by record id, checked at the boundary. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/crypto/bytes.js';
import type { VersionEntry } from '../../../src/sync/localStore.js';
import { bytes32, DEVICE, id16, rejectsWith, useStore, type MakeLocalStore } from '../fixtures.js';

const CURSOR = 'cursor:log';

/** An entry with a claim and a have, every field set. */
export function entry(n: number, overrides: Partial<VersionEntry> = {}): VersionEntry {
  return {
    recordId: id16(n),
    claim: { revision: 3, sender: DEVICE[1]!, hash: bytes32(0x48, n), kind: 'record', expiryDay: 20_500, position: 7 },
    have: { revision: 2, sender: DEVICE[0]! },
    purgedUpTo: 1,
    ...overrides,
  };
}

type Claim = NonNullable<VersionEntry['claim']>;

function withClaim(overrides: Partial<Record<keyof Claim, unknown>>): VersionEntry {
  return entry(1, { claim: { ...entry(1).claim!, ...overrides } as Claim });
}

/** Entries the boundary refuses, each with the field at fault. */
export const BAD_ENTRIES: [string, () => unknown][] = [
  ['an entry that is null', () => null],
  ['a 15-byte record id', () => entry(1, { recordId: new Uint8Array(15) })],
  ['a record id that is not bytes', () => entry(1, { recordId: [...id16(1)] as never })],
  ['a claim revision of -1', () => withClaim({ revision: -1 })],
  ['a claim revision of 2^32', () => withClaim({ revision: 2 ** 32 })],
  ['a fractional claim revision', () => withClaim({ revision: 1.5 })],
  ['a 17-byte claim sender', () => withClaim({ sender: new Uint8Array(17) })],
  ['a 31-byte claim hash', () => withClaim({ hash: new Uint8Array(31) })],
  ['a claim hash that is not bytes', () => withClaim({ hash: 'h'.repeat(32) })],
  ["a claim kind of 'deleted'", () => withClaim({ kind: 'deleted' })],
  ['a claim expiry day of 65536', () => withClaim({ expiryDay: 65_536 })],
  ['a claim expiry day of -1', () => withClaim({ expiryDay: -1 })],
  ['a claim position of 0', () => withClaim({ position: 0 })],
  ['a claim position of 2^32', () => withClaim({ position: 2 ** 32 })],
  ['a claim that is undefined', () => entry(1, { claim: undefined as never })],
  ['a have revision of 2^32', () => entry(1, { have: { revision: 2 ** 32, sender: DEVICE[0]! } })],
  ['a 15-byte have sender', () => entry(1, { have: { revision: 1, sender: new Uint8Array(15) } })],
  ['a have that is undefined', () => entry(1, { have: undefined as never })],
  ['a purgedUpTo of -1', () => entry(1, { purgedUpTo: -1 })],
  ['a purgedUpTo of 2^32', () => entry(1, { purgedUpTo: 2 ** 32 })],
  ['a missing purgedUpTo', () => entry(1, { purgedUpTo: undefined as never })],
];

export function versionIndexSuite(make: MakeLocalStore): void {
  describe('version index', () => {
    const store = useStore(make);

    it('gives back entries keyed by lower-case hex; ids without one are absent, an id asked twice once', async () => {
      const id = new Uint8Array(16).fill(0xab);
      await store().applyRemote([], CURSOR, new Uint8Array(1), { versions: [entry(1), { ...entry(2), recordId: id }] });
      const found = await store().getVersions([id, id16(1), id16(9), id16(1)]);
      expect([...found.keys()]).toEqual(['ab'.repeat(16), toHex(id16(1))]);
      expect(found.get(toHex(id16(1)))).toEqual(entry(1));
      expect(found.get('ab'.repeat(16))).toEqual({ ...entry(2), recordId: id });
      expect(await store().getVersions([])).toEqual(new Map());
    });

    it('round-trips every shape: no claim, no have, a tombstone claim, the edges of each range', async () => {
      const shapes: VersionEntry[] = [
        entry(1, { claim: null }),
        entry(2, { have: null }),
        entry(3, { claim: null, have: null, purgedUpTo: 0 }),
        entry(4, { claim: { ...entry(4).claim!, kind: 'tombstone', expiryDay: 0, position: 1, revision: 0 } }),
        entry(5, {
          claim: { ...entry(5).claim!, expiryDay: 0xffff, position: 2 ** 32 - 1, revision: 2 ** 32 - 1 },
          have: { revision: 2 ** 32 - 1, sender: DEVICE[2]! },
          purgedUpTo: 2 ** 32 - 1,
        }),
      ];
      await store().applyRemote([], CURSOR, new Uint8Array(1), { versions: shapes });
      const found = await store().getVersions(shapes.map((e) => e.recordId));
      expect([...found.values()]).toEqual(shapes);
    });

    it('replaces an entry wholly, and the last entry for an id in one page wins', async () => {
      await store().applyRemote([], CURSOR, new Uint8Array(1), { versions: [entry(1)] });
      const later = entry(1, { claim: null, have: { revision: 9, sender: DEVICE[2]! }, purgedUpTo: 4 });
      const last = entry(1, { purgedUpTo: 5 });
      await store().applyRemote([], CURSOR, new Uint8Array(2), { versions: [later, last] });
      expect((await store().getVersions([id16(1)])).get(toHex(id16(1)))).toEqual(last);
    });

    it('keeps its own copies and hands out copies', async () => {
      const mine = entry(1, { have: { revision: 2, sender: DEVICE[0]!.slice() } });
      await store().applyRemote([], CURSOR, new Uint8Array(1), { versions: [mine] });
      mine.recordId.fill(0);
      mine.claim!.hash.fill(0);
      mine.have!.sender.fill(0);
      const read = (await store().getVersions([id16(1)])).get(toHex(id16(1)))!;
      expect(read).toEqual(entry(1));
      read.claim!.sender.fill(0);
      read.have!.sender.fill(0);
      expect((await store().getVersions([id16(1)])).get(toHex(id16(1)))).toEqual(entry(1));
    });

    describe('refuses a bad entry and writes nothing of the page', () => {
      for (const [name, bad] of BAD_ENTRIES) {
        it(name, async () => {
          const versions = [entry(2), bad()] as VersionEntry[];
          await rejectsWith(store().applyRemote([], CURSOR, new Uint8Array(1), { versions }), 'INVALID_ARGUMENT');
          expect(await store().getVersions([id16(1), id16(2)])).toEqual(new Map());
          expect(await store().getMeta(CURSOR)).toBeNull();
        });
      }
    });

    it('refuses versions that are not an array, and bad ids to look up', async () => {
      await rejectsWith(store().applyRemote([], CURSOR, new Uint8Array(1), { versions: entry(1) as never }), 'INVALID_ARGUMENT');
      await rejectsWith(store().getVersions(id16(1) as never), 'INVALID_ARGUMENT');
      await rejectsWith(store().getVersions([id16(1), new Uint8Array(15)]), 'INVALID_ARGUMENT');
    });
  });
}
