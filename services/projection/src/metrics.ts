import type { Counter, ServiceMetrics } from '@retail-pulse/shared/service';
import type { Batcher } from './batcher';
import type { Projector } from './projector';
import type { SettledJob } from './readModel';

/** What the projection reports: how far it has folded the log, how far behind it is, jobs settled. */
export class ProjectionMetrics {
  private readonly jobsSettled: Counter<'status'>;
  private readonly webhooksRequested: Counter;

  constructor(private readonly metrics: ServiceMetrics) {
    this.jobsSettled = metrics.counter({
      name: 'rp_jobs_settled_total',
      help: 'Jobs whose status turned final, by status (completed or failed)',
      labelNames: ['status'],
    });
    this.webhooksRequested = metrics.counter({
      name: 'rp_webhooks_requested_total',
      help: 'Job-settled webhooks handed from the outbox to the deliverer (confirmed by the broker)',
    });
  }

  webhookHandedOver(): void {
    this.webhooksRequested.inc();
  }

  settled(jobs: readonly SettledJob[]): void {
    for (const job of jobs) this.jobsSettled.inc({ status: job.status });
  }

  /** Reads the projector's and the batcher's own counts at each scrape. */
  observe(projector: Projector, batcher: Batcher): void {
    const { metrics } = this;
    metrics.gaugeOf(
      { name: 'rp_projection_lag_events', help: 'Events received from the queue and not yet folded' },
      () => batcher.lag,
    );
    metrics.gaugeOf(
      {
        name: 'rp_projection_last_folded_position',
        help: 'Position in the event log up to which every served read model is folded',
      },
      () => projector.status.lastFoldedPosition,
    );
    metrics.gaugeOf(
      { name: 'rp_event_log_events', help: 'Events in the event log (its highest position)' },
      () => projector.status.nextPosition - 1,
    );
    metrics.gaugeOf(
      { name: 'rp_projection_ongoing_jobs', help: 'Jobs not yet settled, as the job-status read model holds them' },
      () => projector.status.ongoingJobs,
    );
    metrics.counterOf(
      { name: 'rp_projection_events_received_total', help: 'Events handed to the projector, duplicates included' },
      () => projector.status.eventsReceived,
    );
    metrics.counterOf(
      { name: 'rp_projection_events_folded_total', help: 'Events appended to the log and folded into the read models' },
      () => projector.status.eventsFolded,
    );
    metrics.counterOf(
      {
        name: 'rp_projection_events_refused_total',
        help: 'Events refused because their id was taken by another event',
      },
      () => projector.status.eventsRefused,
    );
  }
}
