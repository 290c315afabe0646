/**
 * How much history an approval (or a hand-off) gives a device: everything, the records of the
 * last N days (by their sort time), or nothing. Checked once at the boundary, before any
 * pairing starts, so a bad option never leaves a device added without the hand-off asked for.
 */
import { ValidationError } from '../errors.js';

/** `'all'` (the default), `{ sinceDays }` (records whose sort time is within that many days), or `'none'`. */
export type HistoryOption = 'all' | 'none' | { readonly sinceDays: number };

/** The checked form: `null` for none, else the day bound (undefined: all). */
export type HistoryBound = { readonly sinceDays?: number } | null;

/**
 * Checks `value` (the field at `path`) and returns its bound.
 * @throws {ValidationError} `HISTORY_OPTION_INVALID`.
 */
export function checkHistoryOption(value: unknown, path = 'options.history'): HistoryBound {
  if (value === undefined || value === 'all') return {};
  if (value === 'none') return null;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const days = (value as { sinceDays?: unknown }).sinceDays;
    if (keys.length === 1 && keys[0] === 'sinceDays' && typeof days === 'number' && Number.isFinite(days) && days > 0) return { sinceDays: days };
    throw new ValidationError('HISTORY_OPTION_INVALID', `${path}.sinceDays must be a positive, finite number of days (and the only field)`);
  }
  throw new ValidationError('HISTORY_OPTION_INVALID', `${path} must be 'all', 'none' or { sinceDays: number }`);
}
