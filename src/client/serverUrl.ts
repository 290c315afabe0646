/**
 * The sync server's base URL, checked once when a client is made, and the words every client
 * error uses to name it. Each mistake gets one message that shows the URL as given (without
 * any credentials in it) and what to write instead.
 */
import { UsageError } from '../errors.js';

/** What an error message shows of a URL: no user, password, query or fragment. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function shown(raw: string): string {
  try {
    return displayUrl(new URL(raw));
  } catch {
    return raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
  }
}

/**
 * Parses `baseUrl`: an absolute http(s) URL of the server's root (or of the path it is
 * mounted under), without `/v1` (the client adds it), credentials, query or fragment.
 * @returns the base without a trailing slash, to which API paths (`/v1/…`) are appended.
 * @throws {UsageError} `CLIENT_OPTIONS_INVALID`, naming the URL and the mistake.
 */
export function parseServerUrl(baseUrl: unknown): string {
  const refuse = (why: string): never => {
    throw new UsageError('CLIENT_OPTIONS_INVALID', `baseUrl ${typeof baseUrl === 'string' ? `"${shown(baseUrl)}"` : `(${typeof baseUrl})`} ${why}`);
  };
  if (typeof baseUrl !== 'string') return refuse('must be a string such as "https://sync.example"');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return refuse('is not an absolute URL: write it with its scheme, e.g. "https://sync.example" or "http://127.0.0.1:8787"');
  }
  // "localhost:8787" parses as the scheme "localhost:" with path "8787".
  if (/^[a-z0-9.-]+:\d+(\/|$)/i.test(baseUrl)) {
    throw new UsageError('CLIENT_OPTIONS_INVALID', `baseUrl "${baseUrl}" has no scheme: write "http://${baseUrl}" (or https://)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse(`uses ${url.protocol.slice(0, -1)}: the sync server speaks http or https only`);
  if (url.username !== '' || url.password !== '') return refuse('carries a user name or password: requests are signed by the device, so leave them out');
  if (url.search !== '' || url.hash !== '') return refuse('has a query or fragment: give the server root only');
  const path = url.pathname.replace(/\/+$/, '');
  if (/\/v1$/i.test(path)) {
    return refuse(`ends in /v1: give the server's root ("${url.protocol}//${url.host}${path.slice(0, -3) || '/'}"); the client adds /v1/… itself`);
  }
  return `${url.protocol}//${url.host}${path}`;
}
