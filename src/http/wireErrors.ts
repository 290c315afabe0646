/**
 * The error catalogue of the HTTP API. Every refusal is a CBOR map `{code, message}` with the
 * status below; the code is stable, the message is for people and never contains keys, bodies
 * or ids. "retry" marks codes a client may retry with backoff (the request had no effect);
 * everything else is final for that request.
 */

interface WireErrorSpec {
  readonly status: number;
  readonly retry: boolean;
  readonly meaning: string;
}

function spec(status: number, meaning: string, retry = false): WireErrorSpec {
  return { status, retry, meaning };
}

/** Every code the server sends, with its HTTP status. */
export const WIRE_ERRORS = {
  BAD_REQUEST: spec(400, 'malformed CBOR, a wrong shape, a bad query parameter or header'),
  AUTH_REQUIRED: spec(401, 'a signed route was called without the mks-* headers'),
  SIGNATURE_INVALID: spec(401, 'the request signature does not verify against the device key'),
  REQUEST_STALE: spec(401, 'mks-time is more than 5 minutes from the server clock; the response carries mks-server-time'),
  REQUEST_REPLAYED: spec(401, 'this device already used this nonce'),
  DEVICE_UNKNOWN: spec(401, 'the device is not (or not yet) active in the account chain'),
  DEVICE_REVOKED: spec(403, 'the device was removed from the account chain'),
  ADMISSION_DENIED: spec(403, "the server's admission policy refuses to create this account (e.g. a missing or wrong admission token)"),
  SENDER_MISMATCH: spec(403, 'a pushed envelope names another sender than the signing device'),
  DEVICE_CANNOT_WRITE: spec(403, 'the recovery key may read and add a device, but not push or purge'),
  ACCOUNT_NOT_FOUND: spec(404, 'no account with this id'),
  NOT_FOUND: spec(404, 'no such route'),
  ACCOUNT_EXISTS: spec(409, 'an account with this genesis already exists'),
  CHAIN_CONFLICT: spec(409, 'the chain head moved; re-read the chain and rebuild the entry'),
  MAILBOX_FULL: spec(409, 'a live message already sits under this mailbox id'),
  LOG_CONFLICT: spec(409, "the checkpoint does not extend the device's log on the server; read the head (GET logs/:device)"),
  LOG_CUT_STALE: spec(409, "a remove or rotate names a log head that is no longer the device's; pull and rebuild the entry"),
  BODY_TOO_LARGE: spec(413, 'the request body exceeds the limit of this route'),
  BATCH_TOO_LARGE: spec(413, 'too many envelopes in one push'),
  UNSUPPORTED_MEDIA_TYPE: spec(415, 'the body is not application/cbor'),
  CHAIN_ENTRY_REJECTED: spec(422, 'the chain rules reject the entry; the message names the CHAIN_* code'),
  ENVELOPE_INVALID: spec(422, 'a pushed envelope fails parsing; the message names its index and ENVELOPE_* code'),
  RECIPIENT_REVOKED: spec(422, 'a pushed envelope is sealed for a device the chain removed; refresh the chain and seal again'),
  LOG_INVALID: spec(422, "the log checkpoint is malformed, not the signing device's, or does not verify"),
  REVISION_JUMP: spec(422, 'a pushed version jumps more than 65,536 revisions over the stored one'),
  LOG_MISMATCH: spec(422, 'the log checkpoint does not claim exactly the pushed envelopes (or a purge claims envelopes)'),
  RATE_LIMITED: spec(429, 'too many requests; wait Retry-After seconds', true),
  INTERNAL: spec(500, 'an unexpected server failure (details are never sent)', true),
  CHAIN_CORRUPT: spec(500, "the server's stored chain for the account does not verify; its operator must repair it"),
  UNAVAILABLE: spec(503, 'the database is unreachable or the server is shutting down', true),
  SERVER_BUSY: spec(503, 'the server is receiving too many request bodies at once; wait Retry-After seconds', true),
  STORE_READ_ONLY: spec(503, "the server's database refuses writes (read-only file or database); nothing was stored", true),
  STORE_BUSY: spec(503, "the server's database stayed locked or out of connections; nothing was stored", true),
  QUOTA_EXCEEDED: spec(507, 'the push would exceed the account storage quota; nothing was stored'),
  STORE_FULL: spec(507, "the server's disk is full; nothing was stored until its operator frees space"),
} as const satisfies Record<string, WireErrorSpec>;

/** A code the server sends. */
export type WireErrorCode = keyof typeof WIRE_ERRORS;

/** The body of every error response. */
export interface ErrorBody {
  code: string;
  message: string;
}

/** The status the catalogue gives `code`. */
export function statusOf(code: WireErrorCode): number {
  return WIRE_ERRORS[code].status;
}

/** True for the codes of the catalogue. */
export function isWireErrorCode(code: string): code is WireErrorCode {
  return Object.prototype.hasOwnProperty.call(WIRE_ERRORS, code);
}
