/**
 * POST /v1/accounts: create an account from its genesis entry. Unsigned (there is no device
 * yet to sign with); the genesis is self-signed and its hash is the account id, so nobody can
 * create an account under an id they did not derive. Rate-limited per remote address, then
 * put to the operator's admission hook (403 `ADMISSION_DENIED`), both before the body is read.
 * The genesis must be dated within `ENTRY_MAX_SKEW_MS` of the server clock, as every later
 * entry is (chain.ts): a genesis dated a day ahead would otherwise hold every later entry of
 * the account a day ahead too (`ts ≥ lastTs`).
 */
import { CodecError, CryptoError } from '../../errors.js';
import { decodeEntry } from '../../enrollment/chainEntry.js';
import { genesisState } from '../../enrollment/chainState.js';
import { decodeCreateAccountRequest, type CreateAccountResponse } from '../../http/messages.js';
import { ROUTES } from '../../http/routes.js';
import { rateLimited } from '../auth.js';
import { readBody } from '../body.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../httpError.js';
import { cborResponse, decodeOrReject } from '../responses.js';
import { remoteAddress, route, type App } from '../routing.js';
import { checkEntryTime } from './entryTime.js';

/** Small routes' body limit: a chain entry (at most 4 KiB) plus its CBOR wrapping. */
export const SMALL_BODY_BYTES = 8192;

/** Registers POST /v1/accounts. */
export function registerAccountRoutes(app: App, ctx: ServerContext): void {
  route(app, 'POST', ROUTES.accounts, async (c) => {
    const now = ctx.clock();
    const address = remoteAddress(c, ctx.proxyHops);
    const waitMs = ctx.anonymousRate.take(address, now);
    if (waitMs > 0) throw rateLimited(waitMs);
    if (ctx.admission !== undefined && !(await ctx.admission({ headers: c.req.raw.headers, remoteAddress: address }))) {
      throw new HttpError('ADMISSION_DENIED', "this server's operator does not admit this account");
    }
    const body = await readBody(c.req.raw, SMALL_BODY_BYTES, ctx.bodies);
    const { genesis } = decodeOrReject(() => decodeCreateAccountRequest(body));
    const encoded = verifyEntry(() => decodeEntry(ctx.suite, genesis));
    checkEntryTime(encoded.entry.ts, now, undefined);
    const state = verifyEntry(() => genesisState(ctx.suite, encoded));
    await ctx.store.createAccount(state.accountId, { index: 0, hash: state.head, bytes: genesis });
    ctx.chains.remember(state);
    const response: CreateAccountResponse = { account: state.accountId, head: state.head };
    return cborResponse(response, 201);
  });
}

/**
 * Runs the chain rules, turning their refusal into `CHAIN_ENTRY_REJECTED` naming the rule's code.
 * @throws {HttpError} `CHAIN_ENTRY_REJECTED`.
 */
export function verifyEntry<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof CodecError || error instanceof CryptoError) {
      throw new HttpError('CHAIN_ENTRY_REJECTED', `${error.code}: ${error.message}`);
    }
    throw error;
  }
}
