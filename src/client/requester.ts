/**
 * The request engine under `HttpClient`. For each attempt it encodes the body, signs the
 * request, and sends it with a time limit. It then reads the answer with a size ceiling, and
 * retries or gives up according to the call's rules. Every failure becomes a `RemoteError`,
 * except a caller's abort, which rejects with the signal's reason.
 */
import { CodecError, RemoteError } from '../errors.js';
import { encodeValue } from '../core/cbor.js';
import type { Device } from '../core/device.js';
import type { ServerClock } from '../core/serverClock.js';
import { WIRE_ENCODE_LIMITS, decodeErrorBody, type ResponseLimits } from '../http/messages.js';
import { CBOR_CONTENT_TYPE, HEADERS } from '../http/routes.js';
import { signRequest } from '../http/signing.js';
import { isWireErrorCode, WIRE_ERRORS } from '../http/wireErrors.js';
import { networkFailure } from './networkFailure.js';
import { readResponseBody } from './responseBody.js';
import { backoffDelay, sleep, type RetryPolicy } from './retry.js';

/** One API call as the engine runs it. */
export interface Call<T> {
  method: 'GET' | 'POST' | 'PUT';
  /** Path and query from `/v1` on: exactly what is signed. */
  path: string;
  /** A CBOR-encodable body, if any. */
  body?: unknown;
  /** The account to sign for; unsigned when undefined. */
  signFor?: Uint8Array;
  /** Whether failures that left the server unchanged (network, 429, 5xx) may be retried. */
  retry: boolean;
  decode: (bytes: Uint8Array) => T;
  signal?: AbortSignal;
  /** Added to the per-attempt time limit (a long-poll's own timeout). */
  extraTimeoutMs?: number;
  /** Extra request headers (the admission token). */
  headers?: Readonly<Record<string, string>>;
}

/** What the engine needs to know about its client. */
export interface RequesterConfig {
  base: string;
  /** The origin requests are signed for (`requestOrigin(base)`). */
  origin: string;
  device: Device;
  fetch: typeof globalThis.fetch;
  retry: RetryPolicy;
  timeoutMs: number;
  limits: ResponseLimits;
  /** The device clock and the offset learned from the server; every response teaches it. */
  serverClock: ServerClock;
}

type Attempt =
  | { kind: 'ok'; bytes: Uint8Array }
  | { kind: 'refused'; error: RemoteError; retryAfter: string | null; offsetAdopted: boolean };

const NO_BODY = new Uint8Array(0);

/** Sends calls for one client; learns the server's clock from every answer. */
export class Requester {
  constructor(private readonly config: RequesterConfig) {}

  /**
   * Runs `call` to completion.
   * @throws {RemoteError} the server's code, or `NETWORK_ERROR`, `HTTP_ERROR`, `RESPONSE_INVALID`,
   *   `RESPONSE_TOO_LARGE`; the signal's reason when the caller aborts.
   */
  async run<T>(call: Call<T>): Promise<T> {
    const body = call.body === undefined ? undefined : encodeValue(call.body, WIRE_ENCODE_LIMITS);
    const { retry } = this.config;
    let correctedClock = false;
    for (let attempt = 1; ; attempt++) {
      let result: Attempt;
      try {
        result = await this.#attempt(call, body);
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        if (!(error instanceof RemoteError) || error.code !== 'NETWORK_ERROR' || !call.retry || attempt >= retry.attempts) throw error;
        await sleep(backoffDelay(retry, attempt, null, Math.random), call.signal);
        continue;
      }
      if (result.kind === 'ok') return decodeOrRefuse(call, result.bytes);
      const { error } = result;
      // A stale request had no effect, so any call may be re-sent once with the corrected clock.
      if (error.code === 'REQUEST_STALE' && call.signFor !== undefined) {
        if (!result.offsetAdopted) {
          throw new RemoteError(
            'CLOCK_OFFSET_TOO_LARGE',
            "the server's clock differs from this device's by more than 24 hours (or it sent none): set the device clock",
            error.status,
            { cause: error },
          );
        }
        if (!correctedClock) {
          correctedClock = true;
          attempt--;
          continue;
        }
      }
      if (!retryable(error) || !call.retry || attempt >= retry.attempts) throw error;
      await sleep(backoffDelay(retry, attempt, result.retryAfter, Math.random), call.signal);
    }
  }

