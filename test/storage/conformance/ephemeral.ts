/** The enrollment mailbox and the replay-protection nonce set. */
import { describe, expect, it } from 'vitest';
import { bytes, expectCode, useStore, type MakeStore } from '../fixtures.js';

const NOW = 1_700_000_000_000;

export function ephemeralSuite(makeStore: MakeStore): void {
  describe('mailbox', () => {
    const store = useStore(makeStore);

    it('delivers a message once: take deletes it', async () => {
      const id = bytes(32);
      const message = bytes(200);
      await store().mailboxPut(id, message, NOW + 60_000, NOW);
      expect(await store().mailboxTake(id, NOW + 1)).toEqual(message);
      expect(await store().mailboxTake(id, NOW + 2)).toBeNull();
      expect(await store().mailboxTake(bytes(16), NOW)).toBeNull();
    });

    it('an expired message is not delivered, and is gone', async () => {
      const id = bytes(16);
      await store().mailboxPut(id, bytes(10), NOW + 1000, NOW);
      expect(await store().mailboxTake(id, NOW + 1000)).toBeNull();
      expect(await store().mailboxTake(id, NOW)).toBeNull();
    });

    it('first writer wins: a live message is not replaced, an expired one is', async () => {
      const id = bytes(32);
      const first = bytes(10);
      await store().mailboxPut(id, first, NOW + 1000, NOW);
      await expectCode(store().mailboxPut(id, bytes(10), NOW + 5000, NOW + 999), 'MAILBOX_FULL');
      const second = bytes(12);
      await store().mailboxPut(id, second, NOW + 9000, NOW + 1000);
      expect(await store().mailboxTake(id, NOW + 1001)).toEqual(second);
    });

    it('of two takes at once, only one gets the message', async () => {
      const id = bytes(32);
      await store().mailboxPut(id, bytes(10), NOW + 1000, NOW);
      const results = await Promise.all([store().mailboxTake(id, NOW), store().mailboxTake(id, NOW)]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('sweeps expired messages of other ids', async () => {
      const ids = Array.from({ length: 20 }, () => bytes(16));
      for (const id of ids) await store().mailboxPut(id, bytes(8), NOW + 10, NOW);
      await store().mailboxPut(bytes(16), bytes(8), NOW + 100_000, NOW + 50);
      // Swept or not, an expired message is never delivered; this pins the observable part.
      for (const id of ids) expect(await store().mailboxTake(id, NOW + 60)).toBeNull();
    });

    it('refuses bad ids, sizes and times', async () => {
      await expectCode(store().mailboxPut(bytes(15), bytes(1), NOW + 1, NOW), 'INVALID_ARGUMENT');
      await expectCode(store().mailboxPut(bytes(65), bytes(1), NOW + 1, NOW), 'INVALID_ARGUMENT');
      await expectCode(store().mailboxPut(bytes(16), bytes(64 * 1024 + 1), NOW + 1, NOW), 'INVALID_ARGUMENT');
      await expectCode(store().mailboxPut(bytes(16), new Uint8Array(0), NOW + 1, NOW), 'INVALID_ARGUMENT');
      await expectCode(store().mailboxPut(bytes(16), bytes(1), NOW, NOW), 'INVALID_ARGUMENT');
      await expectCode(store().mailboxTake(bytes(16), -1), 'INVALID_ARGUMENT');
    });
  });

  describe('nonces', () => {
    const store = useStore(makeStore);

    it('accepts a nonce once and flags the replay', async () => {
      const key = bytes(32);
      expect(await store().rememberNonce(key, NOW + 300_000, NOW)).toBe(true);
      expect(await store().rememberNonce(key, NOW + 300_000, NOW + 1)).toBe(false);
      expect(await store().rememberNonce(bytes(32), NOW + 300_000, NOW + 1)).toBe(true);
    });

    it('forgets a nonce once it has expired', async () => {
      const key = bytes(16);
      expect(await store().rememberNonce(key, NOW + 1000, NOW)).toBe(true);
      expect(await store().rememberNonce(key, NOW + 2000, NOW + 999)).toBe(false);
      expect(await store().rememberNonce(key, NOW + 2000, NOW + 1000)).toBe(true);
      expect(await store().rememberNonce(key, NOW + 3000, NOW + 1500)).toBe(false);
    });

    it('of concurrent requests with one nonce, exactly one is accepted', async () => {
      for (let round = 0; round < 5; round += 1) {
        const key = bytes(24);
        const results = await Promise.all(
          Array.from({ length: 4 }, () => store().rememberNonce(key, NOW + 60_000, NOW)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      }
    });

    it('refuses bad keys and times', async () => {
      await expectCode(store().rememberNonce(bytes(7), NOW + 1, NOW), 'INVALID_ARGUMENT');
      await expectCode(store().rememberNonce(bytes(65), NOW + 1, NOW), 'INVALID_ARGUMENT');
      await expectCode(store().rememberNonce(bytes(16), NOW - 1, NOW), 'INVALID_ARGUMENT');
      await expectCode(store().rememberNonce(bytes(16), 1.5, 0), 'INVALID_ARGUMENT');
    });
  });
}
