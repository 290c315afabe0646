/**
 * The options of `multikey-sync serve`, one table: each flag, the environment variable that
 * sets it too (`MKS_` and the flag in upper snake case; the port also from `PORT`), its type,
 * its default and its help. The help text and the parser are both made from the table, so a
 * flag cannot be parsed without being documented. A flag beats its variable; `MKS_PORT` beats
 * `PORT`.
 */

/** How a value is read. */
export type FlagKind = 'string' | 'int' | 'boolean' | 'list';

/** One option of `serve`. */
export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  /** Placeholder in the help (`FILE`, `N`, …); none for booleans. */
  readonly value?: string;
  /** Environment variables, most specific first. */
  readonly env: readonly string[];
  /** The help text; its first line goes beside the flag. */
  readonly help: string;
  /** Smallest accepted integer. */
  readonly min?: number;
  /** Largest accepted integer. */
  readonly max?: number;
  /** The section of the help it belongs to. */
  readonly group: 'store' | 'network' | 'limits' | 'access' | 'logs';
}

function flag(name: string, group: FlagSpec['group'], kind: FlagKind, help: string, more: Partial<FlagSpec> = {}): FlagSpec {
  const env = more.env ?? [`MKS_${name.toUpperCase().replace(/-/g, '_')}`];
  return { name, group, kind, help, ...(kind === 'boolean' ? {} : { value: kind === 'int' ? 'N' : 'VALUE' }), ...more, env };
}

/** Every option of `serve`, in help order. */
export const SERVE_FLAGS: readonly FlagSpec[] = [
  flag('db', 'store', 'string', 'SQLite database file, created if missing (default ./data.sqlite).\nRun one server process per file: a long-poll wakes only for pushes\nthrough its own process.', { value: 'FILE' }),
  flag('postgres', 'store', 'string', 'Use PostgreSQL, e.g. postgres://sync@db/mks. Any number of server\nprocesses may share one database. The password may come from PGPASSWORD.', { value: 'URL' }),
  flag('memory', 'store', 'boolean', 'Keep everything in memory (lost on exit; for trying things out).'),
  flag('port', 'network', 'int', 'TCP port (default 8787; 0 picks a free one). Also from PORT.', { min: 0, max: 65535, env: ['MKS_PORT', 'PORT'] }),
  flag('host', 'network', 'string', 'Address to bind (default 127.0.0.1; 0.0.0.0 for every interface).\nPut a TLS-terminating proxy in front when it is reachable from outside.', { value: 'ADDR' }),
  flag('public-url', 'network', 'list', 'The URL clients reach the server by, when it is not what the server\nsees (behind a TLS proxy: https://sync.example). Requests are signed\nfor it. Repeatable; the variable takes a comma-separated list.', { value: 'URL' }),
  flag('proxy-hops', 'network', 'int', 'Reverse proxies in front that append to X-Forwarded-For (default 0:\nthe socket address counts, the header is ignored).', { min: 0, max: 16 }),
  flag('cors-origin', 'network', 'list', 'Allow browser apps from ORIGIN to call the API (repeatable; the\nvariable takes a comma-separated list).', { value: 'ORIGIN' }),
  flag('max-connections', 'network', 'int', 'Open connections at once; more are closed on arrival (default 1024).', { min: 1 }),
  flag('headers-timeout-s', 'network', 'int', 'Seconds a client has to send its request headers (default 10).', { min: 1, max: 3600 }),
  flag('request-timeout-s', 'network', 'int', 'Seconds a client has to send its whole request (default 120).', { min: 1, max: 3600 }),
  flag('idle-timeout-s', 'network', 'int', 'Seconds a connection may carry no traffic; above 30, the longest\nlong-poll (default 60).', { min: 31, max: 86_400 }),
  flag('keep-alive-timeout-s', 'network', 'int', 'Seconds an idle keep-alive connection waits for its next request\n(default 5).', { min: 1, max: 3600 }),
  flag('quota-mb', 'limits', 'int', 'Storage quota per account, in MiB of envelope bytes (default 256).', { min: 1 }),
  flag('max-body-kb', 'limits', 'int', 'Largest push request body, in KiB (default 16384).', { min: 1 }),
  flag('inflight-mb', 'limits', 'int', 'Request-body MiB held in memory at once across all requests; past it\nrequests get 503 SERVER_BUSY with Retry-After (default 24).', { min: 1 }),
  flag('ip-rate', 'limits', 'int', 'Requests per second per client address, counted before any body is\nread or signature checked (default 500; 0 turns it off).', { min: 0 }),
  flag('ip-burst', 'limits', 'int', 'Burst of requests per client address (default 1000).', { min: 1 }),
  flag('anonymous-rate', 'limits', 'int', 'Account creations and pairing-mailbox requests per second per client\naddress (default 10; 0 turns it off). Raise it when many devices pair\nfrom behind one NAT.', { min: 0 }),
  flag('anonymous-burst', 'limits', 'int', 'Burst of account creations and mailbox requests per address (default 60).', { min: 1 }),
  flag('device-rate', 'limits', 'int', 'Signed requests per second per device (default 100; 0 turns it off).', { min: 0 }),
  flag('device-burst', 'limits', 'int', 'Burst of signed requests per device (default 300).', { min: 1 }),
  flag('admission-token', 'access', 'string', 'Only clients sending "Authorization: Bearer TOKEN" may create accounts\n(403 ADMISSION_DENIED otherwise). Prefer MKS_ADMISSION_TOKEN: a flag\nis visible to every user of the machine in the process list.', { value: 'TOKEN' }),
  flag('disable-metrics', 'access', 'boolean', 'Do not serve Prometheus metrics at /metrics.'),
  flag('log-level', 'logs', 'string', 'debug, info (default), warn, error or silent.', { value: 'LEVEL' }),
  flag('log-format', 'logs', 'string', 'text (default: one line per event) or json (one JSON object per line).', { value: 'FORMAT' }),
  flag('quiet', 'logs', 'boolean', 'No line per request (failures are still logged).'),
];

