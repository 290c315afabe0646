/**
 * Failure paths that no scenario reaches on its own, each with its stable code: saved state of
 * this device that does not decode (key ring, verified log heads, a queued write), a store that
 * cannot exist here (IndexedDB in Node without a polyfill), grants and attachments asked for
 * with impossible inputs, a wire message with a field it must not have, and a server started twice.
 */
import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/core/cbor.js';
import { makeGrant } from '../../src/core/grant.js';
import { decodeCreateAccountRequest } from '../../src/http/messages.js';
import { createServer } from '../../src/server/createServer.js';
import { MemoryStore } from '../../src/storage/memoryStore.js';
import { IndexedDbLocalStore } from '../../src/sync/indexedDbLocalStore.js';
import { KeyRing } from '../../src/sync/keyRing.js';
import { LogHeads } from '../../src/sync/logHeads.js';
import { decodeOutboxWrite } from '../../src/sync/outboxItem.js';
import { codeOf } from '../support/codeOf.js';
import { makeDevices } from '../support/devices.js';

const garbage = Uint8Array.from([0xa1, 0x61, 0x7a, 0xff, 0x00, 0x13]);

async function codeOfAsync(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe('refusals with a stable code', () => {
  it("this device's saved key ring, log heads and queued writes that do not decode", async () => {
    const [device] = await makeDevices(1, 'sodium');
    expect(codeOf(() => KeyRing.open(device!, garbage))).toBe('KEY_RING_MALFORMED');
    expect(codeOf(() => LogHeads.fromBytes(garbage))).toBe('LOG_HEADS_CORRUPT');
    expect(codeOf(() => decodeOutboxWrite(garbage))).toBe('OUTBOX_ITEM_CORRUPT');
  });

  it('IndexedDbLocalStore where there is no IndexedDB', async () => {
    expect(typeof (globalThis as { indexedDB?: unknown }).indexedDB).toBe('undefined');
    expect(await codeOfAsync(() => IndexedDbLocalStore.open('replica'))).toBe('INDEXEDDB_UNAVAILABLE');
  });

  it('a grant for a record id that is not 16 bytes', async () => {
    const [grantor, to] = await makeDevices(2, 'sodium');
    const recipient = { card: to!.public, ref: 1, key: new Uint8Array(32) };
    expect(codeOf(() => makeGrant(grantor!, recipient, new Uint8Array(15), new Uint8Array(32), new Uint8Array(32)))).toBe('GRANT_INPUT_INVALID');
  });

  it('an account creation with a field the wire does not have', () => {
    expect(codeOf(() => decodeCreateAccountRequest(encodeCanonical({ genesis: new Uint8Array(8), extra: 1 })))).toBe('WIRE_SHAPE_INVALID');
  });

  it('a server asked to listen twice', async () => {
    const server = createServer({ store: new MemoryStore() });
    await server.listen(0, '127.0.0.1');
    try {
      expect(await codeOfAsync(() => server.listen(0, '127.0.0.1'))).toBe('SERVER_STATE');
    } finally {
      await server.close();
    }
  });
});
