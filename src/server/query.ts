/** Strict query strings: known names only, each at most once, decimal integers in range. */
import { HttpError } from './httpError.js';

/** One integer parameter: its range and, if optional, its default. */
export interface IntParam {
  min: number;
  max: number;
  default?: number;
}

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Parses `url`'s query against `spec`.
 * @throws {HttpError} `BAD_REQUEST` for an unknown, repeated, missing or out-of-range parameter.
 */
export function parseQuery<K extends string>(url: URL, spec: Record<K, IntParam>): Record<K, number> {
  const out: Partial<Record<K, number>> = {};
  for (const [name, raw] of url.searchParams) {
    if (!Object.prototype.hasOwnProperty.call(spec, name)) throw new HttpError('BAD_REQUEST', `unknown query parameter "${name}"`);
    const key = name as K;
    if (out[key] !== undefined) throw new HttpError('BAD_REQUEST', `query parameter "${name}" repeated`);
    const param = spec[key];
    const value = DECIMAL.test(raw) ? Number(raw) : NaN;
    if (!(value >= param.min && value <= param.max)) {
      throw new HttpError('BAD_REQUEST', `query parameter "${name}" must be an integer in ${param.min}..${param.max}`);
    }
    out[key] = value;
  }
  for (const key of Object.keys(spec) as K[]) {
    if (out[key] !== undefined) continue;
    const fallback = spec[key].default;
    if (fallback === undefined) throw new HttpError('BAD_REQUEST', `query parameter "${key}" is required`);
    out[key] = fallback;
  }
  return out as Record<K, number>;
}
