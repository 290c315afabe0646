/**
 * `multikey-sync/client`: the HTTP client for the sync server. Browser-safe: fetch and Web
 * Crypto only, no Node modules.
 */
export { HttpClient } from './httpClient.js';
export type { HttpClientOptions, ChainRead } from './httpClient.js';
export type { RetryOptions } from './retry.js';
export { RemoteError } from '../errors.js';
export { WIRE_ERRORS, isWireErrorCode } from '../http/wireErrors.js';
export type { WireErrorCode, ErrorBody } from '../http/wireErrors.js';
export { ROUTES, HEADERS, CBOR_CONTENT_TYPE, MAX_WAIT_MS, MAX_MAILBOX_TTL_MS, MAX_MAILBOX_MESSAGE_BYTES, MAX_PAGE_LIMIT, MAX_PURGE_IDS } from '../http/routes.js';
export { REQUEST_LABEL, REQUEST_BODY_LABEL, REQUEST_MAX_SKEW_MS, requestOrigin } from '../http/signing.js';
export { ServerClock, MAX_CLOCK_OFFSET_MS } from '../core/serverClock.js';
export type {
  HealthResponse,
  CreateAccountResponse,
  AppendChainResponse,
  PullResponse,
  PushOutcome,
  ResponseLimits,
} from '../http/messages.js';
