import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnvelope, STANZA_BYTES } from '../../src/core/envelopeFormat.js';
import { equalBytes } from '../../src/crypto/bytes.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { deviceHex, hostileFront, type HostileFront } from '../support/hostileFront.js';
import { carries } from '../support/items.js';
import { call, syncedDevice } from '../support/syncHarness.js';

let env: EnrollmentEnv;
let front: HostileFront;
beforeEach(async () => {
  front = hostileFront();
  env = await startEnrollmentServer({ fetch: front.fetch });
});
afterEach(async () => {
  await env.stop();
});

/** The envelope with the stanza addressed to `from` now naming `to`: it looks "not for me". */
function relabel(envelope: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const out = envelope.slice();
  const stanzas = parseEnvelope(out).stanzas;
  const base = out.length - stanzas.length;
  for (let at = 0; at < stanzas.length; at += STANZA_BYTES) {
    if (equalBytes(stanzas.subarray(at, at + 16), from)) out.set(to, base + at);
  }
  return out;
}

describe('withholding', () => {
  it('relabelledStanzaIsNoticed: a stanza renamed so the call looks "not for me" no longer matches the log, and is reported', async () => {
    const { devices } = await accountWith(env, 3);
    const [phone, , tablet] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    await tablet!.replica.sync();
    const id = await phone!.calls.put(call());
    await phone!.replica.sync();

    const tabletId = tablet!.account.device.id;
    front.rewrite = (page) =>
      page.device === deviceHex(tablet!.account.device)
        ? { ...page, items: page.items.map((i) => (carries(i, id) ? relabel(i, tabletId, new Uint8Array(16).fill(0x77)) : i)) }
        : page;
    const report = await tablet!.replica.sync();

    expect(await tablet!.calls.get(id)).toBeUndefined();
    expect(tablet!.events.rejected).toContainEqual(expect.objectContaining({ code: 'ENVELOPE_NOT_LOGGED', recordId: id }));
    expect(report.withheld).toBe(1);
    expect(tablet!.events.withheld.at(-1)!.records).toEqual([expect.objectContaining({ recordId: id })]);
    // Nothing was held for a grant either: an envelope no log claims is not kept.
    expect(report.held).toBe(0);
  });
});
