/**
 * POST /v1/accounts: create an account from its genesis entry. Unsigned (there is no device
 * yet to sign with); the genesis is self-signed and its hash is the account id, so nobody can
 * create an account under an id they did not derive. Rate-limited per remote address.
 */
import { CodecError, CryptoError } from '../../errors.js';
import { decodeEntry } from '../../enrollment/chainEntry.js';
import { genesisState } from '../../enrollment/chainState.js';
import { decodeCreateAccountRequest, type CreateAccountResponse } from '../../http/messages.js';
import { ROUTES } from '../../http/routes.js';
import { remoteAddress, route, type App } from '../app.js';
import { rateLimited } from '../auth.js';
import { readBody } from '../body.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../httpError.js';
import { cborResponse, decodeOrReject } from '../responses.js';

/** Small routes' body limit: a chain entry (at most 4 KiB) plus its CBOR wrapping. */
export const SMALL_BODY_BYTES = 8192;

/** Registers POST /v1/accounts. */
export function registerAccountRoutes(app: App, ctx: ServerContext): void {
  route(app, 'POST', ROUTES.accounts, async (c) => {
    const waitMs = ctx.anonymousRate.take(remoteAddress(c), ctx.clock());
    if (waitMs > 0) throw rateLimited(waitMs);
    const body = await readBody(c.req.raw, SMALL_BODY_BYTES);
    const { genesis } = decodeOrReject(() => decodeCreateAccountRequest(body));
    const state = verifyEntry(() => genesisState(ctx.suite, decodeEntry(ctx.suite, genesis)));
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
