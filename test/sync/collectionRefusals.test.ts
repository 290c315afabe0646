/**
 * Footguns a collection refuses, each with an error that says what and where: `put(undefined)`
 * (which used to delete the record on every device), values CBOR cannot carry (named by their
 * path, with what to store instead), oversize byte arrays reported as bytes, and list filters
 * that make no sense. Nothing refused is stored or queued.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeValue, isMultikeySyncError, type Collection } from '../../src/index.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { syncedDevice, type SyncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
let device: SyncedDevice;
let notes: Collection<unknown>;
beforeEach(async () => {
  env = await startEnrollmentServer();
  const { devices } = await accountWith(env, 1);
  device = await syncedDevice(devices[0]!, env.clock.now);
  notes = device.replica.collection<unknown>('notes');
});
afterEach(async () => {
  await env.stop();
});

async function refusal(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await run().then(() => undefined, (e: unknown) => e);
  if (!isMultikeySyncError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe('collection.put', () => {
  it('refuses undefined instead of deleting the record everywhere', async () => {
    const id = await notes.put({ text: 'keep me' });
    const queued = await device.replica.pending();
    expect(await refusal(() => notes.put(undefined, id))).toEqual({
      code: 'PUT_VALUE_UNDEFINED',
      message: 'put(undefined) is refused: it would delete the record on every device; call delete(id) to delete',
    });
    expect(await notes.get(id)).toEqual({ text: 'keep me' });
    expect(await device.replica.pending()).toBe(queued);
  });

  it.each([
    [{ a: { b: [1, undefined] } }, 'CBOR_UNSUPPORTED_VALUE', 'cannot encode undefined (leave the field out, or store null) as CBOR (at value.a.b[1])'],
    [{ when: new Date(0) }, 'CBOR_UNSUPPORTED_VALUE', 'cannot encode a Date (store date.getTime() or date.toISOString()) as CBOR (at value.when)'],
    [new Date(0), 'CBOR_UNSUPPORTED_VALUE', 'cannot encode a Date (store date.getTime() or date.toISOString()) as CBOR (at value)'],
    [{ tags: new Set(['x']) }, 'CBOR_UNSUPPORTED_VALUE', 'cannot encode a Set (store an array) as CBOR (at value.tags)'],
    [
      { photo: new Uint8Array(200_000) },
      'CBOR_LIMIT_EXCEEDED',
      'cannot encode as CBOR: a byte string (Uint8Array) of 200000 bytes is over 65536 bytes (maxStringBytes) (at value.photo)',
    ],
    [
      { body: 'x'.repeat(70_000) },
      'CBOR_LIMIT_EXCEEDED',
      'cannot encode as CBOR: a text string of 70000 UTF-8 bytes is over 65536 bytes (maxStringBytes) (at value.body)',
    ],
    [{ '+14155550123': { seen: new Date(0) } }, 'CBOR_UNSUPPORTED_VALUE', 'cannot encode a Date (store date.getTime() or date.toISOString()) as CBOR (at value[…].seen)'],
  ])('refuses %o, naming where', async (value, code, message) => {
    const queued = await device.replica.pending();
    expect(await refusal(() => notes.put(value))).toEqual({ code, message });
    expect(await notes.count()).toBe(0);
    expect(await device.replica.pending()).toBe(queued);
  });

  it("leaves the app validator's own errors as they are", async () => {
    const calls = device.calls;
    const { code, message } = await refusal(() => calls.put({ service: 'phone' } as never));
    expect(code).toMatch(/^CALL_/);
    expect(message).not.toContain('(at ');
  });

  it('encodeValue names the path too', () => {
    expect(() => encodeValue({ a: [new Map()] })).toThrow('cannot encode a Map (store a plain object, or an array of pairs) as CBOR (at value.a[0])');
  });
});

describe('collection.list', () => {
  it.each([[{ limit: -1 }], [{ limit: 1.5 }], [{ limit: Number.NaN }], [{ from: Number.NaN }], [{ order: 'up' }], [{ where: 'x' }]])(
    'refuses %o',
    async (filter) => {
      expect((await refusal(() => notes.list(filter as never))).code).toBe('LIST_FILTER_INVALID');
    },
  );

  it('limit 0 lists nothing; limit 1 lists one', async () => {
    await notes.put({ n: 1 });
    await notes.put({ n: 2 });
    expect(await notes.list({ limit: 0 })).toEqual([]);
    expect(await notes.list({ limit: 1 })).toHaveLength(1);
  });
});
