import { describe, expect, it } from 'vitest';
import { GRANT_BYTES, grantEnvelope, grantParts, makeGrant, openWithGrant } from '../../src/core/grant.js';
import { seal, sealEnvelope } from '../../src/core/seal.js';
import { ACCOUNT, BACKENDS, makeDevices, sampleCall } from '../support/devices.js';
import { TestKeys } from '../support/pairKeys.js';

const code = (code: string) => expect.objectContaining({ code });

describe.each(BACKENDS)('history grants on the %s backend', (backend) => {
  it('a device enrolled later opens an old record through a grant from one that could', async () => {
    const [phone, laptop, stranger] = await makeDevices(3, backend);
    const keys = TestKeys.among([phone!, laptop!, stranger!]);
    const env = seal(phone!, ACCOUNT, keys.recipients(phone!, [phone!]), { body: sampleCall, revision: 0 });
    const grant = grantEnvelope(phone!, ACCOUNT, keys.lookup(phone!), env, keys.recipients(phone!, [laptop!])[0]!);
    expect(grant).toHaveLength(GRANT_BYTES);
    expect(openWithGrant(laptop!, ACCOUNT, keys.lookup(laptop!), env, grant!).body).toEqual(sampleCall);
    // The grant is only for the laptop: the stranger's pair key from the phone is another key.
    expect(() => openWithGrant(stranger!, ACCOUNT, keys.lookup(stranger!), env, grant!)).toThrowError(code('GRANT_TAMPERED'));
    // A device that is not a recipient cannot grant.
    expect(grantEnvelope(stranger!, ACCOUNT, keys.lookup(stranger!), env, keys.recipients(stranger!, [laptop!])[0]!)).toBeNull();
  });

  it('needs no envelope: a grantor that kept the content key with its copy grants from that', async () => {
    const [phone, laptop] = await makeDevices(2, backend);
    const keys = TestKeys.among([phone!, laptop!]);
    const sealed = sealEnvelope(phone!, ACCOUNT, keys.recipients(phone!, [phone!]), { body: 'kept', revision: 2 });
    const grant = makeGrant(phone!, keys.recipients(phone!, [laptop!])[0]!, sealed.recordId, sealed.hash, sealed.contentKey);
    expect(grantParts(grant)).toMatchObject({ ref: 1, grantor: phone!.id, hash: sealed.hash, recordId: sealed.recordId });
    expect(openWithGrant(laptop!, ACCOUNT, keys.lookup(laptop!), sealed.bytes, grant).body).toBe('kept');
  });

  it('a grant opens only the envelope it was made for, with a key the recipient holds, and only the committed key', async () => {
    const [phone, laptop] = await makeDevices(2, backend);
    const keys = TestKeys.among([phone!, laptop!]);
    const to = keys.recipients(phone!, [phone!]);
    const one = seal(phone!, ACCOUNT, to, { body: 1, revision: 0 });
    const two = seal(phone!, ACCOUNT, to, { body: 2, revision: 0 });
    const forLaptop = keys.recipients(phone!, [laptop!])[0]!;
    const grant = grantEnvelope(phone!, ACCOUNT, keys.lookup(phone!), one, forLaptop)!;
    expect(() => openWithGrant(laptop!, ACCOUNT, keys.lookup(laptop!), two, grant)).toThrowError(code('GRANT_MISMATCH'));
    expect(() => openWithGrant(laptop!, ACCOUNT, { get: () => undefined }, one, grant)).toThrowError(code('GRANT_KEY_UNKNOWN'));
    const bad = grant.slice();
    bad[100] = bad[100]! ^ 1;
    expect(() => openWithGrant(laptop!, ACCOUNT, keys.lookup(laptop!), one, bad)).toThrowError(code('GRANT_TAMPERED'));
    expect(() => openWithGrant(laptop!, ACCOUNT, keys.lookup(laptop!), one, grant.subarray(1))).toThrowError(code('GRANT_MALFORMED'));
    // A grantor handing over another key than the envelope commits to is caught before decryption.
    const sealed = sealEnvelope(phone!, ACCOUNT, to, { body: 3, revision: 0 });
    const wrongKey = makeGrant(phone!, forLaptop, sealed.recordId, sealed.hash, new Uint8Array(32).fill(3));
    expect(() => openWithGrant(laptop!, ACCOUNT, keys.lookup(laptop!), sealed.bytes, wrongKey)).toThrowError(code('ENVELOPE_KEY_COMMITMENT'));
  });
});
