import type { Db } from 'mongodb';
import { redactSecrets } from '@retail-pulse/shared/config';
import { jobIdParam, unknownJobBody, type JobStatusBody } from '@retail-pulse/shared/contracts/api';
import { HttpError } from '@retail-pulse/shared/http';
import { jobStatusOf, JobStatusReader, type JobStatus } from '@retail-pulse/shared/readModels';
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

/**
 * Answers status from the job-status read model: one read by `_id` of the job's status document,
 * which the projection writes when it first folds the job (ongoing) and again when the job settles
 * (its outcome), never removing it. Only a job not folded yet — between the ingest's 201 and the
 * projection's next batch — has none: its receipt says it exists. No second read is needed: the
 * receipt is written before the 201 and never removed, and a status document never disappears.
 */
export class JobStatusQuery {
  private readonly reader: JobStatusReader;

  constructor(
    db: Db,
    private readonly readModels: ActiveReadModels,
  ) {
    this.reader = new JobStatusReader(db);
  }

  /** The status of a job; `generation` reads a rebuilt generation instead of the served one. */
  async statusOf(jobId: number, generation?: string): Promise<JobStatusBody> {
    const names = await this.readModels.resolve(generation);
    const document = await this.reader.status(names, jobId);
    if (document) return statusBodyOf(jobId, jobStatusOf(document));
    // Receipts speak of now; a historical generation answers from its own documents alone.
    if (generation === undefined && (await this.reader.hasReceipt(jobId))) {
      return statusBodyOf(jobId, { state: 'ongoing' });
    }
    throw unknownJob();
  }
}
