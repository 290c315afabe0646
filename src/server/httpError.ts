/** The server's own refusals: a wire code, its status, and optional response headers. */
import { MultikeySyncError } from '../errors.js';
import { statusOf, type WireErrorCode } from '../http/wireErrors.js';

/** Extras of an {@link HttpError} that never reach the client. */
export interface HttpErrorOptions {
  cause?: unknown;
  /**
   * For a 5xx: what the operator's log line says after the code, instead of the error's kind.
   * Never a secret, a body or a full id.
   */
  logNote?: string;
}

/** A refusal the server sends as `{code, message}` with the catalogued status. */
export class HttpError extends MultikeySyncError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly logNote: string | undefined;

  constructor(code: WireErrorCode, message: string, headers: Record<string, string> = {}, options: HttpErrorOptions = {}) {
    super(code, message, { cause: options.cause });
    this.status = statusOf(code);
    this.headers = headers;
    this.logNote = options.logNote;
  }
}
