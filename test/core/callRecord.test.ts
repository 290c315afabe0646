import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeCanonical, encodeValue } from '../../src/core/cbor.js';
import { isCallRecord, validateCallRecord, type CallRecord } from '../../src/core/callRecord.js';
import { ValidationError } from '../../src/errors.js';

const numRuns = Number(process.env.FC_RUNS ?? 200);

const JAN_2000 = Date.UTC(2000, 0, 1);
const JAN_2100 = Date.UTC(2100, 0, 1);

const answeredCall: CallRecord = {
  service: 'phone',
  direction: 'outgoing',
  answered: true,
  peer: '+14155550123',
  startedAt: Date.UTC(2024, 5, 10, 9, 30),
  durationSec: 754,
};

function codeOf(value: unknown): string | undefined {
  try {
    validateCallRecord(value);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).code;
  }
}

/** `answeredCall` with some fields replaced (or removed, when given `undefined`). */
function withFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...answeredCall, ...fields };
  for (const [k, v] of Object.entries(fields)) if (v === undefined) delete out[k];
  return out;
}

describe('a call record', () => {
  it.each([
    ['a phone call', answeredCall],
    ['a FaceTime audio call', { ...answeredCall, service: 'facetime-audio' }],
    ['a FaceTime video call', { ...answeredCall, service: 'facetime-video' }],
    ['a WhatsApp call', { ...answeredCall, service: 'voip', app: 'net.whatsapp.WhatsApp' }],
    [
      'a missed incoming call',
      { ...answeredCall, direction: 'incoming', answered: false, durationSec: 0 },
    ],
  ])('accepts %s', (_, record) => {
    expect(validateCallRecord(record)).toEqual(record);
    expect(isCallRecord(record)).toBe(true);
  });

  it('returns a fresh object with the fields in a fixed order', () => {
    const input = {
      durationSec: 1,
      app: 'com.skype.skype',
      peer: '+4930901820',
      startedAt: JAN_2000,
      answered: true,
      direction: 'incoming',
      service: 'voip',
    };
    const record = validateCallRecord(input);
    expect(record).not.toBe(input);
    expect(Object.keys(record)).toEqual([
      'service',
      'app',
      'direction',
      'answered',
      'peer',
      'startedAt',
      'durationSec',
    ]);
  });

  it('must be a plain object', () => {
    for (const value of [null, undefined, 'call', 42, [answeredCall], new Date(), new Map()]) {
      expect(codeOf(value)).toBe('CALL_NOT_OBJECT');
      expect(isCallRecord(value)).toBe(false);
    }
  });

  it('has no fields beyond the schema', () => {
    expect(codeOf(withFields({ note: 'x' }))).toBe('CALL_UNKNOWN_FIELD');
    expect(codeOf(withFields({ contactName: undefined, note: undefined, extra: 1 }))).toBe(
      'CALL_UNKNOWN_FIELD',
    );
  });

  it('names one of four services', () => {
    for (const service of ['sms', 'Phone', '', 1, undefined]) {
      expect(codeOf(withFields({ service }))).toBe('CALL_SERVICE_INVALID');
    }
  });

  describe('app', () => {
    const voip = { ...answeredCall, service: 'voip' };

    it('is required for voip calls', () => {
      expect(codeOf(voip)).toBe('CALL_APP_INVALID');
      expect(codeOf({ ...voip, app: undefined })).toBe('CALL_APP_INVALID');
    });

    it('is a reverse-DNS bundle id', () => {
      const label63 = 'a'.repeat(63);
      const longest = `com.${label63}.${label63}.${label63}.${'b'.repeat(59)}`;
      expect(longest).toHaveLength(255);
      for (const app of ['com.skype.skype', 'org.telegram.messenger', 'com.viber_voip', longest]) {
        expect(codeOf({ ...voip, app })).toBeUndefined();
      }
      const invalid = [
        'WhatsApp',
        'whatsapp.',
        '.com.x',
        'com..x',
        'com.what sapp',
        '1com.x',
        'com.x/y',
        `com.${'a'.repeat(64)}`,
        `${longest}b`,
        42,
      ];
      for (const app of invalid) expect(codeOf({ ...voip, app })).toBe('CALL_APP_INVALID');
    });

    it('is forbidden for the other services', () => {
      expect(codeOf({ ...answeredCall, app: 'net.whatsapp.WhatsApp' })).toBe('CALL_APP_INVALID');
    });

    it('may be present as undefined on other services, and is then left out', () => {
      const record = validateCallRecord({ ...answeredCall, app: undefined });
      expect('app' in record).toBe(false);
    });
  });

  it('is incoming or outgoing', () => {
    for (const direction of ['in', 'OUTGOING', true, undefined]) {
      expect(codeOf(withFields({ direction }))).toBe('CALL_DIRECTION_INVALID');
    }
  });

  it('says whether it was answered with a boolean', () => {
    for (const answered of [1, 'true', null, undefined]) {
      expect(codeOf(withFields({ answered }))).toBe('CALL_ANSWERED_INVALID');
    }
  });

  describe('peer', () => {
    it('is E.164: a plus, then 8 to 15 digits, the first not 0', () => {
      for (const peer of ['+14155550123', '+12345678', '+123456789012345', '+4930901820']) {
        expect(codeOf(withFields({ peer }))).toBeUndefined();
      }
      const invalid = [
        '14155550123',
        '+1234567',
        '+1234567890123456',
        '+04155550123',
        '+1 415 555 0123',
        '+1415555012a',
        '',
        14155550123,
        undefined,
      ];
      for (const peer of invalid) expect(codeOf(withFields({ peer }))).toBe('CALL_PEER_INVALID');
    });

    it('never appears in an error message', () => {
      const peer = '+1415555012a';
      const error = (() => {
        try {
          validateCallRecord(withFields({ peer }));
        } catch (caught) {
          return caught as Error;
        }
        throw new Error('expected a throw');
      })();
      expect(error.message).not.toContain('1415555012');
      expect(error.message).toContain('peer');
    });
  });

  it('starts at an integer millisecond from 2000-01-01 up to (not including) 2100-01-01', () => {
    for (const startedAt of [JAN_2000, JAN_2100 - 1]) {
      expect(codeOf(withFields({ startedAt }))).toBeUndefined();
    }
    const invalid = [JAN_2000 - 1, JAN_2100, 1.5e12 + 0.5, NaN, '1718000000000', new Date(), null];
    for (const startedAt of invalid) {
      expect(codeOf(withFields({ startedAt }))).toBe('CALL_STARTED_AT_INVALID');
    }
    expect(codeOf(withFields({ startedAt: undefined }))).toBe('CALL_STARTED_AT_INVALID');
  });

  it('lasts whole seconds, from 0 to 86 400', () => {
    for (const durationSec of [0, 1, 86_400]) {
      expect(codeOf(withFields({ durationSec }))).toBeUndefined();
    }
    for (const durationSec of [-1, 86_401, 1.5, NaN, '60', undefined]) {
      expect(codeOf(withFields({ durationSec }))).toBe('CALL_DURATION_INVALID');
    }
  });

  it('lasts 0 seconds when it was not answered', () => {
    expect(codeOf(withFields({ answered: false, durationSec: 5 }))).toBe('CALL_DURATION_INVALID');
  });

  it('normalises a duration of -0 to 0, so equal calls encode equally', () => {
    const record = validateCallRecord(withFields({ answered: false, durationSec: -0 }));
    expect(Object.is(record.durationSec, 0)).toBe(true);
  });

  it('does not pick up fields from a polluted Object.prototype', () => {
    Object.defineProperty(Object.prototype, 'service', { value: 'phone', configurable: true });
    try {
      expect(codeOf(withFields({ service: undefined }))).toBe('CALL_SERVICE_INVALID');
    } finally {
      delete (Object.prototype as { service?: unknown }).service;
    }
  });

  it('is not a class instance, even one with the right fields', () => {
    class Call {
      service = 'phone';
    }
    expect(codeOf(Object.assign(new Call(), answeredCall))).toBe('CALL_NOT_OBJECT');
  });
});

