/**
 * The HTTP API's routes, headers and content type, shared by the server and the client.
 * docs/server.md describes each route; this module is the single source of their spelling.
 *
 * | method | route                                   | signed | body / query                 |
 * |--------|-----------------------------------------|--------|------------------------------|
 * | GET    | /v1/health                              | no     |                              |
 * | POST   | /v1/accounts                            | no     | {genesis}                    |
 * | GET    | /v1/accounts/:account/chain             | yes    | ?from=N                      |
 * | POST   | /v1/accounts/:account/chain             | yes    | {entry, head}                |
 * | POST   | /v1/accounts/:account/envelopes         | yes    | {envelopes, log}             |
 * | GET    | /v1/accounts/:account/envelopes         | yes    | ?after=C&limit=N             |
 * | GET    | /v1/accounts/:account/wait              | yes    | ?after=C&timeout=MS&limit=N  |
 * | POST   | /v1/accounts/:account/purge             | yes    | {log}                        |
 * | GET    | /v1/accounts/:account/logs/:device      | yes    |                              |
 * | PUT    | /v1/mailbox/:id                         | no     | ?ttl=MS, {message}           |
 * | GET    | /v1/mailbox/:id                         | no     | (takes: the message is gone) |
 *
 * `:account` is the 32-byte account id and `:id` the 32-byte mailbox id, both in lower-case hex.
 */

/** Every route starts with this prefix; signatures cover the path from here on. */
export const API_PREFIX = '/v1';

/** Route patterns, as the server registers them and logs them (never the concrete ids). */
export const ROUTES = {
  health: '/v1/health',
  accounts: '/v1/accounts',
  chain: '/v1/accounts/:account/chain',
  envelopes: '/v1/accounts/:account/envelopes',
  wait: '/v1/accounts/:account/wait',
  purge: '/v1/accounts/:account/purge',
  logs: '/v1/accounts/:account/logs/:device',
  mailbox: '/v1/mailbox/:id',
} as const;

/** One of the route patterns. */
export type RoutePattern = (typeof ROUTES)[keyof typeof ROUTES];

/** Request and response headers of the protocol (lower case, as fetch reports them). */
export const HEADERS = {
  account: 'mks-account',
  device: 'mks-device',
  time: 'mks-time',
  nonce: 'mks-nonce',
  signature: 'mks-signature',
  /** On every response: the server's clock in ms, so a client can correct its skew (bounded, core/serverClock.ts). */
  serverTime: 'mks-server-time',
} as const;

/** The only content type of request and response bodies. */
export const CBOR_CONTENT_TYPE = 'application/cbor';

/** Bytes in an account id and a mailbox id (hex in paths: twice as many characters). */
export const ACCOUNT_ID_BYTES = 32;
export const MAILBOX_ID_BYTES = 32;

/** Longest long-poll the server holds, in ms; longer `timeout` values are clamped to it. */
export const MAX_WAIT_MS = 30_000;
/** Longest mailbox time-to-live, in ms. */
export const MAX_MAILBOX_TTL_MS = 15 * 60_000;
/** Largest mailbox message, in bytes. */
export const MAX_MAILBOX_MESSAGE_BYTES = 64 * 1024;
/** Largest page of envelopes or chain entries one request returns. */
export const MAX_PAGE_LIMIT = 1000;
/** Most records one purge request names (the purges of one log checkpoint). */
export const MAX_PURGE_IDS = 1000;

/** Builds the concrete path (and query) of a route; values must already be valid. */
export const paths = {
  health: (): string => ROUTES.health,
  accounts: (): string => ROUTES.accounts,
  chain: (accountHex: string, from?: number): string =>
    `${API_PREFIX}/accounts/${accountHex}/chain${from === undefined ? '' : `?from=${from}`}`,
  envelopes: (accountHex: string, query?: { after: number; limit: number }): string =>
    `${API_PREFIX}/accounts/${accountHex}/envelopes${query === undefined ? '' : `?after=${query.after}&limit=${query.limit}`}`,
  wait: (accountHex: string, after: number, timeoutMs: number, limit: number): string =>
    `${API_PREFIX}/accounts/${accountHex}/wait?after=${after}&timeout=${timeoutMs}&limit=${limit}`,
  purge: (accountHex: string): string => `${API_PREFIX}/accounts/${accountHex}/purge`,
  logs: (accountHex: string, deviceHex: string): string => `${API_PREFIX}/accounts/${accountHex}/logs/${deviceHex}`,
  mailbox: (idHex: string, ttlMs?: number): string =>
    `${API_PREFIX}/mailbox/${idHex}${ttlMs === undefined ? '' : `?ttl=${ttlMs}`}`,
};
