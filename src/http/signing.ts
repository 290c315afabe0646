/**
 * Request signing. Every signed request carries five headers:
 *
 * | header        | value                                                      |
 * |---------------|------------------------------------------------------------|
 * | mks-account   | account id, 64 lower-case hex characters                   |
 * | mks-device    | device id, 32 hex characters                               |
 * | mks-time      | the device clock in ms since the epoch, decimal            |
 * | mks-nonce     | 16 random bytes, 32 hex characters, never reused           |
 * | mks-signature | Ed25519 signature, 128 hex characters                      |
 *
 * The signature is the device identity key's over
 * `len(label) ‖ label ‖ canonicalCBOR([method, origin, pathAndQuery, bodyHash, account, device, time, nonce])`
 * with label `multikey-sync/v1/request`, where `method` is upper case, `origin` is
 * `scheme://host:port` of the server the client calls ({@link requestOrigin}; so a request
 * made for one server does not verify at another holding the same account), `pathAndQuery` is
 * the path from `/v1/` on plus the query string exactly as sent (so a proxy may strip a prefix
 * in front of `/v1` but must not rewrite the rest), `bodyHash` is BLAKE2b-256 of
 * `len(label) ‖ label ‖ body` with label `multikey-sync/v1/request-body` (the empty body
 * included), account, device and nonce are byte strings and time an integer.
 */
import { UsageError } from '../errors.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import { labelled, labelledHash } from '../crypto/kdf.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { encodeCanonical } from '../core/cbor.js';
import { signAsProtocol, type Device } from '../core/device.js';
import { HEADERS } from './routes.js';

/** Domain label of request signatures. */
export const REQUEST_LABEL = 'multikey-sync/v1/request';
/** Domain label of the body hash. */
export const REQUEST_BODY_LABEL = 'multikey-sync/v1/request-body';
/** Largest accepted distance between mks-time and the server clock. */
export const REQUEST_MAX_SKEW_MS = 5 * 60_000;
/** How long the server remembers a nonce after the request's own time; covers the skew window. */
export const NONCE_RETENTION_MS = 10 * 60_000;
export const NONCE_BYTES = 16;
export const SIGNATURE_BYTES = 64;
const ACCOUNT_HEX = 64;
const DEVICE_HEX = 32;

/** What a request signature covers. */
export interface SignedFields {
  method: string;
  /** `scheme://host:port`, as {@link requestOrigin} forms it. */
  origin: string;
  pathAndQuery: string;
  bodyHash: Uint8Array;
  accountId: Uint8Array;
  deviceId: Uint8Array;
  time: number;
  nonce: Uint8Array;
}

/** The five signing headers, parsed. */
export interface AuthHeaders {
  accountId: Uint8Array;
  deviceId: Uint8Array;
  time: number;
  nonce: Uint8Array;
  signature: Uint8Array;
}

/** Result of {@link readAuthHeaders}. */
export type AuthHeadersResult =
  | { kind: 'ok'; headers: AuthHeaders }
  | { kind: 'missing' }
  | { kind: 'malformed'; message: string };

/** BLAKE2b-256 of the body under {@link REQUEST_BODY_LABEL}. */
export function requestBodyHash(suite: CryptoProvider, body: Uint8Array): Uint8Array {
  return labelledHash(suite, REQUEST_BODY_LABEL, 32, body);
}

/** `len(label) ‖ label` of the body hash: what a server reads a body in behind (see {@link labelledBodyHash}). */
export const REQUEST_BODY_PREFIX: Uint8Array = labelled(REQUEST_BODY_LABEL);

/** {@link requestBodyHash} of a body already behind its {@link REQUEST_BODY_PREFIX}, without copying it. */
export function labelledBodyHash(suite: CryptoProvider, prefixedBody: Uint8Array): Uint8Array {
  return suite.blake2b(32, prefixedBody);
}

/**
 * The origin a request is signed for (docs/protocol.md §22): `scheme "://" host ":" port`, with
 * the scheme `http` or `https` in lower case, the host in lower case (a DNS name as ASCII with
 * A-labels, an IPv4 address in dotted decimal, an IPv6 address in brackets in RFC 5952 form),
 * and the port always written, in decimal, 80 or 443 included. Here the URL parser of the
 * platform does the normalising; the rule itself does not depend on it.
 * @throws {UsageError} `ORIGIN_INVALID` for a URL that does not parse or is not http(s).
 */
