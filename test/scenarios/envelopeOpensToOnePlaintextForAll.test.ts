import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/core/callRecord.js';
import { parseEnvelope, STANZA_BYTES } from '../../src/core/envelopeFormat.js';
import { envelopeHash } from '../../src/core/envelopeHash.js';
import { equalBytes } from '../../src/crypto/bytes.js';
import { KeyRing } from '../../src/sync/keyRing.js';
import { MemoryLocalStore } from '../../src/sync/memoryLocalStore.js';
import { OUTBOUND_KEYS } from '../../src/sync/outbound.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';
import { writeAsThief } from '../support/thief.js';

let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

describe('key commitment', () => {
  it('envelopeOpensToOnePlaintextForAll: a rogue device wraps another content key for the tablet than for the laptop; the tablet refuses it', async () => {
    const { devices } = await accountWith(env, 3);
    const rogueStore = new MemoryLocalStore();
    const rogue = await syncedDevice(devices[0]!, env.clock.now, rogueStore);
    const [laptop, tablet] = await Promise.all([syncedDevice(devices[1]!, env.clock.now), syncedDevice(devices[2]!, env.clock.now)]);
    for (const d of [rogue, laptop, tablet, rogue]) await d.replica.sync();

    const [log, envelope] = await writeAsThief(rogue.account, rogueStore, env.clock.now, async (r) => {
      await r.collection<CallRecord>('calls').put(call({ peer: '+14155550100' }));
      await r.sync();
    });
    // It re-wraps, for the tablet only, a key of its choosing (under the pair key it really shares
    // with the tablet): H, and so its own log, do not change, since wraps are outside H.
    const device = rogue.account.device;
    const ring = KeyRing.open(device, (await rogueStore.getMeta(OUTBOUND_KEYS.ring))!);
    const parsed = parseEnvelope(envelope!);
    const h = envelopeHash(device.suite, rogue.account.accountId, parsed.headerAndBody, parsed.stanzas);
    const tamperedBytes = envelope!.slice();
    const base = tamperedBytes.length - parsed.stanzas.length;
    for (let at = 0; at < parsed.stanzas.length; at += STANZA_BYTES) {
      if (!equalBytes(parsed.stanzas.subarray(at, at + 16), tablet.account.device.id)) continue;
      const tabletKey = ring.sendKey(device, tablet.account.device.public, tablet.account.device.epochs.current!.statement, 1).key;
      tamperedBytes.set(device.suite.aeadEncrypt(tabletKey, h.subarray(0, 24), new Uint8Array(32).fill(0x66), h), base + at + 20);
    }
    // The honest server cannot tell: it stores it.
    await rogue.account.transport.push([tamperedBytes], log!);

    await laptop.replica.sync();
    await tablet.replica.sync();
    const id = parsed.recordId;
    expect((await laptop.calls.get(id))?.peer).toBe('+14155550100');
    expect(await tablet.calls.get(id)).toBeUndefined();
    expect(tablet.events.rejected).toContainEqual(expect.objectContaining({ code: 'ENVELOPE_KEY_COMMITMENT', recordId: id }));
  });
});
