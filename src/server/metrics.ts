/**
 * Prometheus metrics (prom-client), one registry per server so two servers in a process never
 * share counters. Labels are route patterns, methods, statuses, refusal reasons and storage
 * causes: never an id, so the metrics page tells an operator how the server is doing and
 * nothing about who uses it.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `mks_http_requests_total` | counter | method, route, status |
 * | `mks_http_request_duration_seconds` | histogram | method, route |
 * | `mks_envelopes_stored_total` | counter | |
 * | `mks_envelope_bytes_stored_total` | counter | |
 * | `mks_long_polls_open` | gauge | |
 * | `mks_request_body_bytes_in_flight` | gauge | |
 * | `mks_store_errors_total` | counter | code (`STORE_FULL`, …), cause (`SQLITE_FULL`, `PG 53100`, …) |
 * | `mks_store_healthy` | gauge | (1 after a passing health probe, 0 after a failing one) |
 *
 * plus prom-client's default process metrics (`process_resident_memory_bytes`, …).
 */
import promClient from 'prom-client';

/** Where the gauges read their current value. */
export interface MetricSources {
  longPollsOpen(): number;
  bodyBytesInFlight(): number;
}

/** The server's metrics. */
export class ServerMetrics {
  readonly registry = new promClient.Registry();
  readonly #requests: promClient.Counter<'method' | 'route' | 'status'>;
  readonly #duration: promClient.Histogram<'method' | 'route'>;
  readonly #stored: promClient.Counter;
  readonly #storedBytes: promClient.Counter;
  readonly #storeErrors: promClient.Counter<'code' | 'cause'>;
  readonly #healthy: promClient.Gauge;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.#requests = new promClient.Counter({ name: 'mks_http_requests_total', help: 'Requests answered, by route pattern and status.', labelNames: ['method', 'route', 'status'], registers });
    this.#duration = new promClient.Histogram({
      name: 'mks_http_request_duration_seconds',
      help: 'Time to answer a request, by route pattern (long-polls included).',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#stored = new promClient.Counter({ name: 'mks_envelopes_stored_total', help: 'Envelopes written (pushes answered "stored").', registers });
    this.#storedBytes = new promClient.Counter({ name: 'mks_envelope_bytes_stored_total', help: 'Bytes of the envelopes written.', registers });
    this.#storeErrors = new promClient.Counter({ name: 'mks_store_errors_total', help: 'Database failures, by code and driver cause.', labelNames: ['code', 'cause'], registers });
    this.#healthy = new promClient.Gauge({ name: 'mks_store_healthy', help: '1 when the last health probe wrote and read the store, else 0.', registers });
    new promClient.Gauge({
      name: 'mks_long_polls_open',
      help: 'Long-polls (wait requests) open now.',
      registers,
      collect() {
        this.set(sources.longPollsOpen());
      },
    });
    new promClient.Gauge({
      name: 'mks_request_body_bytes_in_flight',
      help: 'Request-body bytes reserved in the in-flight budget now.',
      registers,
      collect() {
        this.set(sources.bodyBytesInFlight());
      },
    });
    promClient.collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one answered request. */
  request(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#duration.observe({ method, route }, seconds);
  }

  /** Counts envelopes a push wrote. */
  stored(envelopes: number, bytes: number): void {
    if (envelopes === 0) return;
    this.#stored.inc(envelopes);
    this.#storedBytes.inc(bytes);
  }

  /** Counts one database failure. */
  storeError(code: string, cause: string): void {
    this.#storeErrors.inc({ code, cause });
  }

  /** Records the outcome of a health probe. */
  health(ok: boolean): void {
    this.#healthy.set(ok ? 1 : 0);
  }

  /** The text exposition and its content type. */
  async expose(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