export function requestOrigin(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch (cause) {
    throw new UsageError('ORIGIN_INVALID', 'the server URL does not parse', { cause });
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw new UsageError('ORIGIN_INVALID', 'the server URL must be http or https');
  const port = parsed.port === '' ? (scheme === 'https' ? '443' : '80') : parsed.port;
  return `${scheme}://${parsed.hostname.toLowerCase()}:${port}`;
}

/** The message a device signs (without the label, which the signer and verification add). */
export function requestSigningMessage(f: SignedFields): Uint8Array {
  return encodeCanonical([f.method.toUpperCase(), f.origin, f.pathAndQuery, f.bodyHash, f.accountId, f.deviceId, f.time, f.nonce]);
}

/**
 * Signs a request and returns its five headers.
 * @throws {UsageError} `DEVICE_WIPED` when the device was wiped.
 */
export function signRequest(
  device: Device,
  request: { method: string; origin: string; pathAndQuery: string; body: Uint8Array; accountId: Uint8Array; time: number },
  random: RandomSource = systemRandom,
): Record<string, string> {
  const nonce = random(NONCE_BYTES);
  const fields: SignedFields = {
    method: request.method,
    origin: request.origin,
    pathAndQuery: request.pathAndQuery,
    bodyHash: requestBodyHash(device.suite, request.body),
    accountId: request.accountId,
    deviceId: device.id,
    time: request.time,
    nonce,
  };
  const signature = signAsProtocol(device, REQUEST_LABEL, requestSigningMessage(fields));
  return {
    [HEADERS.account]: toHex(request.accountId),
    [HEADERS.device]: toHex(device.id),
    [HEADERS.time]: String(request.time),
    [HEADERS.nonce]: toHex(nonce),
    [HEADERS.signature]: toHex(signature),
  };
}

/** True when `signature` is `identityKey`'s signature over `fields`. */
export function verifyRequestSignature(
  suite: CryptoProvider,
  identityKey: Uint8Array,
  fields: SignedFields,
  signature: Uint8Array,
): boolean {
  return suite.ed25519Verify(signature, labelled(REQUEST_LABEL, requestSigningMessage(fields)), identityKey);
}

const HEX = /^[0-9a-f]*$/;
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/** Parses the signing headers: all five present and well-formed, or none present. */
export function readAuthHeaders(get: (name: string) => string | null | undefined): AuthHeadersResult {
  const raw = [HEADERS.account, HEADERS.device, HEADERS.time, HEADERS.nonce, HEADERS.signature].map((h) => get(h) ?? undefined);
  if (raw.some((v) => v === undefined)) return { kind: 'missing' };
  const [account, device, time, nonce, signature] = raw as string[];
  const hex = (value: string, length: number): boolean => value.length === length && HEX.test(value);
  if (!hex(account!, ACCOUNT_HEX)) return { kind: 'malformed', message: `${HEADERS.account} must be ${ACCOUNT_HEX} lower-case hex characters` };
  if (!hex(device!, DEVICE_HEX)) return { kind: 'malformed', message: `${HEADERS.device} must be ${DEVICE_HEX} lower-case hex characters` };
  if (!hex(nonce!, NONCE_BYTES * 2)) return { kind: 'malformed', message: `${HEADERS.nonce} must be ${NONCE_BYTES * 2} lower-case hex characters` };
  if (!hex(signature!, SIGNATURE_BYTES * 2)) {
    return { kind: 'malformed', message: `${HEADERS.signature} must be ${SIGNATURE_BYTES * 2} lower-case hex characters` };
  }
  if (!DECIMAL.test(time!) || !Number.isSafeInteger(Number(time))) {
    return { kind: 'malformed', message: `${HEADERS.time} must be a decimal integer of milliseconds` };
  }
  return {
    kind: 'ok',
    headers: {
      accountId: fromHex(account!),
      deviceId: fromHex(device!),
      time: Number(time),
      nonce: fromHex(nonce!),
      signature: fromHex(signature!),
    },
  };
}
