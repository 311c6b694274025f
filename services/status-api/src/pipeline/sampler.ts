import { z } from 'zod';
import type { Logger } from '@retail-pulse/shared/config';
import type { PipelineBody, PipelineSampleBody } from '@retail-pulse/shared/contracts/api';
import { intervalOf, sampleOf, type Interval, type SourceRole } from './figures';
import { parseMetricsText, type Scrape } from './metricsText';
import type { QueueDepth, QueueDepths } from './queueDepths';

/** A service whose `/metrics` the sampler reads. */
export interface MetricsSource {
  /** Unique: `image-processor`, `image-processor-2`, … */
  name: string;
  role: SourceRole;
  /** `host:port` of its metrics (health) port. */
  target: string;
}

const roles = ['ingest', 'projection', 'image-processor'] as const satisfies readonly SourceRole[];

/**
 * `PIPELINE_METRICS_SOURCES`: `role=host:port` entries, comma-separated, e.g.
 * `ingest=127.0.0.1:8081,projection=127.0.0.1:8083,image-processor=127.0.0.1:8084`. A role given
 * more than once (several image-processors) is numbered from its second entry.
 */
export const metricsSourcesSchema = z.string().transform((list, ctx) => {
  const counts = new Map<string, number>();
  const sources: MetricsSource[] = [];
  for (const entry of list
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([a-z-]+)=([^\s=,/]+:[0-9]{1,5})$/.exec(entry);
    const role = roles.find((known) => known === match?.[1]);
    if (!match || !role) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not role=host:port with a role of ${roles.join(', ')}` });
      return z.NEVER;
    }
    const seen = (counts.get(role) ?? 0) + 1;
    counts.set(role, seen);
    sources.push({ name: seen === 1 ? role : `${role}-${seen}`, role, target: match[2]! });
  }
  return sources;
});

export interface PipelineSamplerOptions {
  sources: readonly MetricsSource[];
  queueDepths: QueueDepths;
  sampleMs: number;
  windowSeconds: number;
  logger: Logger;
}

type SourceState = PipelineBody['sources'][number];

/**
 * `GET /api/ops/pipeline`: every `sampleMs` the sampler reads each service's `/metrics` (on this
 * machine's loopback, or the compose network) and every queue's depth from RabbitMQ, turns what
 * changed since the sample before into rates and latencies (figures.ts), and keeps the last
 * `windowSeconds` of samples in memory. What it answers was measured, never estimated: a service
 * that did not answer contributes nothing and is named in `sources`.
 */
export class PipelineSampler {
  private readonly samples: PipelineSampleBody[] = [];
  private readonly failures: Array<{ at: number; failures: Interval['failures'] }> = [];
  /** Each source's last scrape that answered: the baseline of its next increase. */
  private readonly previous = new Map<string, Scrape>();
  private lastAt: number | undefined;
  private sourceStates: SourceState[] = [];
  private queues: QueueDepth[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(private readonly options: PipelineSamplerOptions) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.options.sampleMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
    await this.options.queueDepths.close();
  }

  body(): PipelineBody {
    const since = Date.now() - this.options.windowSeconds * 1000;
    const failures = new Map<string, { kind: string; cause: string; count: number }>();
    for (const interval of this.failures) {
      if (interval.at < since) continue;
      for (const { kind, cause, count } of interval.failures) {
        const known = failures.get(`${kind}|${cause}`) ?? { kind, cause, count: 0 };
        known.count += count;
        failures.set(`${kind}|${cause}`, known);
      }
    }
    return {
      sample_seconds: this.options.sampleMs / 1000,
      window_seconds: this.options.windowSeconds,
      samples: this.samples.filter((sample) => Date.parse(sample.at) >= since),
      failures: [...failures.values()].sort((a, b) => b.count - a.count),
      queues: this.queues,
      sources: this.sourceStates,
    };
  }

  /** Takes one sample now (a slow one is never overlapped by the next). */
  sample(): Promise<void> {
    this.sampling ??= this.takeSample().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async takeSample(): Promise<void> {
    const now = Date.now();
    const [scrapes, queues] = await Promise.all([
      Promise.all(this.options.sources.map((source) => this.scrape(source))),
      this.options.queueDepths.read().then(
        (depths) => ({ depths }),
        (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
      ),
    ]);
    const readings = this.options.sources.map((source, index) => ({
      role: source.role,
      before: this.previous.get(source.name),
      after: scrapes[index]!.scrape,
    }));
    this.sourceStates = [
      ...this.options.sources.map((source, index) => {
        const { error } = scrapes[index]!;
        return { name: source.name, target: source.target, up: error === undefined, ...(error ? { error } : {}) };
      }),
      {
        name: 'rabbitmq',
        target: 'AMQP_URL',
        up: 'depths' in queues,
        ...('error' in queues ? { error: queues.error } : {}),
      },
    ];
    this.queues = 'depths' in queues ? queues.depths : [];
    this.options.sources.forEach((source, index) => {
      const { scrape } = scrapes[index]!;
      if (scrape) this.previous.set(source.name, scrape);
    });
    const seconds = this.lastAt === undefined ? undefined : (now - this.lastAt) / 1000;
    this.lastAt = now;
    if (seconds === undefined || seconds <= 0) return; // the first sample is only a baseline
    const interval = intervalOf(readings);
    const ready = Object.fromEntries(this.queues.map((queue) => [queue.name, queue.ready]));
    this.samples.push(sampleOf(interval, seconds, new Date(now), ready));
    this.failures.push({ at: now, failures: interval.failures });
    const keep = Math.ceil((this.options.windowSeconds * 1000) / this.options.sampleMs) + 1;
    if (this.samples.length > keep) this.samples.splice(0, this.samples.length - keep);
    if (this.failures.length > keep) this.failures.splice(0, this.failures.length - keep);
  }

  private async scrape(source: MetricsSource): Promise<{ scrape?: Scrape; error?: string }> {
    try {
      const response = await fetch(`http://${source.target}/metrics`, { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) {
        await response.body?.cancel();
        return { error: `HTTP ${response.status}` };
      }
      return { scrape: parseMetricsText(await response.text()) };
    } catch (error) {
      this.options.logger.debug({ source: source.name, err: String(error) }, 'pipeline: metrics not read');
      return {
        error:
          error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error),
      };
    }
  }
}