/** The values of `serve`'s options, as given (flag, then variable), before defaults. */
export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

/** A problem with the command line or the environment: exit code 2. */
export class CliError extends Error {}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

function intValue(spec: FlagSpec, raw: string, source: string): number {
  const value = Number(raw);
  const min = spec.min ?? 0;
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value) || value < min || (spec.max !== undefined && value > spec.max)) {
    throw new CliError(`${source} must be an integer ${spec.max === undefined ? `≥ ${min}` : `in ${min}..${spec.max}`}`);
  }
  return value;
}

function fromEnv(spec: FlagSpec, env: Readonly<Record<string, string | undefined>>): FlagValues[string] {
  for (const name of spec.env) {
    const raw = env[name];
    if (raw === undefined) continue;
    switch (spec.kind) {
      case 'boolean':
        if (TRUE.has(raw.toLowerCase())) return true;
        if (FALSE.has(raw.toLowerCase())) return false;
        throw new CliError(`${name} must be 1 or 0 (true or false)`);
      case 'int':
        return intValue(spec, raw.trim(), name);
      case 'list':
        return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      case 'string':
        return raw;
    }
  }
  return undefined;
}

/** What node:util's parseArgs needs to know about the flags. */
export function parseArgsOptions(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const out: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const spec of SERVE_FLAGS) out[spec.name] = spec.kind === 'boolean' ? { type: 'boolean' } : spec.kind === 'list' ? { type: 'string', multiple: true } : { type: 'string' };
  return out;
}

/**
 * Merges parsed flags with the environment: a flag wins over its variables.
 * @throws {CliError} for a value of the wrong form.
 */
export function resolveFlags(parsed: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): FlagValues {
  const out: FlagValues = {};
  for (const spec of SERVE_FLAGS) {
    const given = parsed[spec.name];
    if (given === undefined) {
      out[spec.name] = fromEnv(spec, env);
    } else if (spec.kind === 'int') {
      out[spec.name] = intValue(spec, given as string, `--${spec.name}`);
    } else {
      out[spec.name] = given as string | boolean | string[];
    }
  }
  return out;
}

const GROUPS: Record<FlagSpec['group'], string> = {
  store: 'Store (one of)',
  network: 'Network',
  limits: 'Limits',
  access: 'Access',
  logs: 'Logs',
};

/** The options part of the help, made from the table. */
export function flagsHelp(): string {
  const lines: string[] = [];
  for (const group of Object.keys(GROUPS) as FlagSpec['group'][]) {
    lines.push(`${GROUPS[group]}:`);
    for (const spec of SERVE_FLAGS.filter((s) => s.group === group)) {
      const left = `  --${spec.name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
      const [first, ...rest] = spec.help.split('\n');
      lines.push(`${left.padEnd(28)} ${first}`);
      for (const line of rest) lines.push(`${''.padEnd(28)} ${line}`);
      lines.push(`${''.padEnd(28)} env: ${spec.env.join(', ')}`);
    }
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}
