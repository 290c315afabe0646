/**
 * POST /v1/accounts/:account/envelopes — push {envelopes, log}: the pushing device must be
 * allowed to write (not the recovery key); every envelope is bounds-checked (parseEnvelope:
 * version, suite, size, recipient count, padded body), must name the signing device as its
 * sender, and must not be sealed for a device the chain removed (a sender that missed the
 * revocation would otherwise hand the removed device every new record); the log checkpoint
 * must be the signing device's, signed, and claim exactly these envelopes in order. Then the
 * checkpoint and the whole batch go to the store in one transaction, the checkpoint extending
 * the device's log (`LOG_CONFLICT` otherwise). Any refusal refuses the batch, so the store is
 * unchanged. Pushing the same batch again is harmless (a byte-identical checkpoint at its own
 * position and `duplicate` envelopes), which is why clients may retry a push.
 * GET  /v1/accounts/:account/envelopes?after=C&limit=N — one page in cursor order.
 */
import { CodecError } from '../../errors.js';
import { equalBytes } from '../../crypto/bytes.js';
import { DEVICE_ID_BYTES, idKey } from '../../core/devicePublic.js';
import { parseEnvelope, STANZA_BYTES, type ParsedEnvelope } from '../../core/envelopeFormat.js';
import { decodePushRequest, type PushResponse } from '../../http/messages.js';
import { MAX_PAGE_LIMIT, ROUTES } from '../../http/routes.js';
import type { EnvelopeInput } from '../../storage/store.js';
import { route, type App } from '../routing.js';
import { authenticate, type Authenticated } from '../auth.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../httpError.js';
import { assertWriter, checkCheckpoint, checkClaims, logAppendOf } from '../logCheck.js';
import { readPage } from '../pages.js';
import { parseQuery } from '../query.js';
import { cborResponse, decodeOrReject } from '../responses.js';

/** Default page size of pull and wait. */
export const DEFAULT_PAGE_LIMIT = 500;

function parse(ctx: ServerContext, bytes: Uint8Array, index: number): ParsedEnvelope {
  try {
    return parseEnvelope(bytes, ctx.limits.maxEnvelopeBytes);
  } catch (error) {
    if (error instanceof CodecError) throw new HttpError('ENVELOPE_INVALID', `envelope ${index}: ${error.code}`);
    throw error;
  }
}

function toInput(auth: Authenticated, parsed: ParsedEnvelope, bytes: Uint8Array, index: number): EnvelopeInput {
  if (!equalBytes(parsed.sender, auth.deviceId)) {
    throw new HttpError('SENDER_MISMATCH', `envelope ${index} names another sender than the signing device`);
  }
  if (namesRemovedDevice(parsed.stanzas, parsed.recipientCount, auth.state.removed)) {
    throw new HttpError('RECIPIENT_REVOKED', `envelope ${index} is sealed for a device removed from the account`);
  }
  return {
    recordId: parsed.recordId,
    revision: parsed.revision,
    sender: parsed.sender,
    kind: parsed.kind,
    expiryDay: parsed.expiryDay,
    bytes,
  };
}

/** True when a stanza (recipient id ‖ wrapped key) names an id in `removed`: one Set lookup each. */
function namesRemovedDevice(stanzas: Uint8Array, count: number, removed: ReadonlySet<string>): boolean {
  if (removed.size === 0) return false;
  for (let i = 0; i < count; i++) {
    const at = i * STANZA_BYTES;
    if (removed.has(idKey(stanzas.subarray(at, at + DEVICE_ID_BYTES)))) return true;
  }
  return false;
}

/** Registers POST and GET /v1/accounts/:account/envelopes. */
export function registerEnvelopeRoutes(app: App, ctx: ServerContext): void {
  route(app, 'POST', ROUTES.envelopes, async (c) => {
    const url = new URL(c.req.url);
    const auth = await authenticate(ctx, c.req.raw, url, c.req.param('account'), ctx.limits.maxBodyBytes);
    const { maxBatch, maxEnvelopeBytes } = ctx.limits;
    const { envelopes, log } = decodeOrReject(() => decodePushRequest(auth.body, maxBatch, maxEnvelopeBytes));
    assertWriter(auth.state, auth.deviceId);
    const parsed = envelopes.map((bytes, i) => parse(ctx, bytes, i));
    const items = parsed.map((p, i) => toInput(auth, p, envelopes[i]!, i));
    const checkpoint = checkCheckpoint(ctx.suite, auth.accountId, auth.state, auth.deviceId, log);
    if (checkpoint.purges.length > 0) throw new HttpError('LOG_MISMATCH', 'a push carries no purges (purge has its own route)');
    checkClaims(ctx.suite, auth.accountId, checkpoint, parsed);
    const outcomes = await ctx.store.putEnvelopes(auth.accountId, items, logAppendOf(checkpoint));
    if (ctx.metrics !== undefined) {
      let stored = 0;
      let bytes = 0;
      outcomes.forEach((outcome, i) => {
        if (outcome !== 'stored') return;
        stored += 1;
        bytes += items[i]!.bytes.byteLength;
      });
      ctx.metrics.stored(stored, bytes);
    }
    const body: PushResponse = { outcomes };
    return cborResponse(body);
  });

  route(app, 'GET', ROUTES.envelopes, async (c) => {
    const url = new URL(c.req.url);
    const auth = await authenticate(ctx, c.req.raw, url, c.req.param('account'), null);
    const q = parseQuery(url, {
      after: { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 },
      limit: { min: 1, max: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT },
    });
    return cborResponse(await readPage(ctx, auth.accountId, q.after, q.limit));
  });
}
