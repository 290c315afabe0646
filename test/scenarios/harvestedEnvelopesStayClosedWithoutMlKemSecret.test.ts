/**
 * "Harvest now, decrypt later": an adversary keeps every envelope and checkpoint the server ever
 * held, and one day breaks X25519 — modelled here by handing it every X25519 secret there is:
 * each device's static key and the X25519 half of every X-Wing key. It does not get the ML-KEM
 * halves. With the ML-KEM secret the same attack opens everything (so the test can tell); without
 * it, nothing.
 */
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/core/envelopeFormat.js';
import { decodeCheckpoint, isCheckpoint } from '../../src/core/logCheckpoint.js';
import { openParsed } from '../../src/core/open.js';
import { derivePairKey } from '../../src/core/pairKey.js';
import { toHex } from '../../src/crypto/bytes.js';
import { cardAtPosition } from '../../src/enrollment/chainState.js';
import { MultikeySyncError } from '../../src/errors.js';
import type { Device } from '../../src/core/device.js';
import { accountWith, startEnrollmentServer, type EnrollmentEnv } from '../support/enrollmentServer.js';
import { call, syncedDevice } from '../support/syncHarness.js';

const LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);
let env: EnrollmentEnv;
beforeEach(async () => {
  env = await startEnrollmentServer();
});
afterEach(async () => {
  await env.stop();
});

/** The X25519 half of an X-Wing key: bytes 64..96 of SHAKE256(seed) (draft-connolly-cfrg-xwing-kem). */
function x25519Half(seed: Uint8Array): Uint8Array {
  return shake256(seed, { dkLen: 96 }).slice(64, 96);
}

describe('post-quantum confidentiality', () => {
  it('harvestedEnvelopesStayClosedWithoutMlKemSecret: every X25519 secret and the whole database open nothing', async () => {
    const { devices } = await accountWith(env, 2);
    const [phone, laptop] = await Promise.all(devices.map((a) => syncedDevice(a, env.clock.now)));
    await laptop!.replica.sync();
    const ids = [await phone!.calls.put(call()), await phone!.calls.put(call())];
    await phone!.replica.sync();
    await laptop!.replica.sync();

    const accountId = phone!.account.accountId;
    const state = phone!.account.chain.state;
    const target: Device = laptop!.account.device;
    const harvest = (await env.store.pullEnvelopes(accountId, 0, 1000)).items.map((i) => i.bytes);
    const staticSecret = target.exportSecrets().subarray(33, 65);

    // What the adversary computes for the laptop's pair key from each published ciphertext, given
    // the ML-KEM part of the shared secret (which it cannot have) or a stand-in for it.
    const attempt = (mlkemShared: (seed: Uint8Array, ciphertext: Uint8Array) => Uint8Array) => {
      const keys = new Map<string, Uint8Array>();
      for (const bytes of harvest) {
        if (!isCheckpoint(bytes)) continue;
        const cp = decodeCheckpoint(target.suite, accountId, bytes);
        const sender = cardAtPosition(state.devices.get(String.fromCharCode(...cp.sender))!, cp.position);
        for (const offer of cp.pairKeys) {
          if (toHex(offer.recipient) !== toHex(target.id)) continue;
          const epoch = target.epochs.get(offer.epoch)!;
          const xSecret = x25519Half(epoch.seed);
          const ctX = offer.ciphertext.subarray(1088);
          const pkX = epoch.statement.publicKey.subarray(1184);
          const ssX = x25519.getSharedSecret(xSecret, ctX);
          const combined = new Uint8Array([...mlkemShared(epoch.seed, offer.ciphertext), ...ssX, ...ctX, ...pkX, ...LABEL]);
          const dh = x25519.getSharedSecret(staticSecret, sender.encryptionKey);
          const context = { sender, recipient: target.public, epoch: offer.epoch, ref: cp.position, ciphertext: offer.ciphertext };
          keys.set(toHex(cp.sender) + ':' + cp.position, derivePairKey(target.suite, dh, sha3_256(combined), context));
        }
      }
      const opened: string[] = [];
      for (const bytes of harvest) {
        if (isCheckpoint(bytes)) continue;
        try {
          const got = openParsed(target, accountId, { get: (s, ref) => keys.get(toHex(s) + ':' + ref) }, parseEnvelope(bytes));
          if (got !== null) opened.push(toHex(got.recordId));
        } catch (error) {
          if (!(error instanceof MultikeySyncError)) throw error;
        }
      }
      return opened;
    };

    // With the ML-KEM secret as well, the same computation opens everything: the control.
    const withMlKem = attempt(mlkemShared);
    for (const id of ids) expect(withMlKem).toContain(toHex(id));
    // Without it, every stand-in for the ML-KEM secret fails: zeros, random bytes, the X25519 secret itself.
    for (const guess of [new Uint8Array(32), new Uint8Array(32).fill(0x42), staticSecret]) {
      expect(attempt(() => guess)).toEqual([]);
    }
  });
});

/** ss_M of an X-Wing ciphertext, from the ML-KEM secret the seed expands to: the part the adversary lacks. */
function mlkemShared(seed: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const { secretKey } = ml_kem768.keygen(shake256(seed, { dkLen: 96 }).subarray(0, 64));
  return ml_kem768.decapsulate(ciphertext.subarray(0, 1088), secretKey);
}
