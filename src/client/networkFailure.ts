/**
 * The one message a client gives when no answer came back: it names the server's URL, says
 * whether the request timed out or could not connect and why (the system's error code), and
 * for a loopback host points at the two usual causes of a working server looking dead.
 */
import { RemoteError } from '../errors.js';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/** The innermost code or message fetch gives (Node: `cause.code`; browsers give none). */
function reason(cause: unknown): string {
  let error = cause as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; depth < 4 && error?.cause !== undefined; depth++) error = error.cause as typeof error;
  if (typeof error?.code === 'string') return error.code;
  if (error?.message === 'bad port') return 'a port fetch refuses to use (its "bad ports" list): choose another port';
  return typeof error?.message === 'string' ? error.message : 'no details';
}

/**
 * `NETWORK_ERROR` for a request to `server` (the client's base URL, as shown in messages).
 * @param timeoutMs the attempt's time limit, when that is what ended it.
 */
export function networkFailure(server: string, cause: unknown, timeoutMs: number | undefined): RemoteError {
  const host = (() => {
    try {
      return new URL(server).hostname;
    } catch {
      return '';
    }
  })();
  let message =
    timeoutMs !== undefined
      ? `the sync server at ${server} did not answer within ${timeoutMs} ms (timeoutMs)`
      : `the sync server at ${server} could not be reached (${reason(cause)})`;
  if (timeoutMs === undefined && LOOPBACK.test(host)) {
    message +=
      '. On this machine: is it running on that port and address? A server bound to 127.0.0.1 does not answer on ::1, which ' +
      '"localhost" may mean; and in a browser a refused CORS request fails the same way (http://localhost:PORT and ' +
      'http://127.0.0.1:PORT are different origins: the page\'s origin must be among the server\'s --cors-origin)';
  }
  return new RemoteError('NETWORK_ERROR', message, 0, { cause });
}
