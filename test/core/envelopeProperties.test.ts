/**
 * Properties of seal/open over random records and device sets, and everything hostile handed
 * to open(): the reader either gets exactly the record that was sealed, null (not addressed to
 * it), or a typed error — never another record, a crash or a hang. Pair keys are established the
 * way the protocol does it (test/support/pairKeys.ts): one X-Wing encapsulation per ordered pair.
 */
import fc from 'fast-check';
import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Device } from '../../src/core/device.js';
import { HEADER_BYTES, STANZA_BYTES, STANZA_LABEL_BYTES } from '../../src/core/envelopeFormat.js';
import { open, type PairKeyLookup } from '../../src/core/open.js';
import { seal } from '../../src/core/seal.js';
import { isMultikeySyncError } from '../../src/errors.js';
import { ACCOUNT, BACKENDS, FC_RUNS, makeDevices } from '../support/devices.js';
import { TestKeys } from '../support/pairKeys.js';

type Outcome = { kind: 'record'; body: unknown } | { kind: 'null' } | { kind: 'error'; code: string };

/** Where the recipient count sits in the header (u16 at 73..75). */
const COUNT_AT = 73;

function attempt(reader: Device, keys: PairKeyLookup, bytes: Uint8Array): Outcome {
  try {
    const opened = open(reader, ACCOUNT, keys, bytes);
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
    const keys = TestKeys.among(pool);
    fc.assert(
      fc.property(jsonish, fc.subarray(pool, { minLength: 1 }), fc.nat(6), (body, recipients, senderIndex) => {
        const sender = pool[senderIndex]!;
        const env = seal(sender, ACCOUNT, keys.recipients(sender, recipients), { body, revision: 1 });
        for (const reader of pool) {
          const got = attempt(reader, keys.lookup(reader), env);
          if (recipients.includes(reader)) expect(got).toEqual({ kind: 'record', body });
          else expect(got).toEqual({ kind: 'null' });
        }
      }),
      { numRuns: Math.ceil(FC_RUNS / 4) },
    );
  });

  it('one flipped bit anywhere never yields a different record, and only another recipient\'s wrap is outside H', async () => {
    const [a, b, c] = await makeDevices(3, backend);
    const keys = TestKeys.among([a!, b!, c!]);
    const body = { peer: '+14155550123', durationSec: 42 };
    const env = seal(a!, ACCOUNT, keys.recipients(a!, [a!, b!, c!]), { body, revision: 2 });
    const stanzasAt = env.length - 3 * STANZA_BYTES;
    const bStanza = stanzasAt + STANZA_BYTES; // b is the second of three stanzas
    fc.assert(
      fc.property(fc.nat(env.length * 8 - 1), (bit) => {
        const bad = env.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const at = bit >> 3;
        const got = attempt(b!, keys.lookup(b!), bad);
        const inOtherStanza = at >= stanzasAt && (at < bStanza || at >= bStanza + STANZA_BYTES);
        const inOtherWrap = inOtherStanza && (at - stanzasAt) % STANZA_BYTES >= STANZA_LABEL_BYTES;
        if (got.kind === 'record') {
          // Only damage to another recipient's wrap leaves b's view intact, and then b reads
          // exactly what was sealed.
          expect(inOtherWrap).toBe(true);
          expect(got.body).toEqual(body);
        } else if (at < HEADER_BYTES && at !== COUNT_AT && at !== COUNT_AT + 1) {
          // Header damage (other than the recipient count, which reshapes the envelope) is caught.
          expect(got.kind).toBe('error');
        } else if (inOtherStanza && !inOtherWrap) {
          // Another stanza's recipient id or key ref is in H: b sees it changed.
          expect(got).toEqual({ kind: 'error', code: 'ENVELOPE_TAMPERED' });
        }
      }),
      { numRuns: FC_RUNS * 2 },
    );
  });

  it('a truncation anywhere yields a typed error or null, never a record', async () => {
    const [a, b] = await makeDevices(2, backend);
    const keys = TestKeys.among([a!, b!]);
    const env = seal(a!, ACCOUNT, keys.recipients(a!, [a!, b!]), { body: { x: 'y'.repeat(400) }, revision: 1 });
    for (let length = 0; length < env.length; length++) {
      expect(attempt(b!, keys.lookup(b!), env.subarray(0, length)).kind, `length ${length}`).not.toBe('record');
    }
  });
});

describe('hostile input to open()', () => {
  it('random bytes, a 64 MiB blob, huge declared counts and wrong types get typed errors (a hang would hit the test timeout)', async () => {
    const [a] = await makeDevices(1, 'sodium');
    const keys = TestKeys.among([a!]);
    const cases: unknown[] = [
      new Uint8Array(0),
      randomFillSync(new Uint8Array(1000)),
      randomFillSync(new Uint8Array(64 * 1024 * 1024)),
      Uint8Array.from([2, 2, 0, ...new Uint8Array(70), 0xff, 0xff]), // 65,535 recipients declared, none present
      Uint8Array.from([2, 2, 0, ...new Uint8Array(70), 0x04, 0x00]), // 1024 recipients declared, none present
      'not bytes',
      null,
      [1, 2, 3],
    ];
    for (const input of cases) {
      let code: string | undefined;
      try {
        open(a!, ACCOUNT, keys.lookup(a!), input as Uint8Array);
      } catch (error) {
        if (!isMultikeySyncError(error)) throw error;
        code = error.code;
      }
      expect(code).toMatch(/^ENVELOPE_/);
    }
  });
});
