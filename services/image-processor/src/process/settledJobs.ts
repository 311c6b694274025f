import type { Db } from 'mongodb';
import type { Logger } from '@retail-pulse/shared/config';
import { JobStatusReader, ServedReadModels, type JobSettledNotice } from '@retail-pulse/shared/readModels';

/** Longest a job read as ongoing is taken to be so before it is read again. */
export const ONGOING_TRUST_MS = 5_000;

/**
 * How far the clocks of the ingest (which stamps a job's submission) and of a processor may
 * disagree: a job counts as submitted after the feed came up only by this much more.
 */
export const CLOCK_MARGIN_MS = 1_000;

/** Jobs remembered, each set bounded: the oldest entry makes room for a new one. */
const CACHE_SIZE = 100_000;

/**
 * Which jobs have settled, so that their image requests are dropped without a download. A
 * cancelled job is settled (failed) once the projection has folded its cancellation, and an image
 * of any settled job has nothing left to change: its outcome would count for nothing.
 *
 * Learnt from the settled-jobs feed (the projection announces every job it settles, a cancelled
 * one included) and, for a job not announced, from the job-status read model: read at a job's
 * first request, and again once `ONGOING_TRUST_MS` have passed, or at once when the feed comes
 * back (announcements sent while it was away were missed). So a lost announcement costs at most
 * that long of downloads whose outcomes count for nothing, never a wrong answer; a restart or a
 * redelivery reads again. Only the job's settled answer is trusted, which never changes.
 *
 * A job submitted after the feed came up (and while it stayed up) is not read at its first
 * request: a settlement comes after the submission, so the feed has told of it. It is taken as
 * ongoing for `ONGOING_TRUST_MS`, then read like any other. Under a load of small jobs that read
 * was one database lookup per job, most of what the processors asked of the database.
 */
export class SettledJobs {
  private readonly settled = new Set<number>();
  private readonly ongoing = new Map<number, number>();
  /** When the feed last came up, while it has stayed up since; undefined while it is down. */
  private feedUpSince: number | undefined;
  /** One read per job at a time, however many of its requests ask. */
  private readonly reading = new Map<number, Promise<boolean>>();
  private readonly reader: JobStatusReader;
  private readonly served: ServedReadModels;

  constructor(
    db: Db,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.reader = new JobStatusReader(db);
    this.served = new ServedReadModels(db);
  }

  /** For the health details: how many settled jobs this process knows of. */
  get stats(): { remembered: number } {
    return { remembered: this.settled.size };
  }

  /** The projection settled these jobs. */
  settledNotice(notice: JobSettledNotice): void {
    for (const job of notice.jobs) this.remember(job.jobId);
  }

  /** The feed is (back) up: what was read while it was away is read again. */
  feedReady(): void {
    this.ongoing.clear();
    this.feedUpSince = this.clock();
  }

  /** The feed is down: announcements may be missed until it is back. */
  feedLost(): void {
    this.feedUpSince = undefined;
  }

  /**
   * Whether the job has settled: its requests are then dropped. `jobSubmittedAt` (the request's):
   * when the job was submitted, if the request says.
   */
  async isSettled(jobId: number, jobSubmittedAt?: string): Promise<boolean> {
    if (this.settled.has(jobId)) return true;
    const readAt = this.ongoing.get(jobId);
    if (readAt !== undefined && this.clock() - readAt < ONGOING_TRUST_MS) return false;
    if (readAt === undefined && this.feedToldOfAllSince(jobSubmittedAt)) {
      bounded(this.ongoing).set(jobId, this.clock());
      return false;
    }
    let read = this.reading.get(jobId);
    if (!read) {
      read = this.read(jobId).finally(() => this.reading.delete(jobId));
      this.reading.set(jobId, read);
    }
    return read;
  }

  private async read(jobId: number): Promise<boolean> {
    const readAt = this.clock();
    try {
      const outcome = await this.reader.outcome(await this.served.current(), jobId);
      if (outcome) {
        this.remember(jobId);
        return true;
      }
      if (!this.settled.has(jobId)) bounded(this.ongoing).set(jobId, readAt);
      return false;
    } catch (error) {
      // Without the database the image is processed: at worst work whose outcome counts for nothing.
      this.logger.debug({ err: String(error), jobId }, 'could not read whether the job settled');
      return false;
    }
  }

  /** Whether the feed has been up, without a break, since before `submittedAt` (with the clocks' margin). */
  private feedToldOfAllSince(submittedAt: string | undefined): boolean {
    if (this.feedUpSince === undefined || submittedAt === undefined) return false;
    return Date.parse(submittedAt) - CLOCK_MARGIN_MS >= this.feedUpSince;
  }

  private remember(jobId: number): void {
    this.ongoing.delete(jobId);
    bounded(this.settled).add(jobId);
  }
}

/** Makes room for one more entry by dropping the oldest, once the collection holds `CACHE_SIZE`. */
function bounded<T extends Map<unknown, unknown> | Set<unknown>>(collection: T): T {
  if (collection.size >= CACHE_SIZE) collection.delete(collection.keys().next().value);
  return collection;
}
