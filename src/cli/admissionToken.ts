/**
 * `--admission-token`: the simplest admission policy, a shared secret. An account may be
 * created only by a request carrying `Authorization: Bearer <token>`; the operator gives the
 * token to the apps it serves (`HttpClient`'s `admissionToken`). The comparison hashes both
 * sides first, so it takes the same time whatever the guess and whatever its length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdmissionHook } from '../server/options.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The admission hook that lets in exactly the requests bearing `token`. */
export function tokenAdmission(token: string): AdmissionHook {
  const expected = digest(`Bearer ${token}`);
  return ({ headers }) => timingSafeEqual(digest(headers.get('authorization') ?? ''), expected);
}
