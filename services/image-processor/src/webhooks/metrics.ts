import type { Counter, Histogram, ServiceMetrics } from '@retail-pulse/shared/service';

/** A POST takes from milliseconds to the whole timeout (10 s by default). */
const POST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * What the deliverer reports. `cause` is a failure kind or a status class (`http_5xx`), never a
 * URL or a status code, so the series stay few.
 */
export class WebhookMetrics {
  private readonly delivered: Counter;
  private readonly failed: Counter<'cause'>;
  private readonly retries: Counter<'cause'>;
  private readonly duration: Histogram<'result'>;

  constructor(metrics: ServiceMetrics) {
    this.delivered = metrics.counter({
      name: 'rp_webhooks_delivered_total',
      help: 'Webhook deliveries a callback URL answered with 2xx',
    });
    this.failed = metrics.counter({
      name: 'rp_webhooks_failed_total',
      help: 'Webhooks given up on and dead-lettered (a final answer, or out of attempts), by the last failure',
      labelNames: ['cause'],
    });
    this.retries = metrics.counter({
      name: 'rp_webhook_retries_total',
      help: 'Webhook deliveries sent through a delay queue to be tried again, by the failure',
      labelNames: ['cause'],
    });
    this.duration = metrics.histogram({
      name: 'rp_webhook_post_duration_seconds',
      help: 'Time of one webhook POST, by result (delivered or failed)',
      labelNames: ['result'],
      buckets: POST_BUCKETS,
    });
  }

  /** Starts timing a POST; the function it returns stops it. */
  timePost(): (result: 'delivered' | 'failed') => void {
    const end = this.duration.startTimer();
    return (result) => end({ result });
  }

  deliveredOnce(): void {
    this.delivered.inc();
  }

  gaveUp(cause: string): void {
    this.failed.inc({ cause });
  }

  retryScheduled(cause: string): void {
    this.retries.inc({ cause });
  }
}
