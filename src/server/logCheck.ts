/**
 * The server's checks of a pushed log checkpoint, before anything is stored. Readers verify
 * every checkpoint themselves; the honest server checks too, so that what it stores is what the
 * pushing device signed for exactly these envelopes, and so a device that may not write (the
 * recovery pseudo-device) cannot have anything stored. The log's continuity (position and
 * previous hash) is the store's compare-and-swap (`LOG_CONFLICT`).
 */
import { CodecError, CryptoError } from '../errors.js';
import { equalBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { idKey } from '../core/devicePublic.js';
import type { ParsedEnvelope } from '../core/envelopeFormat.js';
import { envelopeHash } from '../core/envelopeHash.js';
import { decodeKeyStatement, verifyKeyStatement } from '../core/keyStatement.js';
import { decodeCheckpoint, verifyCheckpointSignature, type Checkpoint } from '../core/logCheckpoint.js';
import type { ChainState } from '../enrollment/chainState.js';
import type { LogAppend } from '../storage/store.js';
import { HttpError } from './httpError.js';

/**
 * Refuses a write by a device that may not write: the recovery pseudo-device reads and signs
 * delayed adds, nothing else.
 * @throws {HttpError} `DEVICE_CANNOT_WRITE`.
 */
export function assertWriter(state: ChainState, deviceId: Uint8Array): void {
  if (state.devices.get(idKey(deviceId))?.role === 'recovery') {
    throw new HttpError('DEVICE_CANNOT_WRITE', 'the recovery key reads and adds devices; it writes no records');
  }
}

/**
 * Decodes and checks the checkpoint of a push or purge by `deviceId`.
 * @throws {HttpError} `LOG_INVALID` (malformed, another sender, a signature or key statement
 *   that does not verify).
 */
export function checkCheckpoint(suite: CryptoProvider, accountId: Uint8Array, state: ChainState, deviceId: Uint8Array, bytes: Uint8Array): Checkpoint {
  let checkpoint: Checkpoint;
  try {
    checkpoint = decodeCheckpoint(suite, accountId, bytes);
  } catch (error) {
    if (error instanceof CodecError) throw new HttpError('LOG_INVALID', `the log checkpoint is malformed (${error.code})`);
    throw error;
  }
  if (!equalBytes(checkpoint.sender, deviceId)) throw new HttpError('LOG_INVALID', 'the log checkpoint names another sender than the signing device');
  const device = state.devices.get(idKey(deviceId));
  if (device === undefined) throw new HttpError('LOG_INVALID', 'the signing device is not listed');
  try {
    verifyCheckpointSignature(suite, accountId, checkpoint, device.card.identityKey);
    if (checkpoint.statement !== undefined) verifyKeyStatement(suite, decodeKeyStatement(checkpoint.statement), device.card);
  } catch (error) {
    if (error instanceof CryptoError || error instanceof CodecError) throw new HttpError('LOG_INVALID', `the log checkpoint does not verify (${error.code})`);
    throw error;
  }
  return checkpoint;
}

/**
 * Checks that claim i describes envelope i, for every envelope of the push.
 * @throws {HttpError} `LOG_MISMATCH`.
 */
export function checkClaims(suite: CryptoProvider, accountId: Uint8Array, checkpoint: Checkpoint, envelopes: readonly ParsedEnvelope[]): void {
  if (checkpoint.claims.length !== envelopes.length) throw new HttpError('LOG_MISMATCH', 'the log checkpoint claims another number of envelopes than the push carries');
  envelopes.forEach((e, i) => {
    const c = checkpoint.claims[i]!;
    const same =
      equalBytes(c.recordId, e.recordId) &&
      c.revision === e.revision &&
      c.kind === e.kind &&
      c.expiryDay === e.expiryDay &&
      equalBytes(c.hash, envelopeHash(suite, accountId, e.headerAndBody, e.stanzas));
    if (!same) throw new HttpError('LOG_MISMATCH', `claim ${i} of the log checkpoint does not describe envelope ${i}`);
  });
}

/** The store's form of a verified checkpoint. */
export function logAppendOf(checkpoint: Checkpoint): LogAppend {
  return { device: checkpoint.sender, position: checkpoint.position, prevHash: checkpoint.prev, hash: checkpoint.hash, bytes: checkpoint.bytes };
}
