/**
 * Issue #9 item 3: an app cannot be made to sign something the protocol would accept. Device.sign
 * refuses every label under "multikey-sync/", and the package's own signer is reachable from no
 * entry point.
 */
import { describe, expect, it } from 'vitest';
import * as clientEntry from '../../src/client/index.js';
import { Device as PublicDevice } from '../../src/index.js';
import * as rootEntry from '../../src/index.js';
import * as nodeEntry from '../../src/node.js';
import * as serverEntry from '../../src/server/index.js';
import { labelled } from '../../src/crypto/kdf.js';
import { LABELS } from '../../src/crypto/labels.js';
import { signAsProtocol } from '../../src/core/device.js';
import { CHAIN_ENTRY_VERSION, CHAIN_LABELS, entrySigningBytes } from '../../src/enrollment/chainEntry.js';
import { REQUEST_LABEL } from '../../src/http/signing.js';
import { BACKENDS } from '../support/devices.js';

const PROTOCOL_SIGNING_LABELS = [
  CHAIN_LABELS.entrySignature,
  CHAIN_LABELS.consent,
  LABELS.keyStatement,
  REQUEST_LABEL,
  LABELS.logCheckpoint,
  LABELS.encryptionKeyBinding,
  // Labels the protocol may add later are reserved too.
  'multikey-sync/',
  'multikey-sync/v3/anything',
];

describe.each(BACKENDS)('reserved signing labels on the %s backend', (backend) => {
  it.each(PROTOCOL_SIGNING_LABELS)('Device.sign refuses the protocol label %s', async (label) => {
    const device = await PublicDevice.generate({ backend });
    expect(() => device.sign(label, new Uint8Array([1, 2, 3]))).toThrowError(expect.objectContaining({ code: 'LABEL_RESERVED' }));
  });

  it('signs under an app label, and the signature verifies under that label only', async () => {
    const device = await PublicDevice.generate({ backend });
    const message = new Uint8Array([1, 2, 3]);
    const signature = device.sign('com.example.notes/v1/export', message);
    const key = device.public.identityKey;
    expect(device.suite.ed25519Verify(signature, labelled('com.example.notes/v1/export', message), key)).toBe(true);
    expect(device.suite.ed25519Verify(signature, labelled('com.example.notes/v1/other', message), key)).toBe(false);
  });

  it('a label that only looks like the prefix is not reserved, and cannot collide with it', async () => {
    const device = await PublicDevice.generate({ backend });
    // Same length as the chain-entry label, so the one-byte length prefix matches; the bytes differ.
    const lookalike = 'Multikey-sync/v1/chain-entry';
    const message = new Uint8Array(64);
    const signature = device.sign(lookalike, message);
    const asEntry = entrySigningBytes(new Uint8Array(32), { v: CHAIN_ENTRY_VERSION, t: 'remove', i: 1, prev: new Uint8Array(32), ts: 0, by: device.id, tgt: device.id });
    expect(device.suite.ed25519Verify(signature, asEntry, device.public.identityKey)).toBe(false);
  });

  it('the package signs chain entries through its internal signer', async () => {
    const device = await PublicDevice.generate({ backend });
    const message = new Uint8Array([9]);
    const signature = signAsProtocol(device, CHAIN_LABELS.entrySignature, message);
    expect(device.suite.ed25519Verify(signature, labelled(CHAIN_LABELS.entrySignature, message), device.public.identityKey)).toBe(true);
  });
});

describe('the internal signer is not part of the public API', () => {
  const entries = { root: rootEntry, client: clientEntry, node: nodeEntry, server: serverEntry };

  it.each(Object.entries(entries))('the %s entry exports no protocol signer', (_name, entry) => {
    const values = Object.values(entry as Record<string, unknown>);
    expect(values).not.toContain(signAsProtocol);
    expect(Object.keys(entry)).not.toContain('signAsProtocol');
    // No export, nor any static member of one, is a function that signs under a protocol label.
    for (const value of values) {
      if (typeof value !== 'function') continue;
      for (const name of Object.getOwnPropertyNames(value)) {
        const member = (value as unknown as Record<string, unknown>)[name];
        expect(member).not.toBe(signAsProtocol);
      }
    }
  });

  it('Device has no method besides sign that takes a label', () => {
    const methods = Object.getOwnPropertyNames(PublicDevice.prototype);
    expect(methods.filter((m) => /sign/i.test(m))).toEqual(['sign']);
  });
});
