import type { Db } from 'mongodb';
import {
  collectionNames,
  HttpError,
  jobKey,
  type JobOutcomeDocument,
  type JobProgressDocument,
  type JobReceiptDocument,
  type StoreError,
} from '@retail-pulse/shared';
import type { ActiveReadModels } from '../readModels';

export type JobStatusBody =
  { status: 'ongoing' | 'completed'; job_id: number } | { status: 'failed'; job_id: number; error: StoreError[] };

/** `jobid` must be a positive integer in decimal; anything else is answered like an unknown job. */
export function parseJobId(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || !/^[0-9]{1,15}$/.test(raw)) return undefined;
  const jobId = Number(raw);
  return Number.isSafeInteger(jobId) && jobId > 0 ? jobId : undefined;
}

export function statusBodyOf(jobId: number, outcome: JobOutcomeDocument | null): JobStatusBody {
  if (!outcome) return { status: 'ongoing', job_id: jobId };
  return outcome.status === 'completed'
    ? { status: 'completed', job_id: jobId }
    : { status: 'failed', job_id: jobId, error: outcome.errors };
}

/** The SPEC's answer for an unknown or malformed job id: 400 with an empty object. */
export const unknownJob = () => new HttpError(400, {});

/** Answers kept in memory, each map bounded: terminal answers, and jobs known to exist. */
const CACHE_SIZE = 100_000;

/**
 * Answers status from the job-status read model. Terminal answers never change, so they are served
 * from memory after the first read. A job once seen to exist never stops existing, so while it is
 * ongoing each poll costs one read (its outcome), not three.
 */
export class JobStatusQuery {
  private readonly settled = new Map<string, JobStatusBody>();
  private readonly accepted = new Set<number>();

  constructor(
    private readonly db: Db,
    private readonly readModels: ActiveReadModels,
  ) {}

  /** The status of a job; `generation` reads a rebuilt generation instead of the served one. */
  async statusOf(jobId: number, generation?: string): Promise<JobStatusBody> {
    const names = await this.readModels.resolve(generation);
    const cacheKey = `${names.jobOutcomes}:${jobId}`;
    const cached = this.settled.get(cacheKey);
    if (cached) return cached;
    const key = jobKey(jobId);
    const outcomes = this.db.collection<JobOutcomeDocument>(names.jobOutcomes);
    const outcome = await outcomes.findOne({ _id: key });
    if (outcome) return this.remember(cacheKey, statusBodyOf(jobId, outcome));
    // Existence is remembered for the served view only: a historical generation may predate the job.
    if (generation === undefined && this.accepted.has(jobId)) return statusBodyOf(jobId, null);
    const [progress, receipt] = await Promise.all([
      this.db.collection<JobProgressDocument>(names.jobProgress).findOne({ _id: key }, { projection: { _id: 1 } }),
      // Receipts speak of now; a historical generation answers from its own state alone.
      generation === undefined
        ? this.db.collection<JobReceiptDocument>(collectionNames.jobReceipts).findOne({ _id: key })
        : null,
    ]);
    if (progress || receipt) {
      if (generation === undefined) bounded(this.accepted, CACHE_SIZE).add(jobId);
      return statusBodyOf(jobId, null);
    }
    // The projection writes a job's outcome before dropping its progress: a job seen in neither was
    // either settled between the two reads, or never accepted.
    const settled = await outcomes.findOne({ _id: key });
    if (settled) return this.remember(cacheKey, statusBodyOf(jobId, settled));
    throw unknownJob();
  }

  private remember(key: string, body: JobStatusBody): JobStatusBody {
    bounded(this.settled, CACHE_SIZE).set(key, body);
    return body;
  }
}

/** Makes room for one more entry by dropping the oldest, once the collection holds `limit`. */
function bounded<T extends Map<unknown, unknown> | Set<unknown>>(collection: T, limit: number): T {
  if (collection.size >= limit) collection.delete(collection.keys().next().value);
  return collection;
}
