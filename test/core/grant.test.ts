import { describe, expect, it } from 'vitest';
import { DeviceDirectory } from '../../src/core/deviceDirectory.js';
import { grantEnvelope, openWithGrant } from '../../src/core/grant.js';
import { seal } from '../../src/core/seal.js';
import { ACCOUNT, BACKENDS, HEAD, makeDevices, sampleCall } from '../support/devices.js';

describe.each(BACKENDS)('history grants on the %s backend', (backend) => {
  it('a device enrolled later opens an old record through a grant from one that could', async () => {
    const [phone, laptop, stranger] = await makeDevices(3, backend);
    const before = new DeviceDirectory([phone!.public]);
    const env = seal(phone!, ACCOUNT, before, { body: sampleCall, revision: 0, sequence: 0, chainHead: HEAD });
    const grant = grantEnvelope(phone!, ACCOUNT, before, env, laptop!.public);
    expect(grant).toHaveLength(113);
    const after = new DeviceDirectory([phone!.public, laptop!.public]);
    expect(openWithGrant(laptop!, ACCOUNT, after, env, grant!).body).toEqual(sampleCall);
    // The grant is only for the laptop.
    expect(() => openWithGrant(stranger!, ACCOUNT, after, env, grant!)).toThrowError(expect.objectContaining({ code: 'GRANT_TAMPERED' }));
    // A device that is not a recipient cannot grant.
    expect(grantEnvelope(stranger!, ACCOUNT, before, env, laptop!.public)).toBeNull();
  });

  it('a grant opens only the envelope it was made for, and only from a known grantor', async () => {
    const [phone, laptop] = await makeDevices(2, backend);
    const dir = new DeviceDirectory([phone!.public, laptop!.public]);
    const one = seal(phone!, ACCOUNT, [phone!.public], { body: 1, revision: 0, sequence: 0, chainHead: HEAD });
    const two = seal(phone!, ACCOUNT, [phone!.public], { body: 2, revision: 0, sequence: 1, chainHead: HEAD });
    const grant = grantEnvelope(phone!, ACCOUNT, dir, one, laptop!.public)!;
    expect(() => openWithGrant(laptop!, ACCOUNT, dir, two, grant)).toThrowError(expect.objectContaining({ code: 'GRANT_MISMATCH' }));
    expect(() => openWithGrant(laptop!, ACCOUNT, new DeviceDirectory([laptop!.public]), one, grant)).toThrowError(
      expect.objectContaining({ code: 'GRANT_UNKNOWN_GRANTOR' }),
    );
    const bad = grant.slice();
    bad[100]! ^= 1;
    expect(() => openWithGrant(laptop!, ACCOUNT, dir, one, bad)).toThrowError(expect.objectContaining({ code: 'GRANT_TAMPERED' }));
    expect(() => openWithGrant(laptop!, ACCOUNT, dir, one, grant.subarray(1))).toThrowError(expect.objectContaining({ code: 'GRANT_MALFORMED' }));
  });
});
