/**
 * The command's logger: pino, writing to stdout either its JSON lines as they are
 * (`--log-format json`, for a log collector) or one plain line per record (`text`, for a
 * person): `2026-12-01T10:00:00.000Z POST /v1/accounts/:account/envelopes 200 1.2ms`. What is
 * logged is decided by the server (route patterns, statuses, codes, driver causes) and by the
 * command (where it listens, which store with its password hidden): never an id, a key, a
 * nonce, a token or a body.
 */
import pino from 'pino';
import type { ServerLogger } from '../server/options.js';
import type { LogLevel } from './serveConfig.js';

/** The command's logger, and a way to flush it before exiting. */
export interface CliLogger extends ServerLogger {
  /** Writes what is buffered. */
  flush(): void;
}

/** Fields that text lines show in place, not as key=value. */
const REQUEST_FIELDS = new Set(['method', 'route', 'status', 'ms', 'code', 'detail']);
const PINO_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** One plain line for a pino record. */
export function textLine(record: Record<string, unknown>): string {
  const time = typeof record['time'] === 'string' ? record['time'] : new Date().toISOString();
  if (record['msg'] === 'request' || record['msg'] === 'request failed' || record['msg'] === 'request refused') {
    const failure = record['code'] === undefined ? '' : ` ${String(record['code'])} ${String(record['detail'] ?? '')}`.trimEnd();
    return `${time} ${String(record['method'])} ${String(record['route'])} ${String(record['status'])} ${Number(record['ms']).toFixed(1)}ms${failure}`;
  }
  const extra = Object.entries(record)
    .filter(([key]) => !PINO_FIELDS.has(key) && !REQUEST_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const level = typeof record['level'] === 'string' && record['level'] !== 'info' ? `${record['level'].toUpperCase()} ` : '';
  return `${time} ${level}${String(record['msg'] ?? '')}${extra.length === 0 ? '' : ` ${extra.join(' ')}`}`;
}

/** Creates the logger for `--log-level` and `--log-format`, writing to `out` (stdout by default). */
export function createCliLogger(level: LogLevel, format: 'text' | 'json', out: { write(text: string): unknown } = process.stdout): CliLogger {
  // A reader that went away (a closed pipe) must cost the log, not the server.
  if (out === process.stdout) process.stdout.on('error', () => undefined);
  const destination =
    format === 'json'
      ? { write: (line: string) => void out.write(line) }
      : { write: (line: string) => void out.write(`${textLine(JSON.parse(line) as Record<string, unknown>)}\n`) };
  const logger = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
    flush: () => logger.flush(),
  };
}

/** A logger that drops the request records below error (`--quiet`), keeping everything else. */
export function withoutRequestLines(logger: ServerLogger): ServerLogger {
  return {
    info: (fields, message) => {
      if (message !== 'request') logger.info(fields, message);
    },
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
  };
}
