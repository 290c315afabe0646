import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCheckpoint, NO_PREVIOUS, signCheckpoint } from '../../src/core/logCheckpoint.js';
import { sealEnvelope } from '../../src/core/seal.js';
import { recoveryDevice } from '../../src/enrollment/recoveryWords.js';
import { bodyToWire } from '../../src/sync/recordBody.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { hostileFront, type HostileFront } from '../support/hostileFront.js';
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

describe('recovery is not a writer', () => {
  it('recoveryWordsCannotWriteOrDelete: whoever holds the words and the account id can push, purge or have the operator serve nothing that counts', async () => {
    const { devices, recoveryWords } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    const id = await phone!.calls.put(call());
    for (const d of [phone, laptop, phone]) await d!.replica.sync();
    const accountId = phone!.account.accountId;

    const words = await recoveryDevice(recoveryWords);
    const asWords = env.connect(words, accountId);
    // The words may read (that is what they are for)…
    expect((await asWords.pull(0, 10)).items.length).toBeGreaterThan(0);
    // …but what they sign is not a write: the honest server refuses a push and a purge outright.
    const laptopCard = laptop!.account.device.public;
    const pair = words.establishPairKey(laptopCard, laptop!.account.device.epochs.current!.statement, 1);
    const tombstone = sealEnvelope(words, accountId, [{ card: laptopCard, ref: 1, key: pair.key }], {
      kind: 'tombstone',
      // The latest clock there is: were it applied, it would win over every version.
      body: bodyToWire({ collection: 'calls', sortTime: 0, clock: new Uint8Array(8).fill(0xff) }),
      recordId: id,
      revision: 5,
    });
    const log = signCheckpoint(words, accountId, {
      sender: words.id,
      position: 1,
      prev: NO_PREVIOUS,
      chainHead: phone!.account.chain.state.head,
      time: env.clock.now(),
      claims: [{ recordId: id, revision: 5, kind: 'tombstone', expiryDay: 0, hash: tombstone.hash }],
      purges: [],
      pairKeys: [{ recipient: laptopCard.id, epoch: pair.epoch, ciphertext: pair.ciphertext }],
      seen: [],
    });
    await expect(asWords.push([tombstone.bytes], log.bytes)).rejects.toMatchObject({ code: 'DEVICE_CANNOT_WRITE' });
    const purge = signCheckpoint(words, accountId, { ...decodeCheckpoint(words.suite, accountId, log.bytes), claims: [], pairKeys: [], purges: [{ recordId: id, upToRevision: 9 }] });
    await expect(asWords.purge(purge.bytes)).rejects.toMatchObject({ code: 'DEVICE_CANNOT_WRITE' });

    // An operator who holds the words too serves the "deletion" itself: the devices refuse it.
    front.rewrite = (page) => ({ ...page, items: [...page.items, log.bytes, tombstone.bytes] });
    for (const d of [laptop, phone]) {
      await d!.replica.sync();
      expect(await d!.calls.get(id)).toBeDefined();
      expect(d!.events.rejected.map((r) => r.code)).toEqual(expect.arrayContaining(['LOG_UNAUTHORIZED', 'ENVELOPE_NOT_LOGGED']));
    }
  });
});
