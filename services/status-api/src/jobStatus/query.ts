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

/** Settled answers kept in memory, the oldest dropped first. */
const SETTLED_ANSWERS = 100_000;

/**
 * Answers status from the job-status read model: one read by `_id` of the job's status document,
 * which the projection writes when it first folds the job (ongoing) and again when the job settles
 * (its outcome), never removing it. Only a job not folded yet — between the ingest's 201 and the
 * projection's next batch — has none: its receipt says it exists. No second read is needed: the
 * receipt is written before the 201 and never removed, and a status document never disappears.
 *
 * A settled answer is final (SPEC), so the last ones read are answered from memory: clients poll
 * a job well past its end, and at 1,000 requests/s of settled jobs reading each took the status
 * API and the embedded database most of both cores (p99 81 ms; docs/BENCHMARKS.md). An ongoing
 * job is read every time.
 */
export class JobStatusQuery {
  private readonly reader: JobStatusReader;
  private readonly settled = new Map<string, JobStatusBody>();

  constructor(
    db: Db,
    private readonly readModels: ActiveReadModels,
  ) {
    this.reader = new JobStatusReader(db);
  }

  /** The status of a job; `generation` reads a rebuilt generation instead of the served one. */
  async statusOf(jobId: number, generation?: string): Promise<JobStatusBody> {
    const names = await this.readModels.resolve(generation);
    const key = `${names.jobOutcomes}:${jobId}`;
    const known = this.settled.get(key);
    if (known) return known;
    const document = await this.reader.status(names, jobId);
    if (document) {
      const body = statusBodyOf(jobId, jobStatusOf(document));
      if (body.status !== 'ongoing') {
        if (this.settled.size >= SETTLED_ANSWERS) this.settled.delete(this.settled.keys().next().value!);
        this.settled.set(key, body);
      }
      return body;
    }
    // Receipts speak of now; a historical generation answers from its own documents alone.
    if (generation === undefined && (await this.reader.hasReceipt(jobId))) {
      return statusBodyOf(jobId, { state: 'ongoing' });
    }
    throw unknownJob();
  }
}
