/**
 * Chooses and loads a backend once; everything after `await loadSuite()` is synchronous.
 *
 * libsodium, the default, is imported statically: nearly every app needs it before anything
 * else, and a separate chunk would only add a round trip. noble is imported on first use, so
 * an app's bundler puts it in a chunk of its own that only apps asking for `'noble'` load.
 */
import { ValidationError } from '../errors.js';
import type { BackendName, CryptoProvider } from './provider.js';
import { loadSodiumBackend } from './sodiumBackend.js';

/** The backend used when a caller names none. */
export const DEFAULT_BACKEND: BackendName = 'sodium';

/**
 * Loads a crypto backend (libsodium by default, or pure-JavaScript noble).
 * @throws {ValidationError} `BACKEND_UNKNOWN` for any other name.
 */
export function loadSuite(backend: BackendName = DEFAULT_BACKEND): Promise<CryptoProvider> {
  switch (backend) {
    case 'sodium':
      return loadSodiumBackend();
    case 'noble':
      return import('./nobleBackend.js').then((noble) => noble.loadNobleBackend());
    default:
      return Promise.reject(new ValidationError('BACKEND_UNKNOWN', `unknown crypto backend "${String(backend)}"`));
  }
}
