/** When a device asks for the history: only while it holds envelopes no hand-off it opened covers. */
import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/core/cbor.js';
import { HistoryWanted } from '../../src/sync/historyWanted.js';
import { isMultikeySyncError } from '../../src/errors.js';

const phone = new Uint8Array(16).fill(1);
const tablet = new Uint8Array(16).fill(2);

describe('HistoryWanted', () => {
  it('a hand-off covers what its grantor had seen: its own log before the bundle and the heads its checkpoint names', () => {
    const wanted = new HistoryWanted();
    expect(wanted.any).toBe(false);
    wanted.held(phone, 4);
    wanted.held(tablet, 9);
    wanted.handedOver(phone, 5, [{ device: tablet, position: 8, hash: new Uint8Array(32) }]);
    expect(wanted.any).toBe(true); // the tablet's envelope at 9 was past what the phone had seen
    wanted.handedOver(phone, 7, [{ device: tablet, position: 9, hash: new Uint8Array(32) }]);
    expect(wanted.any).toBe(false);
  });

  it('a bundle logged at or before a held envelope of its grantor does not cover it; asking clears the want', () => {
    const wanted = new HistoryWanted();
    wanted.held(phone, 6);
    wanted.handedOver(phone, 6, []);
    expect(wanted.any).toBe(true);
    wanted.asked();
    expect(wanted.any).toBe(false);
  });

  it('round-trips through the store, and refuses a damaged save (HISTORY_WANTED_CORRUPT)', () => {
    const wanted = new HistoryWanted();
    wanted.held(phone, 3);
    expect(wanted.takeChanged()).toBe(true);
    expect(wanted.takeChanged()).toBe(false);
    expect(HistoryWanted.fromBytes(wanted.toBytes()).any).toBe(true);
    expect(HistoryWanted.fromBytes(null).any).toBe(false);
    for (const bad of [Uint8Array.of(0xff), encodeCanonical({ v: 2, w: {} }), encodeCanonical({ v: 1, w: { zz: 1 } }), encodeCanonical({ v: 1, w: { '01': 0 } })]) {
      let code: string | undefined;
      try {
        HistoryWanted.fromBytes(bad);
      } catch (e) {
        if (isMultikeySyncError(e)) code = e.code;
      }
      expect(code).toBe('HISTORY_WANTED_CORRUPT');
    }
  });
});
