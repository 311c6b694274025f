import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type LabelValues,
} from 'prom-client';

export type { Counter, Gauge, Histogram, LabelValues } from 'prom-client';

/**
 * prom-client's process defaults that break Prometheus's naming rules: gauges ending in `_total`,
 * which `promtool check metrics` refuses. Their per-type breakdowns (`nodejs_active_handles{type}`,
 * …) stay, and a `sum()` of one of those is the total.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Latency buckets for answers expected within milliseconds to seconds (Prometheus's defaults, plus 25 ms and 30 s). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A metric's name, help and label names; the registry is the service's own. */
type Definition<T extends string> = { name: string; help: string; labelNames?: readonly T[] };

/** One sample a scrape reads from a service's own state: a value, or values by label. */
export type Reading<T extends string> = number | ReadonlyArray<{ labels: LabelValues<T>; value: number }>;

/**
 * A service's metrics: its own prom-client registry (no global one, so tests and several services
 * in one process never share counts), the Node process defaults, and the HTTP request metrics every
 * service reports. Each service defines its own metrics on it with the factory methods.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    const labelNames = ['method', 'route', 'status'] as const;
    this.httpRequests = this.counter({
      name: 'rp_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames,
    });
    this.httpDuration = this.histogram({
      name: 'rp_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent, by method, route pattern and status code',
      labelNames,
      buckets: LATENCY_BUCKETS,
    });
  }

  counter<T extends string = never>(config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  gauge<T extends string = never>(config: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<T extends string = never>(config: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T> {
    return new Histogram({ buckets: LATENCY_BUCKETS, ...config, registers: [this.registry] });
  }

  /** A gauge read from the service's state at each scrape (a queue's length, a position). */
  gaugeOf<T extends string = never>(definition: Definition<T>, read: () => Reading<T>): Gauge<T> {
    return this.gauge<T>({
      ...definition,
      collect() {
        this.reset();
        apply(read(), (labels, value) => (labels ? this.set(labels, value) : this.set(value)));
      },
    });
  }

  /**
   * A counter read at each scrape from a count the service keeps anyway (a broker client's
   * reconnects, a projector's folded events): those only ever grow, as a counter must.
   */
  counterOf<T extends string = never>(definition: Definition<T>, read: () => Reading<T>): Counter<T> {
    return this.counter<T>({
      ...definition,
      collect() {
        this.reset();
        apply(read(), (labels, value) => (labels ? this.inc(labels, value) : this.inc(value)));
      },
    });
  }

  /** Records one answered HTTP request. `route` is the route's pattern, never the raw path. */
  observeRequest(request: { method: string; route: string; status: number; seconds: number }): void {
    const labels = { method: request.method, route: request.route, status: String(request.status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, request.seconds);
  }

  /** The exposition a scrape gets: its Content-Type and body. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function apply<T extends string>(
  reading: Reading<T>,
  set: (labels: LabelValues<T> | undefined, value: number) => void,
) {
  if (typeof reading === 'number') set(undefined, reading);
  else for (const { labels, value } of reading) set(labels, value);
}

/** The route label of a path served by the operational endpoints themselves, else undefined. */
export function operationalRoute(path: string): string | undefined {
  return path === METRICS_PATH || path === '/health' || path === '/health/live' || path === '/health/ready'
    ? path
    : undefined;
}

export const METRICS_PATH = '/metrics';

/** The route label of a request no route took (404s): one value, however many paths clients try. */
export const UNMATCHED_ROUTE = 'unmatched';
