/**
 * Limits per collection (docs/api.md "Limits"): values are checked against their collection's
 * limits when written (defaults 1 MiB, 64 KiB per string or byte string, 10,000 items), a
 * collection may raise them up to the protocol ceiling, and readers decode every body under the
 * ceiling, so a value written under raised limits reaches a device that never raised them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CBOR_LIMITS, isMultikeySyncError } from '../../src/index.js';
import { BODY_LIMITS, LIMITS_CEILING, resolveCollectionLimits } from '../../src/sync/collectionLimits.js';
import { MAX_BODY_BYTES } from '../../src/core/bodyCeiling.js';
import { DEFAULT_MAX_ENVELOPE_BYTES, HEADER_BYTES, MAX_RECIPIENTS, STANZA_BYTES, TAG_BYTES } from '../../src/core/envelopeFormat.js';
import { paddedLength } from '../../src/core/padding.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

/** Byte equality without vitest's element-by-element diff (slow on megabytes). */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a instanceof Uint8Array && Buffer.compare(a, b) === 0;
}

async function refusal(run: () => unknown): Promise<{ code: string; message: string }> {
  const error = await Promise.resolve().then(run).then(() => undefined, (e: unknown) => e);
  if (!isMultikeySyncError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe('the protocol ceiling', () => {
  it('is the largest body whose envelope for 1024 devices fits 4 MiB', () => {
    const envelope = (body: number) => HEADER_BYTES + TAG_BYTES + paddedLength(body) + STANZA_BYTES * MAX_RECIPIENTS;
    expect(envelope(MAX_BODY_BYTES)).toBeLessThanOrEqual(DEFAULT_MAX_ENVELOPE_BYTES);
    expect(envelope(MAX_BODY_BYTES + 1)).toBeGreaterThan(DEFAULT_MAX_ENVELOPE_BYTES);
    expect(MAX_BODY_BYTES).toBe(4_063_231);
    expect(BODY_LIMITS.maxBytes).toBe(MAX_BODY_BYTES);
    expect(LIMITS_CEILING.maxBytes).toBeLessThan(MAX_BODY_BYTES);
  });

  it('defaults are 1 MiB per value, 64 KiB per string or byte string, 10,000 items', () => {
    expect(resolveCollectionLimits(undefined)).toEqual(DEFAULT_CBOR_LIMITS);
    expect(DEFAULT_CBOR_LIMITS).toMatchObject({ maxBytes: 1024 * 1024, maxStringBytes: 64 * 1024, maxItems: 10_000 });
  });

  it.each([
    [{ maxBytes: LIMITS_CEILING.maxBytes + 1 }, `collection limits: maxBytes must be an integer from 1 to ${LIMITS_CEILING.maxBytes}`],
    [{ maxStringBytes: 0 }, `collection limits: maxStringBytes must be an integer from 1 to ${LIMITS_CEILING.maxStringBytes}`],
    [{ maxItems: 1.5 }, `collection limits: maxItems must be an integer from 1 to ${LIMITS_CEILING.maxItems}`],
    [{ maxSize: 10 }, 'collection limits: unknown limit "maxSize" (maxBytes, maxStringBytes, maxItems)'],
  ])('a collection asking for %o is refused with COLLECTION_LIMITS_INVALID', async (limits, message) => {
    const { devices } = await accountWith(env, 1);
    const { replica } = await syncedDevice(devices[0]!, env.clock.now);
    expect(await refusal(() => replica.collection('notes', { limits: limits as never }))).toEqual({ code: 'COLLECTION_LIMITS_INVALID', message });
  });
});

describe('limits per collection', () => {
  it('a 200 KB Uint8Array over the default is reported as a byte string, with its path', async () => {
    const { devices } = await accountWith(env, 1);
    const { replica } = await syncedDevice(devices[0]!, env.clock.now);
    const photos = replica.collection<{ meta: { thumb: Uint8Array } }>('photos');
    expect(await refusal(() => photos.put({ meta: { thumb: new Uint8Array(200_000) } }))).toEqual({
      code: 'CBOR_LIMIT_EXCEEDED',
      message: 'cannot encode as CBOR: a byte string (Uint8Array) of 200000 bytes is over 65536 bytes (maxStringBytes) (at value.meta.thumb)',
    });
    expect(await replica.pending()).toBe(0);
  });

  it('a value over a raised limit is refused by that limit', async () => {
    const { devices } = await accountWith(env, 1);
    const { replica } = await syncedDevice(devices[0]!, env.clock.now);
    const notes = replica.collection<{ text: string[] }>('notes', { limits: { maxBytes: 2_000_000, maxStringBytes: 1_000_000, maxItems: 4 } });
    expect((await refusal(() => notes.put({ text: ['a', 'b'] }))).message).toBe('cannot encode as CBOR: the value has more than 4 data items (maxItems) (at value.text)');
    expect((await refusal(() => notes.put({ text: ['x'.repeat(1_000_001)] }))).message).toBe(
      'cannot encode as CBOR: a text string of 1000001 UTF-8 bytes is over 1000000 bytes (maxStringBytes) (at value.text[0])',
    );
  });

  it('a collection with raised limits round-trips a 2 MiB value between two devices, and a reader with default limits accepts it', async () => {
    const { devices } = await accountWith(env, 3);
    const [writer, raised, plain] = await Promise.all(devices.map((d) => syncedDevice(d, env.clock.now)));
    const limits = { maxBytes: 3 * 1024 * 1024, maxStringBytes: 2 * 1024 * 1024 + 16 };
    const scans = writer!.replica.collection<{ pages: Uint8Array }>('scans', { limits });
    const pages = new Uint8Array(2 * 1024 * 1024);
    for (let i = 0; i < pages.length; i++) pages[i] = (i * 31 + (i >> 11)) & 0xff;
    const id = await scans.put({ pages });
    expect((await writer!.replica.sync()).pushed).toBe(1);

    // The same collection, opened with the same raised limits, on another device.
    await raised!.replica.sync();
    expect(sameBytes((await raised!.replica.collection<{ pages: Uint8Array }>('scans', { limits }).get(id))?.pages, pages)).toBe(true);
    // A device that opens it with the defaults reads it too (readers decode under the ceiling)
    expect((await plain!.replica.sync()).rejected).toBe(0);
    expect(plain!.events.rejected).toEqual([]);
    const plainScans = plain!.replica.collection<{ pages: Uint8Array }>('scans');
    expect(sameBytes((await plainScans.get(id))?.pages, pages)).toBe(true);
    // ... though writing the same value under its own default limits is refused there.
    expect((await refusal(() => plainScans.put({ pages }, id))).code).toBe('CBOR_LIMIT_EXCEEDED');
  });
});