const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 7, maxLength: 14 });
const e164 = fc
  .tuple(fc.integer({ min: 1, max: 9 }), digits)
  .map(([first, rest]) => `+${first}${rest}`);
const label = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const topLevel = fc.stringMatching(/^[a-z][a-z0-9]{1,5}$/);
const bundleId = fc
  .tuple(topLevel, fc.array(label, { minLength: 1, maxLength: 3 }))
  .map(([tld, rest]) => [tld, ...rest].join('.'));
const callRecord: fc.Arbitrary<CallRecord> = fc
  .record({
    service: fc.constantFrom('phone', 'facetime-audio', 'facetime-video', 'voip'),
    app: bundleId,
    direction: fc.constantFrom('incoming', 'outgoing'),
    answered: fc.boolean(),
    peer: e164,
    startedAt: fc.integer({ min: JAN_2000, max: JAN_2100 - 1 }),
    durationSec: fc.integer({ min: 0, max: 86_400 }),
  })
  .map(({ app, ...r }) => ({
    ...r,
    ...(r.service === 'voip' ? { app } : {}),
    durationSec: r.answered ? r.durationSec : 0,
  }));

describe('call records on the wire', () => {
  it('round-trip through encodeValue, decodeValue and validateCallRecord unchanged', () => {
    fc.assert(
      fc.property(callRecord, (record) => {
        expect(validateCallRecord(record)).toEqual(record);
        expect(validateCallRecord(decodeValue(encodeValue(record)))).toEqual(record);
        expect(validateCallRecord(decodeValue(encodeCanonical(record)))).toEqual(record);
      }),
      { numRuns },
    );
  });

  it('all pad to the same size, because every one encodes under 256 bytes', () => {
    fc.assert(
      fc.property(callRecord, (record) => {
        expect(encodeValue(record).length).toBeLessThan(256);
      }),
      { numRuns },
    );
  });
});
