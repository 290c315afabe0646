/**
 * The field checks the chain rules share (docs/protocol.md §18.4): which keys each entry type
 * may carry, the cards and key statements in an entry, and a remove's or rotate's log cut.
 * Every failure is a `CryptoError` with a `CHAIN_*` code; chainState.ts decides the order.
 */
import { CryptoError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { decodeDevicePublic, type DevicePublic } from '../core/devicePublic.js';
import { decodeKeyStatement, verifyKeyStatement, type KeyStatement } from '../core/keyStatement.js';
import type { ChainEntry, ChainEntryType } from './chainEntry.js';
import type { LogCut } from './logCut.js';

/** Throws the chain rule's error. */
export function fail(code: string, message: string, cause?: unknown): never {
  throw new CryptoError(code, message, cause === undefined ? undefined : { cause });
}

const COMMON = ['v', 't', 'i', 'ts', 'sig'];
/** The keys each type may carry; any other known key is refused (an entry means one thing). */
const ALLOWED: Readonly<Record<ChainEntryType, ReadonlySet<string>>> = {
  genesis: new Set([...COMMON, 'dev', 'xk', 'rec', 'rxk', 'rd', 'role']),
  add: new Set([...COMMON, 'prev', 'by', 'dev', 'xk', 'role', 'ok']),
  remove: new Set([...COMMON, 'prev', 'by', 'tgt', 'lp', 'lh']),
  rotate: new Set([...COMMON, 'prev', 'by', 'dev', 'lp', 'lh']),
  veto: new Set([...COMMON, 'prev', 'by', 'tgt']),
};

/** The first key of `entry` that its type does not allow, if any. */
export function extraKey(entry: ChainEntry): string | undefined {
  const allowed = ALLOWED[entry.t];
  return Object.keys(entry).find((k) => !allowed.has(k));
}

/**
 * A card in the chain.
 * @throws {CryptoError} `CHAIN_ENTRY_INVALID` when absent, `CHAIN_CARD_INVALID` when it does not verify.
 */
export function chainCard(suite: CryptoProvider, bytes: Uint8Array | undefined): DevicePublic {
  if (bytes === undefined) fail('CHAIN_ENTRY_INVALID', 'entry lacks a device card');
  try {
    return decodeDevicePublic(suite, bytes);
  } catch (cause) {
    return fail('CHAIN_CARD_INVALID', 'a device card in the chain does not verify', cause);
  }
}

/**
 * The epoch-0 key statement of the device with `card`: present, well formed, naming that
 * device and epoch 0, signed by its identity key, with an X-Wing key one can encapsulate to.
 * @throws {CryptoError} `CHAIN_KEY_STATEMENT_INVALID`.
 */
export function chainStatement(suite: CryptoProvider, bytes: Uint8Array | undefined, card: DevicePublic): KeyStatement {
  if (bytes === undefined) fail('CHAIN_KEY_STATEMENT_INVALID', "entry lacks the device's epoch-0 key statement");
  let statement: KeyStatement;
  try {
    statement = verifyKeyStatement(suite, decodeKeyStatement(bytes), card);
  } catch (cause) {
    return fail('CHAIN_KEY_STATEMENT_INVALID', "the key statement is not the device's own", cause);
  }
  if (statement.epoch !== 0) fail('CHAIN_KEY_STATEMENT_INVALID', 'a key statement in the chain is for epoch 0');
  return statement;
}

/**
 * A remove's or rotate's cut: `lp` present, `lh` present exactly when `lp` > 0.
 * @throws {CryptoError} `CHAIN_ENTRY_INVALID`.
 */
export function chainCut(entry: ChainEntry): LogCut {
  const { lp, lh } = entry;
  if (lp === undefined) fail('CHAIN_ENTRY_INVALID', `a ${entry.t} names the log position where it takes effect`);
  if ((lp > 0) !== (lh !== undefined)) fail('CHAIN_ENTRY_INVALID', 'a log position above 0 comes with its checkpoint hash, and only then');
  return { position: lp, hash: lh ?? null };
}
