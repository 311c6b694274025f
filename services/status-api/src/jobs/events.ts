import type { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { Logger } from '@retail-pulse/shared/config';
import { formatStreamEvent, type JobDetailBody } from '@retail-pulse/shared/contracts';
import type { JobsQuery } from './query';
import { openEventStream } from './stream';

export interface JobEventsOptions {
  /** How often a stream reads its job's detail again (one read by `_id`). */
  pollMs: number;
  /** A comment line this often keeps proxies (and the gateway's body timeout) from closing a quiet stream. */
  heartbeatMs: number;
  logger: Logger;
}

/** Images of the job settled so far: the id of the event that showed that many. It only grows. */
const eventIdOf = (detail: JobDetailBody) => String(detail.images.succeeded + detail.images.failed);
const settled = (detail: JobDetailBody) => detail.status !== 'ongoing';

/**
 * `GET /api/jobs/{job_id}/events`: the job's detail as Server-Sent Events, one `data:` line of
 * JSON whenever it changes and a last one when the job settles, then the stream ends.
 *
 * Each event's id is the count of images settled when it was sent, so a client that reconnects
 * with `Last-Event-ID` gets only what is newer; one that already saw the settled state is told
 * `204 No Content`, which tells an EventSource to stop reconnecting. A client that connects after
 * the job settled gets the final state at once. A job the ingest accepted but the projection has
 * not folded yet is waited for; an unknown one is a 404 before any stream starts.
 */
export class JobEvents {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly jobs: JobsQuery,
    private readonly options: JobEventsOptions,
  ) {}

  /** Streams currently open. */
  get streams(): number {
    return this.open.size;
  }

  async serve(ctx: Context, rawJobId: string): Promise<void> {
    const first = await this.jobs.watch(rawJobId); // 400 / 404 here, before any byte of the stream
    const lastSeen = ctx.get('last-event-id');
    if (first !== 'pending' && settled(first) && lastSeen === eventIdOf(first)) {
      ctx.status = 204;
      return;
    }
    // A reconnecting client is told how often to retry, and says what it saw last.
    const stream = openEventStream(ctx, Math.max(1_000, this.options.pollMs * 2));
    void this.follow(stream, ctx, rawJobId, first, lastSeen);
  }

  /** Stops every open stream (the service is stopping): clients reconnect to another instance. */
  closeAll(): void {
    for (const close of [...this.open]) close();
  }

  private async follow(
    stream: PassThrough,
    ctx: Context,
    rawJobId: string,
    first: JobDetailBody | 'pending',
    lastSeen: string,
  ): Promise<void> {
    let closed = false;
    let wake: (() => void) | undefined;
    const close = () => {
      if (closed) return;
      closed = true;
      this.open.delete(close);
      clearInterval(heartbeat);
      wake?.();
      stream.end();
    };
    this.open.add(close);
    ctx.req.once('close', close);
    stream.once('error', close);
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), this.options.heartbeatMs);
    let sentId = lastSeen;
    let detail: JobDetailBody | 'pending' = first;
    while (!closed) {
      if (detail !== 'pending' && eventIdOf(detail) !== sentId) {
        sentId = eventIdOf(detail);
        stream.write(formatStreamEvent({ id: sentId, data: JSON.stringify(detail) }));
      }
      if (detail !== 'pending' && settled(detail)) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, this.options.pollMs);
      });
      if (closed) break;
      try {
        detail = await this.jobs.watch(rawJobId);
      } catch (error) {
        // The database away for a moment: the stream stays, and reads again at the next tick.
        this.options.logger.debug({ err: String(error) }, 'job events: reading the job failed');
      }
    }
    close();
  }
}