  async #attempt(call: Call<unknown>, body: Uint8Array | undefined): Promise<Attempt> {
    const { config } = this;
    const headers: Record<string, string> = { ...call.headers, accept: CBOR_CONTENT_TYPE };
    if (body !== undefined) headers['content-type'] = CBOR_CONTENT_TYPE;
    if (call.signFor !== undefined) {
      const time = config.serverClock.now();
      Object.assign(headers, signRequest(config.device, { method: call.method, origin: config.origin, pathAndQuery: call.path, body: body ?? NO_BODY, accountId: call.signFor, time }));
    }
    if (call.signal?.aborted) throw call.signal.reason;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(call.signal!.reason);
    call.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(), config.timeoutMs + (call.extraTimeoutMs ?? 0));
    try {
      let response: Response;
      let bytes: Uint8Array;
      try {
        response = await config.fetch(config.base + call.path, {
          method: call.method,
          headers,
          body: body as Uint8Array<ArrayBuffer> | undefined,
          signal: controller.signal,
        });
        bytes = await readResponseBody(response, config.limits.maxResponseBytes);
      } catch (cause) {
        if (cause instanceof RemoteError) throw cause;
        if (call.signal?.aborted) throw call.signal.reason;
        throw networkFailure(config.base, cause, controller.signal.aborted ? config.timeoutMs + (call.extraTimeoutMs ?? 0) : undefined);
      }
      const offsetAdopted = this.#learnClock(response);
      if (response.ok) return { kind: 'ok', bytes };
      return { kind: 'refused', error: refusal(response, bytes, config.base, call), retryAfter: response.headers.get('retry-after'), offsetAdopted };
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Adopts the offset the response's `mks-server-time` gives, within the bound; false when it gave none it could adopt. */
  #learnClock(response: Response): boolean {
    const header = response.headers.get(HEADERS.serverTime);
    return header !== null && SERVER_TIME.test(header) && this.config.serverClock.learn(Number(header));
  }
}

/** A decimal `mks-server-time`, as the server writes it. */
const SERVER_TIME = /^[1-9][0-9]{0,15}$/;

/**
 * Whether a refusal may be retried: a code the catalogue knows follows the catalogue (so a
 * 500 `CHAIN_CORRUPT` or a 507 `QUOTA_EXCEEDED` is final); anything else (a proxy's 502, a
 * newer server's code) is retried on 429 and 5xx.
 */
function retryable(error: RemoteError): boolean {
  if (isWireErrorCode(error.code) && WIRE_ERRORS[error.code].status === error.status) return WIRE_ERRORS[error.code].retry;
  return error.status === 429 || error.status >= 500;
}

function decodeOrRefuse<T>(call: Call<T>, bytes: Uint8Array): T {
  try {
    return call.decode(bytes);
  } catch (cause) {
    if (cause instanceof CodecError) throw new RemoteError('RESPONSE_INVALID', `the server sent a malformed response (${cause.code})`, 200, { cause });
    throw cause;
  }
}

/**
 * The RemoteError for a non-2xx response; a body that is not our CBOR error becomes
 * `HTTP_ERROR`. Both kinds of "no such route" name the server's URL: they mean a wrong base URL.
 */
function refusal(response: Response, bytes: Uint8Array, server: string, call: Call<unknown>): RemoteError {
  // Without the query, and with account and mailbox ids elided: messages name no ids.
  const route = `${call.method} ${server}${call.path.replace(/\?.*$/, '').replace(/[0-9a-f]{32,}/gi, '…')}`;
  const type = response.headers.get('content-type') ?? '';
  if (type.toLowerCase().startsWith(CBOR_CONTENT_TYPE)) {
    try {
      const { code, message } = decodeErrorBody(bytes);
      if (code === 'NOT_FOUND') {
        return new RemoteError(code, `${message}: ${route} (is ${server} the server's root URL?)`, response.status);
      }
      return new RemoteError(code, message, response.status);
    } catch {
      // not our error format: fall through
    }
  }
  return new RemoteError(
    'HTTP_ERROR',
    `${route} answered HTTP ${response.status} without a multikey-sync error body: is ${server} a multikey-sync server's root URL?`,
    response.status,
  );
}
