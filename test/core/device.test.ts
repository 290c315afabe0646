import { describe, expect, it } from 'vitest';
import { Device } from '../../src/core/device.js';
import { decodeDevicePublic, deviceIdOf, encodeDevicePublic } from '../../src/core/devicePublic.js';
import { isMultikeySyncError } from '../../src/errors.js';
import { BACKENDS, FAST_ARGON } from '../support/devices.js';


async function codeOfAsync(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (!isMultikeySyncError(e)) throw e;
    return e.code;
  }
}

describe.each(BACKENDS)('device identity on the %s backend', (backend) => {
  it('derives the device id from the identity key and binds the encryption key by signature', async () => {
    const d = await Device.generate({ backend });
    expect(d.id).toHaveLength(16);
    expect(d.id).toEqual(deviceIdOf(d.suite, d.public.identityKey));
    const card = decodeDevicePublic(d.suite, encodeDevicePublic(d.public));
    expect(card).toEqual(d.public);
  });

  it('rejects a card whose encryption key was swapped', async () => {
    const [a, b] = [await Device.generate({ backend }), await Device.generate({ backend })];
    const bytes = encodeDevicePublic(a.public);
    bytes.set(b.public.encryptionKey, 33);
    expect(() => decodeDevicePublic(a.suite, bytes)).toThrowError(expect.objectContaining({ code: 'DEVICE_BINDING_INVALID' }));
    expect(() => decodeDevicePublic(a.suite, bytes.subarray(1))).toThrowError(expect.objectContaining({ code: 'DEVICE_CARD_MALFORMED' }));
  });

  it('round-trips its secrets as bytes', async () => {
    const d = await Device.generate({ backend });
    const again = await Device.fromSecrets(d.exportSecrets(), { backend });
    expect(again.public).toEqual(d.public);
    expect(await codeOfAsync(Device.fromSecrets(new Uint8Array(64), { backend }))).toBe('DEVICE_SECRETS_MALFORMED');
  });

  it('round-trips its secrets under a passphrase, and refuses a wrong one', async () => {
    const d = await Device.generate({ backend });
    const blob = await d.exportWithPassphrase('correct horse battery staple', FAST_ARGON);
    expect(blob).toHaveLength(135);
    const again = await Device.fromPassphraseBlob(blob, 'correct horse battery staple', { backend });
    expect(again.public).toEqual(d.public);
    expect(await codeOfAsync(Device.fromPassphraseBlob(blob, 'wrong', { backend }))).toBe('PASSPHRASE_WRONG');
    const tampered = blob.slice();
    tampered[100]! ^= 1;
    expect(await codeOfAsync(Device.fromPassphraseBlob(tampered, 'correct horse battery staple', { backend }))).toBe('PASSPHRASE_WRONG');
  });

  it('refuses passphrase blobs that demand unbounded work or are malformed', async () => {
    const d = await Device.generate({ backend });
    const blob = await d.exportWithPassphrase('pw', FAST_ARGON);
    const greedy = blob.slice();
    new DataView(greedy.buffer).setUint32(10, 4 * 1024 * 1024); // 4 GiB
    expect(await codeOfAsync(Device.fromPassphraseBlob(greedy, 'pw', { backend }))).toBe('PASSPHRASE_BLOB_MALFORMED');
    expect(await codeOfAsync(Device.fromPassphraseBlob(blob.subarray(1), 'pw', { backend }))).toBe('PASSPHRASE_BLOB_MALFORMED');
    expect(await codeOfAsync(d.exportWithPassphrase('', FAST_ARGON))).toBe('PASSPHRASE_EMPTY');
    expect(await codeOfAsync(d.exportWithPassphrase('pw', { opsLimit: 0, memLimitBytes: 1 }))).toBe('ARGON2_PARAMS_INVALID');
  });

  it('signs under a domain label', async () => {
    const d = await Device.generate({ backend });
    const msg = new Uint8Array([1, 2, 3]);
    const sig = d.sign('com.example/v1/test', msg);
    const { labelled } = await import('../../src/crypto/kdf.js');
    expect(d.suite.ed25519Verify(sig, labelled('com.example/v1/test', msg), d.public.identityKey)).toBe(true);
    expect(d.suite.ed25519Verify(sig, labelled('com.example/v1/other', msg), d.public.identityKey)).toBe(false);
  });

  it('refuses to work once wiped', async () => {
    const d = await Device.generate({ backend });
    d.wipe();
    expect(() => d.exportSecrets()).toThrowError(expect.objectContaining({ code: 'DEVICE_WIPED' }));
  });
});

describe('passphrase blobs across backends', () => {
  it('a blob sealed with libsodium opens with noble', async () => {
    const d = await Device.generate({ backend: 'sodium' });
    const blob = await d.exportWithPassphrase('pässwörd', FAST_ARGON);
    const again = await Device.fromPassphraseBlob(blob, 'pässwörd', { backend: 'noble' });
    expect(again.public).toEqual(d.public);
  });
});
