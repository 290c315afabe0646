/** The server's own refusals: a wire code, its status, and optional response headers. */
import { MultikeySyncError } from '../errors.js';
import { statusOf, type WireErrorCode } from '../http/wireErrors.js';

/** A refusal the server sends as `{code, message}` with the catalogued status. */
export class HttpError extends MultikeySyncError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: WireErrorCode, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.status = statusOf(code);
    this.headers = headers;
  }
}
