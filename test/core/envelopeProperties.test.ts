/**
 * Properties of seal/open over random records and device sets, and everything hostile handed
 * to open(): the reader either gets exactly the record that was sealed, null (not addressed to
 * it), or a typed error — never another record, a crash or a hang.
 */
import fc from 'fast-check';
import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Device } from '../../src/core/device.js';
import { DeviceDirectory } from '../../src/core/deviceDirectory.js';
import { HEADER_BYTES, STANZA_BYTES } from '../../src/core/envelopeFormat.js';
import { open } from '../../src/core/open.js';
import { seal } from '../../src/core/seal.js';
import { isMultikeySyncError } from '../../src/errors.js';
import { ACCOUNT, BACKENDS, FC_RUNS, HEAD, makeDevices } from '../support/devices.js';

type Outcome = { kind: 'record'; body: unknown } | { kind: 'null' } | { kind: 'error'; code: string };

function attempt(reader: Device, dir: DeviceDirectory, bytes: Uint8Array): Outcome {
  try {
    const opened = open(reader, ACCOUNT, dir, bytes);
    return opened === null ? { kind: 'null' } : { kind: 'record', body: opened.body };
  } catch (error) {
    if (!isMultikeySyncError(error)) throw error; // a crash, not a typed refusal
    return { kind: 'error', code: error.code };
  }
}

const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string(),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe.each(BACKENDS)('envelope properties on the %s backend', (backend) => {
  it('random records sealed for random device sets open to the same record on every recipient, and null elsewhere', async () => {
    const pool = await makeDevices(7, backend);
    fc.assert(
      fc.property(jsonish, fc.subarray(pool, { minLength: 1 }), fc.nat(6), (body, recipients, senderIndex) => {
        const sender = pool[senderIndex]!;
        const dir = new DeviceDirectory(new Set([sender.public, ...recipients.map((d) => d.public)]));
        const env = seal(sender, ACCOUNT, recipients.map((d) => d.public), { body, revision: 1, sequence: 1, chainHead: HEAD });
        for (const reader of pool) {
          const got = attempt(reader, dir, env);
          if (recipients.includes(reader)) expect(got).toEqual({ kind: 'record', body });
          else expect(got).toEqual({ kind: 'null' });
        }
      }),
      { numRuns: Math.ceil(FC_RUNS / 4) },
    );
  });

  it('one flipped bit anywhere never yields a different record', async () => {
    const [a, b, c] = await makeDevices(3, backend);
    const dir = new DeviceDirectory([a!.public, b!.public, c!.public]);
    const body = { peer: '+14155550123', durationSec: 42 };
    const env = seal(a!, ACCOUNT, dir, { body, revision: 2, sequence: 5, chainHead: HEAD });
    const bStanza = env.length - 2 * STANZA_BYTES; // b is the second of three stanzas
    fc.assert(
      fc.property(fc.nat(env.length * 8 - 1), (bit) => {
        const bad = env.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const at = bit >> 3;
        const got = attempt(b!, dir, bad);
        const inOtherStanza = at >= env.length - 3 * STANZA_BYTES && (at < bStanza || at >= bStanza + STANZA_BYTES);
        if (got.kind === 'record') {
          // Only damage to another recipient's stanza leaves b's view intact, and then b reads
          // exactly what was sealed.
          expect(inOtherStanza).toBe(true);
          expect(got.body).toEqual(body);
        } else if (at < HEADER_BYTES && at !== 77 && at !== 78) {
          // Header damage (other than the recipient count, which reshapes the envelope) is caught.
          expect(got.kind).toBe('error');
        }
      }),
      { numRuns: FC_RUNS * 2 },
    );
  });

  it('a truncation anywhere yields a typed error or null, never a record', async () => {
    const [a, b] = await makeDevices(2, backend);
    const dir = new DeviceDirectory([a!.public, b!.public]);
    const env = seal(a!, ACCOUNT, dir, { body: { x: 'y'.repeat(400) }, revision: 1, sequence: 1, chainHead: HEAD });
    for (let length = 0; length < env.length; length++) {
      expect(attempt(b!, dir, env.subarray(0, length)).kind, `length ${length}`).not.toBe('record');
    }
  });
});

describe('hostile input to open()', () => {
  it('random bytes, a 64 MiB blob, huge declared counts and wrong types get typed errors (a hang would hit the test timeout)', async () => {
    const [a] = await makeDevices(1, 'sodium');
    const dir = new DeviceDirectory([a!.public]);
    const cases: unknown[] = [
      new Uint8Array(0),
      randomFillSync(new Uint8Array(1000)),
      randomFillSync(new Uint8Array(64 * 1024 * 1024)),
      Uint8Array.from([1, 1, 0, ...new Uint8Array(74), 0xff, 0xff]), // 65,535 recipients declared, none present
      'not bytes',
      null,
      [1, 2, 3],
    ];
    for (const input of cases) {
      let code: string | undefined;
      try {
        open(a!, ACCOUNT, dir, input as Uint8Array);
      } catch (error) {
        if (!isMultikeySyncError(error)) throw error;
        code = error.code;
      }
      expect(code).toMatch(/^ENVELOPE_/);
    }
  });
});
