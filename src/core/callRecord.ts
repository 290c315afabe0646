/**
 * The worked-example record: one entry of a phone's call history.
 *
 * Records arrive from other devices after decryption, so every field is checked as untrusted
 * input. Error messages name the field and the rule, never the value: a peer is a phone number.
 */
import { ValidationError } from '../errors.js';

/** How the call was carried. `voip` means a third-party app, named by {@link CallRecord.app}. */
export type CallService = 'phone' | 'facetime-audio' | 'facetime-video' | 'voip';

/** Who placed the call, seen from this person. */
export type CallDirection = 'incoming' | 'outgoing';

/** One call in the history. */
export interface CallRecord {
  service: CallService;
  /** Bundle id of the VoIP app in reverse-DNS form (`net.whatsapp.WhatsApp`); only for `voip`. */
  app?: string;
  direction: CallDirection;
  /** `false` for a missed or unanswered call. */
  answered: boolean;
  /** The other party in E.164 form: `+`, then 8 to 15 digits, the first not 0. */
  peer: string;
  /** Start time in integer milliseconds since the Unix epoch, in [2000-01-01, 2100-01-01). */
  startedAt: number;
  /** Whole seconds, 0 to 86 400; always 0 when the call was not answered. */
  durationSec: number;
}

const SERVICES: ReadonlySet<unknown> = new Set<CallService>([
  'phone',
  'facetime-audio',
  'facetime-video',
  'voip',
]);
const DIRECTIONS: ReadonlySet<unknown> = new Set<CallDirection>(['incoming', 'outgoing']);
const FIELDS: ReadonlySet<string> = new Set([
  'service',
  'app',
  'direction',
  'answered',
  'peer',
  'startedAt',
  'durationSec',
]);

const E164 = /^\+[1-9][0-9]{7,14}$/;
// At least two dot-separated labels, the first starting with a letter; `_` appears in Android
// package names. The 255-character cap is ours: generous for real ids, small for attackers.
const BUNDLE_ID = /^[A-Za-z][A-Za-z0-9_-]{0,62}(?:\.[A-Za-z0-9_-]{1,63})+$/;
const MAX_BUNDLE_ID = 255;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST_EXCLUSIVE = Date.UTC(2100, 0, 1);
const MAX_DURATION_SEC = 86_400;

function invalid(code: string, message: string): ValidationError {
  return new ValidationError(code, `call record: ${message}`);
}

/** Own properties only: an inherited `service` must not satisfy the schema. */
function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/**
 * Checks an untrusted value against the call-record rules and returns a fresh object holding
 * exactly the record's fields (`app` only for `voip`). An `app` property whose value is
 * `undefined` counts as absent, as it does for TypeScript's optional properties.
 *
 * @throws ValidationError `CALL_NOT_OBJECT`, `CALL_UNKNOWN_FIELD`, `CALL_SERVICE_INVALID`,
 *   `CALL_APP_INVALID`, `CALL_DIRECTION_INVALID`, `CALL_ANSWERED_INVALID`, `CALL_PEER_INVALID`,
 *   `CALL_STARTED_AT_INVALID`, `CALL_DURATION_INVALID`.
 */
export function validateCallRecord(value: unknown): CallRecord {
  if (!isPlainObject(value)) throw invalid('CALL_NOT_OBJECT', 'not a plain object');
  for (const key of Object.keys(value)) {
    if (!FIELDS.has(key)) throw invalid('CALL_UNKNOWN_FIELD', 'has a field outside the schema');
  }
  const service = own(value, 'service');
  if (!SERVICES.has(service)) {
    throw invalid('CALL_SERVICE_INVALID', 'service is not one of the known services');
  }
  const app = own(value, 'app');
  if (service === 'voip') {
    if (typeof app !== 'string' || app.length > MAX_BUNDLE_ID || !BUNDLE_ID.test(app)) {
      throw invalid('CALL_APP_INVALID', 'app must be a reverse-DNS bundle id for voip calls');
    }
  } else if (app !== undefined) {
    throw invalid('CALL_APP_INVALID', 'app is only allowed when service is voip');
  }
  const direction = own(value, 'direction');
  if (!DIRECTIONS.has(direction)) {
    throw invalid('CALL_DIRECTION_INVALID', 'direction must be incoming or outgoing');
  }
  const answered = own(value, 'answered');
  if (typeof answered !== 'boolean') {
    throw invalid('CALL_ANSWERED_INVALID', 'answered must be a boolean');
  }
  const peer = own(value, 'peer');
  if (typeof peer !== 'string' || !E164.test(peer)) {
    throw invalid('CALL_PEER_INVALID', 'peer must be an E.164 number (+ and 8 to 15 digits)');
  }
  const startedAt = own(value, 'startedAt');
  if (
    typeof startedAt !== 'number' ||
    !Number.isInteger(startedAt) ||
    startedAt < EARLIEST ||
    startedAt >= LATEST_EXCLUSIVE
  ) {
    throw invalid(
      'CALL_STARTED_AT_INVALID',
      'startedAt must be integer milliseconds from 2000-01-01 up to 2100-01-01',
    );
  }
  const durationSec = own(value, 'durationSec');
  if (
    typeof durationSec !== 'number' ||
    !Number.isInteger(durationSec) ||
    durationSec < 0 ||
    durationSec > MAX_DURATION_SEC
  ) {
    throw invalid('CALL_DURATION_INVALID', 'durationSec must be whole seconds from 0 to 86400');
  }
  if (!answered && durationSec !== 0) {
    throw invalid('CALL_DURATION_INVALID', 'durationSec must be 0 for an unanswered call');
  }

  // Two literals rather than a conditional spread: half the cost, and `app` stays in place.
  // `+ 0` turns -0 into 0, so equal records always encode to equal bytes.
  if (service === 'voip') {
    return {
      service,
      app: app as string,
      direction: direction as CallDirection,
      answered,
      peer,
      startedAt,
      durationSec: durationSec + 0,
    };
  }
  return {
    service: service as CallService,
    direction: direction as CallDirection,
    answered,
    peer,
    startedAt,
    durationSec: durationSec + 0,
  };
}

/**
 * True when {@link validateCallRecord} would accept `value`.
 *
 * @throws only what a property getter of `value` throws; validation failures return false.
 */
export function isCallRecord(value: unknown): value is CallRecord {
  try {
    validateCallRecord(value);
    return true;
  } catch (error) {
    if (error instanceof ValidationError) return false;
    throw error;
  }
}
