/** What `serve` will do, worked out from its flags and environment before anything starts. */
import { parseArgs } from 'node:util';
import type { HttpLimits, ServerLimits } from '../server/options.js';
import { CliError, parseArgsOptions, resolveFlags, type FlagValues } from './flags.js';

/** Log levels `--log-level` accepts. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything `serve` needs. */
export interface ServeConfig {
  store: 'sqlite' | 'postgres' | 'memory';
  db: string;
  postgres: string | undefined;
  port: number;
  host: string;
  quotaBytes: number | undefined;
  limits: ServerLimits;
  http: HttpLimits;
  proxyHops: number;
  publicUrls: string[] | undefined;
  corsOrigins: string[];
  admissionToken: string | undefined;
  metrics: boolean;
  logLevel: LogLevel;
  logFormat: 'text' | 'json';
  quiet: boolean;
}

/** The default port. */
export const DEFAULT_PORT = 8787;

const MIB = 1024 * 1024;

function rate(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value === 0 ? Infinity : value;
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 1000;
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Parses `serve`'s arguments against the environment; 'help' when help was asked for.
 * @throws {CliError} for an unknown flag, a stray argument, a bad value or conflicting stores.
 */
export function parseServe(args: string[], env: Readonly<Record<string, string | undefined>>): ServeConfig | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { ...parseArgsOptions(), help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (parsed.values.help === true) return 'help';
  if (parsed.positionals.length > 0) throw new CliError(`unexpected argument "${parsed.positionals[0]}"`);
  const v: FlagValues = resolveFlags(parsed.values, env);
  const stores = [v['db'] !== undefined, v['postgres'] !== undefined, v['memory'] === true].filter(Boolean).length;
  if (stores > 1) throw new CliError('choose one of --db, --postgres and --memory (flags or MKS_DB, MKS_POSTGRES, MKS_MEMORY)');
  const logLevel = (v['log-level'] as string | undefined) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const logFormat = (v['log-format'] as string | undefined) ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new CliError('--log-format must be text or json');
  const token = v['admission-token'] as string | undefined;
  if (token !== undefined && token.length < 16) throw new CliError('--admission-token must be at least 16 characters');
  const http = defined<HttpLimits>({
    maxConnections: v['max-connections'] as number | undefined,
    headersTimeoutMs: seconds(v['headers-timeout-s'] as number | undefined),
    requestTimeoutMs: seconds(v['request-timeout-s'] as number | undefined),
    idleTimeoutMs: seconds(v['idle-timeout-s'] as number | undefined),
    keepAliveTimeoutMs: seconds(v['keep-alive-timeout-s'] as number | undefined),
  });
  if ((http.headersTimeoutMs ?? 10_000) > (http.requestTimeoutMs ?? 120_000)) {
    throw new CliError('--headers-timeout-s must not exceed --request-timeout-s');
  }
  const limits = defined<ServerLimits>({
    maxBodyBytes: v['max-body-kb'] === undefined ? undefined : (v['max-body-kb'] as number) * 1024,
    inFlightBodyBytes: v['inflight-mb'] === undefined ? undefined : (v['inflight-mb'] as number) * MIB,
    ipPerSecond: rate(v['ip-rate'] as number | undefined),
    ipBurst: v['ip-burst'] as number | undefined,
    anonymousPerSecond: rate(v['anonymous-rate'] as number | undefined),
    anonymousBurst: v['anonymous-burst'] as number | undefined,
    requestsPerSecond: rate(v['device-rate'] as number | undefined),
    requestBurst: v['device-burst'] as number | undefined,
  });
  if ((limits.inFlightBodyBytes ?? 24 * MIB) < (limits.maxBodyBytes ?? 16 * MIB)) {
    throw new CliError('--inflight-mb must hold at least one body of --max-body-kb');
  }
  return {
    store: v['postgres'] !== undefined ? 'postgres' : v['memory'] === true ? 'memory' : 'sqlite',
    db: (v['db'] as string | undefined) ?? './data.sqlite',
    postgres: v['postgres'] as string | undefined,
    port: (v['port'] as number | undefined) ?? DEFAULT_PORT,
    host: (v['host'] as string | undefined) ?? '127.0.0.1',
    quotaBytes: v['quota-mb'] === undefined ? undefined : (v['quota-mb'] as number) * MIB,
    limits,
    http,
    proxyHops: (v['proxy-hops'] as number | undefined) ?? 0,
    publicUrls: v['public-url'] as string[] | undefined,
    corsOrigins: (v['cors-origin'] as string[] | undefined) ?? [],
    admissionToken: token,
    metrics: v['disable-metrics'] !== true,
    logLevel: logLevel as LogLevel,
    logFormat,
    quiet: v['quiet'] === true,
  };
}
