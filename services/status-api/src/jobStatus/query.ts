import type { Db } from 'mongodb';
import {
  collectionNames,
  HttpError,
  type JobOutcomeDocument,
  type JobProgressDocument,
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

/** Terminal answers kept in memory: they never change, so they are served without a database read. */
const SETTLED_CACHE_SIZE = 100_000;

export class JobStatusQuery {
  private readonly settled = new Map<string, JobStatusBody>();

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
    const outcomes = this.db.collection<JobOutcomeDocument>(names.jobOutcomes);
    const outcome = await outcomes.findOne({ _id: jobId });
    if (outcome) return this.remember(cacheKey, statusBodyOf(jobId, outcome));
    const [progress, receipt] = await Promise.all([
      this.db.collection<JobProgressDocument>(names.jobProgress).findOne({ _id: jobId }, { projection: { _id: 1 } }),
      // Receipts speak of now; a historical generation answers from its own state alone.
      generation === undefined
        ? this.db.collection<{ _id: number }>(collectionNames.jobReceipts).findOne({ _id: jobId })
        : null,
    ]);
    if (progress || receipt) return statusBodyOf(jobId, null);
    // The projection writes a job's outcome before dropping its progress: a job seen in neither was
    // either settled between the two reads, or never accepted.
    const settled = await outcomes.findOne({ _id: jobId });
    if (settled) return this.remember(cacheKey, statusBodyOf(jobId, settled));
    throw unknownJob();
  }

  private remember(key: string, body: JobStatusBody): JobStatusBody {
    if (this.settled.size >= SETTLED_CACHE_SIZE) this.settled.delete(this.settled.keys().next().value!);
    this.settled.set(key, body);
    return body;
  }
}
