import type { Db } from 'mongodb';
import { redactSecrets } from '@retail-pulse/shared/config';
import { jobIdParam, unknownJobBody, type JobStatusBody } from '@retail-pulse/shared/contracts/api';
import { HttpError } from '@retail-pulse/shared/http';
import {
  jobStatusOf,
  JobStatusReader,
  readModelCollections,
  type JobSettledNotice,
  type JobStatus,
} from '@retail-pulse/shared/readModels';
import type { ActiveReadModels } from '../readModels';

/** `jobid` must be a positive integer in decimal; anything else is answered like an unknown job. */
export function parseJobId(raw: unknown): number | undefined {
  const parsed = jobIdParam.safeParse(raw);
  return parsed.success ? Number(parsed.data) : undefined;
}

/** Reasons are redacted again here: logs written before the processor redacted them still hold credentials. */
export function statusBodyOf(jobId: number, status: JobStatus): JobStatusBody {
  if (status.state !== 'failed') return { status: status.state, job_id: jobId };
  return {
    status: 'failed',
    job_id: jobId,
    error: status.failures.map((failure) => ({ store_id: failure.storeId, error: redactSecrets(failure.reason) })),
  };
}

/** The SPEC's answer for an unknown or malformed job id: 400 with an empty object. */
export const unknownJob = () => new HttpError(400, unknownJobBody.parse({}));

/** Answers kept in memory, each map bounded: terminal answers, and jobs known to be ongoing. */
const CACHE_SIZE = 100_000;

/** Longest an ongoing job is answered from memory before its outcome is read again. */
export const ONGOING_TRUST_MS = 5_000;

/**
 * Answers status from the job-status read model, reading it as little as it can:
 *
 * - terminal answers never change: once read, or announced by the projection on the
 *   settled-jobs feed, they are served from memory;
 * - a job seen ongoing is answered "ongoing" from memory while the feed has been up ever since
 *   (a settle would have been announced) and for at most `ONGOING_TRUST_MS` — so a lost
 *   announcement delays "completed" by that much at worst, and never yields a wrong answer.
 *
 * Without the feed every request reads the read model, as before.
 */
export class JobStatusQuery {
  private readonly settled = new Map<string, JobStatusBody>();
  private readonly ongoing = new Map<string, { readAt: number; epoch: number }>();
  /** Changes whenever the feed starts or stops: what was learnt under another epoch is read again. */
  private epoch = 0;
  private feedLive = false;
  private readonly reader: JobStatusReader;

  constructor(
    db: Db,
    private readonly readModels: ActiveReadModels,
    private readonly clock: () => number = Date.now,
  ) {
    this.reader = new JobStatusReader(db);
  }

  /** The settled-jobs feed is up: from now on a settle is announced. */
  feedReady(): void {
    this.epoch++;
    this.feedLive = true;
  }

  /** The feed is down: announcements may be missed until it is back. */
  feedLost(): void {
    this.epoch++;
    this.feedLive = false;
  }

  /** The projection settled these jobs (their outcomes are stored). */
  settledNotice(notice: JobSettledNotice): void {
    const outcomes = readModelCollections(notice.generation).jobOutcomes;
    for (const job of notice.jobs) this.remember(`${outcomes}:${job.jobId}`, statusBodyOf(job.jobId, jobStatusOf(job)));
  }

  /** The status of a job; `generation` reads a rebuilt generation instead of the served one. */
  async statusOf(jobId: number, generation?: string): Promise<JobStatusBody> {
    const names = await this.readModels.resolve(generation);
    const cacheKey = `${names.jobOutcomes}:${jobId}`;
    const cached = this.settled.get(cacheKey);
    if (cached) return cached;
    // Memory speaks of the served view only: a historical generation is always read.
    const served = generation === undefined;
    const known = served ? this.ongoing.get(cacheKey) : undefined;
    const now = this.clock();
    if (known && this.feedLive && known.epoch === this.epoch && now - known.readAt < ONGOING_TRUST_MS) {
      return statusBodyOf(jobId, jobStatusOf(null));
    }
    const seen = { readAt: now, epoch: this.epoch };
    const outcome = await this.reader.outcome(names, jobId);
    if (outcome) return this.remember(cacheKey, statusBodyOf(jobId, jobStatusOf(outcome)));
    // A job once seen never stops existing: only its outcome needed reading.
    if (known) return this.rememberOngoing(cacheKey, jobId, seen);
    // Receipts speak of now; a historical generation answers from its own state alone.
    if (await this.reader.isOpen(names, jobId, { withReceipts: served })) {
      return served ? this.rememberOngoing(cacheKey, jobId, seen) : statusBodyOf(jobId, jobStatusOf(null));
    }
    // The projection writes a job's outcome before dropping its progress: a job seen in neither was
    // either settled between the two reads, or never accepted.
    const settled = await this.reader.outcome(names, jobId);
    if (settled) return this.remember(cacheKey, statusBodyOf(jobId, jobStatusOf(settled)));
    throw unknownJob();
  }

  /** Remembers a job as ongoing, unless an announcement settled it while it was being read. */
  private rememberOngoing(key: string, jobId: number, seen: { readAt: number; epoch: number }): JobStatusBody {
    if (!this.settled.has(key)) bounded(this.ongoing, CACHE_SIZE).set(key, seen);
    return statusBodyOf(jobId, jobStatusOf(null));
  }

  private remember(key: string, body: JobStatusBody): JobStatusBody {
    this.ongoing.delete(key);
    bounded(this.settled, CACHE_SIZE).set(key, body);
    return body;
  }
}

/** Makes room for one more entry by dropping the oldest, once the collection holds `limit`. */
function bounded<T extends Map<unknown, unknown> | Set<unknown>>(collection: T, limit: number): T {
  if (collection.size >= limit) collection.delete(collection.keys().next().value);
  return collection;
}
