import type { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { Logger } from '@retail-pulse/shared/config';
import { formatStreamEvent } from '@retail-pulse/shared/contracts';
import { JOBS_FEED_SIZE, type JobsFeedEventBody } from '@retail-pulse/shared/contracts/api';
import type { JobsQuery } from './query';
import { openEventStream } from './stream';

type JobSummaryBody = JobsFeedEventBody['jobs'][number];

export interface JobsFeedOptions {
  /** How often the newest jobs are read while a stream is open: one read for every stream. */
  pollMs: number;
  /** A comment line this often keeps proxies (and the gateway's body timeout) from closing a quiet stream. */
  heartbeatMs: number;
  logger: Logger;
}

/**
 * The summaries among `next` that are new or differ from `previous` (by job id), newest first.
 * Pure: what a feed sends after each read.
 */
export function changedJobs(previous: ReadonlyMap<number, string>, next: readonly JobSummaryBody[]): JobSummaryBody[] {
  return next.filter((job) => previous.get(job.job_id) !== JSON.stringify(job));
}

interface Subscriber {
  stream: PassThrough;
  close: () => void;
}

/**
 * `GET /api/jobs/events`: the newest jobs as Server-Sent Events, for a live list. However many
 * streams are open, one loop reads the listing's newest page (the listing head and a block or
 * two, by `_id`) every `pollMs`, and only while a stream is open; each stream gets the whole page
 * first, then the jobs that changed. Busy lists cost the database the same as a quiet one.
 */
export class JobsFeed {
  private readonly subscribers = new Set<Subscriber>();
  /** The last page read, by job id (each summary as JSON, to compare). */
  private latest = new Map<number, string>();
  private page: JobSummaryBody[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private opening: Promise<JobSummaryBody[]> | undefined;

  constructor(
    private readonly jobs: JobsQuery,
    private readonly options: JobsFeedOptions,
  ) {}

  get streams(): number {
    return this.subscribers.size;
  }

  async serve(ctx: Context): Promise<void> {
    // While the loop runs its last page is current; otherwise the page is read before the stream
    // starts, so a database away is a 503, not a silent stream.
    // Streams opening together share one read, so neither misses what the other's read saw.
    const page =
      this.timer !== undefined && this.page
        ? this.page
        : await (this.opening ??= this.read().finally(() => (this.opening = undefined)));
    const stream = openEventStream(ctx, Math.max(1_000, this.options.pollMs * 2));
    stream.write(formatStreamEvent({ data: JSON.stringify({ jobs: page } satisfies JobsFeedEventBody) }));
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), this.options.heartbeatMs);
    const subscriber: Subscriber = {
      stream,
      close: () => {
        if (!this.subscribers.delete(subscriber)) return;
        clearInterval(heartbeat);
        stream.end();
        if (this.subscribers.size === 0) this.pause();
      },
    };
    this.subscribers.add(subscriber);
    ctx.req.once('close', subscriber.close);
    stream.once('error', subscriber.close);
    this.timer ??= setInterval(() => void this.tick(), this.options.pollMs);
  }

  /** Ends every open stream (the service is stopping): clients reconnect. */
  closeAll(): void {
    for (const subscriber of [...this.subscribers]) subscriber.close();
  }

  private pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async read(): Promise<JobSummaryBody[]> {
    const { jobs } = await this.jobs.list({ limit: String(JOBS_FEED_SIZE) });
    this.latest = new Map(jobs.map((job) => [job.job_id, JSON.stringify(job)]));
    this.page = jobs;
    return jobs;
  }

  private async tick(): Promise<void> {
    if (this.reading) return; // a slow read is not stacked up behind
    this.reading = true;
    try {
      const previous = this.latest;
      const jobs = await this.read();
      const changed = changedJobs(previous, jobs);
      if (changed.length === 0) return;
      const event = formatStreamEvent({ data: JSON.stringify({ jobs: changed } satisfies JobsFeedEventBody) });
      for (const { stream } of this.subscribers) stream.write(event);
    } catch (error) {
      // The database away for a moment: the streams stay, and the next tick reads again.
      this.options.logger.debug({ err: String(error) }, 'jobs feed: reading the newest jobs failed');
    } finally {
      this.reading = false;
    }
  }
}
