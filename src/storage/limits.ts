/** Sizes and limits shared by every adapter. */
import type { StoreLimits } from './store.js';
import { storageError } from './storageErrors.js';

/** Length of an account id. */
export const ACCOUNT_ID_BYTES = 32;
/** Length of a record id. */
export const RECORD_ID_BYTES = 16;
/** Length of a device (sender) id. */
export const DEVICE_ID_BYTES = 16;
/** Length of a chain entry hash and of a checkpoint hash. */
export const HASH_BYTES = 32;
/** Largest revision: revisions are u32. */
export const MAX_REVISION = 0xffff_ffff;
/** Largest expiry day; days and chain indexes fit a signed 32-bit SQL integer. */
export const MAX_DAY = 0x7fff_ffff;
/** Largest chain index. */
export const MAX_CHAIN_INDEX = 0x7fff_ffff;
/** Largest `limit` of one pull or chain read. */
export const MAX_PAGE = 10_000;
/** Most purges (record ids) one `purgeEnvelopes` call takes. */
export const MAX_PURGE_IDS = 10_000;
/** Largest log position: positions are u32, the first is 1. */
export const MAX_LOG_POSITION = 0xffff_ffff;
/** Largest checkpoint the store keeps (4 MiB). */
export const MAX_CHECKPOINT_BYTES = 4 * 1024 * 1024;
/** Shortest mailbox id. */
export const MAILBOX_ID_MIN_BYTES = 16;
/** Longest mailbox id. */
export const MAILBOX_ID_MAX_BYTES = 64;
/** Largest mailbox message. */
export const MAX_MAILBOX_BYTES = 64 * 1024;
/** Shortest nonce key. */
export const NONCE_KEY_MIN_BYTES = 8;
/** Longest nonce key. */
export const NONCE_KEY_MAX_BYTES = 64;
/** Default per-account quota of envelope bytes (256 MiB). */
export const DEFAULT_QUOTA_BYTES = 256 * 1024 * 1024;
/** Default per-account maximum number of envelopes. */
export const DEFAULT_MAX_ENVELOPES = 1_000_000;

/** Limits with defaults filled in. */
export interface ResolvedLimits {
  readonly quotaBytes: number;
  readonly maxEnvelopes: number;
}

/**
 * Fills in defaults and checks the values.
 * @throws StorageError `INVALID_ARGUMENT` for a negative or non-integer limit.
 */
export function resolveLimits(limits: StoreLimits = {}): ResolvedLimits {
  const quotaBytes = limits.quotaBytes ?? DEFAULT_QUOTA_BYTES;
  const maxEnvelopes = limits.maxEnvelopes ?? DEFAULT_MAX_ENVELOPES;
  for (const [label, value] of [['quotaBytes', quotaBytes], ['maxEnvelopes', maxEnvelopes]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw storageError('INVALID_ARGUMENT', `${label} must be a non-negative integer`);
    }
  }
  return { quotaBytes, maxEnvelopes };
}
