/**
 * The LISTEN side of the PostgreSQL change feed: one dedicated connection (never a pooled
 * one, which would drop LISTEN when returned) that fans notifications out to in-process
 * watchers. Every `PostgresStore` on the same database, in any process, NOTIFYs on commit, so
 * a puller parked in one server process wakes for a push handled by another.
 *
 * If the connection drops it reconnects with backoff, then wakes every watched account with
 * its current highest cursor, since notifications sent meanwhile are lost.
 */
import type pg from 'pg';
import { WatcherRegistry } from './watchers.js';

/** The notification channel; payload is `<account id hex>:<highest cursor of the commit>`. */
export const ENVELOPE_CHANNEL = 'mks_envelopes';

/** Formats the NOTIFY payload. */
export function envelopePayload(accountHex: string, cursor: number): string {
  return `${accountHex}:${cursor}`;
}

/** Looks up the current highest cursor of each account (hex ids), for wakeups after a reconnect. */
export type CursorLookup = (accountHexes: string[]) => Promise<Array<[string, number]>>;

/** One LISTEN connection per store, opened lazily, fanning out to in-process watchers. */
export class PostgresListener {
  /** Listeners of this process, by account hex. */
  readonly watchers = new WatcherRegistry();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private connections = 0;
  private closed = false;

  constructor(
    private readonly driver: typeof pg,
    private readonly config: pg.ClientConfig,
    private readonly lookup: CursorLookup,
  ) {}

  /** Resolves once LISTEN is active on a live connection. */
  ensure(): Promise<void> {
    if (this.client !== undefined) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new this.driver.Client({ ...this.config, application_name: 'multikey-sync-listen' });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => this.deliver(message.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${ENVELOPE_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    this.connections += 1;
    if (this.connections > 1) void this.resync();
  }

  private deliver(payload: string | undefined): void {
    const [accountHex, cursor] = (payload ?? '').split(':');
    if (accountHex === undefined || cursor === undefined) return;
    this.watchers.emit(accountHex, Number(cursor));
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer !== undefined || this.watchers.size === 0) return;
    const delay = Math.min(5000, 50 * 2 ** this.failures);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensure().catch(() => {
        this.failures += 1;
        this.scheduleReconnect();
      });
    }, delay);
    this.retryTimer.unref();
  }

  private async resync(): Promise<void> {
    try {
      for (const [accountHex, cursor] of await this.lookup(this.watchers.accounts())) {
        this.watchers.emit(accountHex, cursor);
      }
    } catch {
      // The pool is unavailable too; the next notification or reconnect wakes pullers.
    }
  }

  /** Closes the connection and forgets every watcher. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.watchers.clear();
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
