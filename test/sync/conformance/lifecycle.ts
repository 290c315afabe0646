/** Argument checks at the boundary, and closing. */
import { describe, expect, it } from 'vitest';
import type { LocalStore } from '../../../src/sync/localStore.js';
import { CALLS, id16, outboxFor, record, rejectsWith, useStore, type MakeLocalStore } from '../fixtures.js';

type Call = [string, (store: LocalStore) => Promise<unknown>];

const BAD_CALLS: Call[] = [
  ['an empty collection', (s) => s.getRecord('', id16(1))],
  ['a long collection', (s) => s.countRecords('c'.repeat(129))],
  ['a collection with a lone surrogate', (s) => s.countRecords('calls\uD800')],
  ['a meta key with a lone surrogate', (s) => s.setMeta('\uDC00k', new Uint8Array(1))],
  ['a 15-byte record id', (s) => s.getRecord(CALLS, new Uint8Array(15))],
  ['a record id that is not bytes', (s) => s.getRecord(CALLS, [1, 2] as never)],
  ['a 17-byte sender', (s) => s.applyRemote([record({ sender: new Uint8Array(17) })], 'cursor', new Uint8Array(1))],
  ['a fractional sortTime', (s) => s.applyRemote([record({ sortTime: 1.5 })], 'cursor', new Uint8Array(1))],
  ['a negative sortTime', (s) => s.applyRemote([record({ sortTime: -1 })], 'cursor', new Uint8Array(1))],
  ['an undefined expiresAt', (s) => s.applyRemote([record({ expiresAt: undefined as never })], 'cursor', new Uint8Array(1))],
  ['a deleted flag that is not boolean', (s) => s.applyRemote([record({ deleted: 1 as never })], 'cursor', new Uint8Array(1))],
  ['records that are not an array', (s) => s.applyRemote(record() as never, 'cursor', new Uint8Array(1))],
  ['a cursor that is not bytes', (s) => s.applyRemote([], 'cursor', 7 as never)],
  ['an empty cursor key', (s) => s.applyRemote([], '', new Uint8Array(1))],
  ['a page limit of 0', (s) => s.listRecords(CALLS, { limit: 0 })],
  ['a page limit of 1001', (s) => s.listRecords(CALLS, { limit: 1001 })],
  ['an unknown order', (s) => s.listRecords(CALLS, { order: 'up' as never })],
  ['a fractional from', (s) => s.listRecords(CALLS, { from: 0.5 })],
  ['an outbox peek of 0', (s) => s.outboxPeek(0)],
  ['an outbox ack of id 0', (s) => s.outboxAck([0])],
  ['an outbox ack that is not an array', (s) => s.outboxAck(3 as never)],
  ['a meta value that is not bytes', (s) => s.setMeta('k', 'v' as never)],
  ['a meta key of 257 characters', (s) => s.getMeta('k'.repeat(257))],
  ['a NaN expiry time', (s) => s.expire(Number.NaN)],
  ['a drop of an empty collection name', (s) => s.dropCollection('')],
  ['a local-only write of a bad record', (s) => s.applyLocal(record({ revision: -1 }), null)],
  ['a hold with a 17-byte record id', (s) => s.holdEnvelopes([{ recordId: new Uint8Array(17), bytes: new Uint8Array(1) }])],
  ['a hold with empty bytes', (s) => s.holdEnvelopes([{ recordId: id16(1), bytes: new Uint8Array(0) }])],
  ['a take of ids that are not an array', (s) => s.takeHeld(id16(1) as never)],
  ['a version lookup of a 17-byte id', (s) => s.getVersions([new Uint8Array(17)])],
  ['a keyed page limit of 0', (s) => s.listKeyed({ limit: 0 })],
  ['a keyed page limit of 1001', (s) => s.listKeyed({ limit: 1001 })],
  ['a keyed page token from listRecords', (s) => s.listKeyed({ limit: 1, after: `a.0.${'0'.repeat(32)}` })],
  ['applyRemote extras that are not an object', (s) => s.applyRemote([], 'cursor', new Uint8Array(1), 1 as never)],
  ['outboxAck extras that are not an object', (s) => s.outboxAck([1], 'keys' as never)],
];

const ALL_CALLS: Call[] = [
  ['getRecord', (s) => s.getRecord(CALLS, id16(1))],
  ['listRecords', (s) => s.listRecords(CALLS)],
  ['countRecords', (s) => s.countRecords(CALLS)],
  ['applyLocal', (s) => s.applyLocal(record(), outboxFor(record()))],
  ['applyRemote', (s) => s.applyRemote([record()], 'cursor', new Uint8Array(1))],
  ['outboxPeek', (s) => s.outboxPeek(1)],
  ['outboxAck', (s) => s.outboxAck([1])],
  ['outboxSize', (s) => s.outboxSize()],
  ['getMeta', (s) => s.getMeta('k')],
  ['setMeta', (s) => s.setMeta('k', new Uint8Array(1))],
  ['expire', (s) => s.expire(1)],
  ['dropCollection', (s) => s.dropCollection(CALLS)],
  ['applyLocal local-only', (s) => s.applyLocal(record(), null)],
  ['holdEnvelopes', (s) => s.holdEnvelopes([{ recordId: id16(1), bytes: new Uint8Array(1) }])],
  ['takeHeld', (s) => s.takeHeld([id16(1)])],
  ['heldCount', (s) => s.heldCount()],
  ['dropHeld', (s) => s.dropHeld()],
  ['getVersions', (s) => s.getVersions([id16(1)])],
  ['listKeyed', (s) => s.listKeyed({ limit: 1 })],
  ['applyRemote with extras', (s) => s.applyRemote([], 'cursor', new Uint8Array(1), { meta: [['k', new Uint8Array(1)]] })],
  ['outboxAck with extras', (s) => s.outboxAck([1], { meta: [['k', new Uint8Array(1)]] })],
];

export function lifecycleSuite(make: MakeLocalStore): void {
  describe('arguments', () => {
    const store = useStore(make);
    for (const [name, call] of BAD_CALLS) {
      it(`refuses ${name}`, async () => {
        await rejectsWith(call(store()), 'INVALID_ARGUMENT');
      });
    }
  });

  describe('close', () => {
    const store = useStore(make);
    it('rejects every call after close, and closes twice quietly', async () => {
      await store().close();
      await store().close();
      for (const [name, call] of ALL_CALLS) {
        const error = await rejectsWith(call(store()), 'LOCAL_STORE_CLOSED');
        expect(error.message, name).toMatch(/closed/);
      }
    });
  });
}
