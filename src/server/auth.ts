/**
 * Checking a signed request, cheapest test first: headers, clock, account and device (one head
 * query, cached chain), then the body (bounded, and reserved in the server's body budget), the
 * signature, the device's rate, and last the nonce, so neither a forged nor a throttled request
 * writes to the nonce store. A replay gives its rate token back, so replaying a device's
 * captured requests cannot spend that device's budget. (The per-address rate comes before all
 * of this, in app.ts.)
 */
import { concatBytes } from '../crypto/bytes.js';
import { idKey } from '../core/devicePublic.js';
import { activeDevice, type ChainState } from '../enrollment/chainState.js';
import { HEADERS } from '../http/routes.js';
import {
  NONCE_RETENTION_MS,
  labelledBodyHash,
  readAuthHeaders,
  REQUEST_BODY_PREFIX,
  REQUEST_MAX_SKEW_MS,
  requestOrigin,
  verifyRequestSignature,
} from '../http/signing.js';
import { toHex } from '../crypto/bytes.js';
import { readBodyAfter } from './body.js';
import type { ServerContext } from './context.js';
import { HttpError } from './httpError.js';

const ACCOUNT_HEX = /^[0-9a-f]{64}$/;

/** A request that passed every check. */
export interface Authenticated {
  readonly accountId: Uint8Array;
  readonly deviceId: Uint8Array;
  /** The chain as verified for this request. */
  readonly state: ChainState;
  readonly body: Uint8Array;
  /** The server clock when the request was checked. */
  readonly now: number;
}

/**
 * Authenticates a request to `/v1/accounts/:account/...`. `bodyLimit` is null for routes
 * without a body (GET), whose signature covers the empty body.
 * @throws {HttpError} `BAD_REQUEST`, `AUTH_REQUIRED`, `REQUEST_STALE`, `DEVICE_REVOKED`,
 *   `DEVICE_UNKNOWN`, `UNSUPPORTED_MEDIA_TYPE`, `BODY_TOO_LARGE`, `SERVER_BUSY`,
 *   `SIGNATURE_INVALID`, `RATE_LIMITED`, `REQUEST_REPLAYED`.
 * @throws {StorageError} `ACCOUNT_NOT_FOUND`, `STORE_*`.
 */
export async function authenticate(
  ctx: ServerContext,
  request: Request,
  url: URL,
  accountHex: string | undefined,
  bodyLimit: number | null,
  options: { allowRemoved?: boolean } = {},
): Promise<Authenticated> {
  if (accountHex === undefined || !ACCOUNT_HEX.test(accountHex)) throw new HttpError('BAD_REQUEST', 'the account id must be 64 lower-case hex characters');
  const parsed = readAuthHeaders((name) => request.headers.get(name));
  if (parsed.kind === 'missing') throw new HttpError('AUTH_REQUIRED', 'this route needs a signed request (mks-* headers)');
  if (parsed.kind === 'malformed') throw new HttpError('BAD_REQUEST', parsed.message);
  const h = parsed.headers;
  if (toHex(h.accountId) !== accountHex) throw new HttpError('BAD_REQUEST', `${HEADERS.account} differs from the account in the path`);

  const now = ctx.clock();
  if (Math.abs(h.time - now) > REQUEST_MAX_SKEW_MS) {
    throw new HttpError('REQUEST_STALE', 'the request time is more than 5 minutes from the server clock', {
      [HEADERS.serverTime]: String(now),
    });
  }

  const state = await ctx.chains.current(h.accountId);
  // A removed device may still read the chain (allowRemoved), so it can verify its own removal
  // instead of taking the server's word for it; every other route refuses it.
  const removedCard = state.removedDevices.get(idKey(h.deviceId))?.card;
  if (removedCard === undefined && state.removed.has(idKey(h.deviceId))) {
    throw new HttpError('DEVICE_REVOKED', 'this device was removed from the account');
  }
  if (removedCard !== undefined && options.allowRemoved !== true) {
    throw new HttpError('DEVICE_REVOKED', 'this device was removed from the account');
  }
  const device = removedCard === undefined ? activeDevice(state, h.deviceId, now) : { card: removedCard };
  if (device === undefined) throw new HttpError('DEVICE_UNKNOWN', 'this device is not active in the account');

  // Read in behind the body-hash label, so hashing a 16 MiB body needs no second copy of it.
  const prefixed = bodyLimit === null ? REQUEST_BODY_PREFIX : await readBodyAfter(request, bodyLimit, ctx.bodies, REQUEST_BODY_PREFIX);
  const body = prefixed.subarray(REQUEST_BODY_PREFIX.length);
  const fields = {
    method: request.method,
    pathAndQuery: url.pathname + url.search,
    bodyHash: labelledBodyHash(ctx.suite, prefixed),
    accountId: h.accountId,
    deviceId: h.deviceId,
    time: h.time,
    nonce: h.nonce,
  };
  // The origin the client called: the operator's public URLs (behind a proxy), else this request's.
  const origins = ctx.publicOrigins ?? [requestOrigin(url)];
  const signed = origins.some((origin) => verifyRequestSignature(ctx.suite, device.card.identityKey, { ...fields, origin }, h.signature));
  if (!signed) throw new HttpError('SIGNATURE_INVALID', 'the request signature does not verify');

  const rateKey = toHex(h.deviceId);
  const waitMs = ctx.deviceRate.take(rateKey, now);
  if (waitMs > 0) throw rateLimited(waitMs);

  const fresh = await ctx.store.rememberNonce(concatBytes(h.deviceId, h.nonce), h.time + NONCE_RETENTION_MS, now);
  if (!fresh) {
    ctx.deviceRate.refund(rateKey);
    throw new HttpError('REQUEST_REPLAYED', 'this nonce was already used');
  }
  return { accountId: h.accountId, deviceId: h.deviceId, state, body, now };
}

/** A `RATE_LIMITED` refusal with Retry-After in whole seconds (at least 1). */
export function rateLimited(waitMs: number): HttpError {
  return new HttpError('RATE_LIMITED', 'too many requests', { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) });
}
