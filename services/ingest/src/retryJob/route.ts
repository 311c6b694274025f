import type { Context } from 'koa';
import type { Db } from 'mongodb';
import type { RetryResponse } from '@retail-pulse/shared/contracts/api';
import { HttpError, serviceUnavailable } from '@retail-pulse/shared/http';
import { JobsReader } from '@retail-pulse/shared/readModels';
import { parseJobIdParam, type JobStates } from '../jobState';
import { acceptJob, type AcceptDependencies } from '../submitJob/accept';
import { bodyHashOf, parseIdempotencyKey } from '../submitJob/idempotency';
import { retryVisitsOf } from './failedImages';

export interface RetryDependencies extends AcceptDependencies {
  jobStates: JobStates;
  db: Db;
}

/**
 * POST /api/jobs/{job_id}/retry: submits a new job of exactly the failed (and cancelled) images
 * of a failed job — the same visits, store ids and times — as a plain JobSubmitted that records
 * `retryOf`, and answers 201 `{job_id, retry_of}`. The original keeps its answer. The images are
 * read from the jobs read model, final for a settled job; an `Idempotency-Key` makes a retried
 * retry safe, as for submit (the same key for the same job answers the same new job).
 */
export function retryJobRoute(deps: RetryDependencies) {
  const jobs = new JobsReader(deps.db);
  return async (ctx: Context): Promise<void> => {
    const jobId = parseJobIdParam(ctx.params.jobId);
    const key = parseIdempotencyKey(ctx.get('idempotency-key'));
    const job = await deps.jobStates.of(jobId);
    if (job.state !== 'settled' || job.outcome.status !== 'failed') {
      const now = job.state === 'settled' ? 'has completed' : 'is ongoing';
      throw new HttpError(409, { error: `job ${jobId} ${now}; only a failed job can be retried` });
    }
    const detail = await jobs.job(job.names.jobs, jobId);
    const images = detail && (await jobs.images(job.names.jobs, jobId, 0, detail.document.total));
    const visits = detail && images ? retryVisitsOf(detail.visits, images.images) : [];
    // Its status settled and its images not yet in the jobs read model: one projection batch at most.
    if (detail?.document.state !== 'failed' || visits.length === 0) {
      throw serviceUnavailable(`job ${jobId} is not in the read models yet; retry shortly`, 1);
    }
    const imageCount = visits.reduce((sum, visit) => sum + visit.imageUrls.length, 0);
    const { jobId: retryId, replayed } = await acceptJob(
      deps,
      { imageCount, visits, retryOf: jobId },
      key ? { key, bodyHash: bodyHashOf({ retry_of: jobId }) } : undefined,
    );
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = 201;
    ctx.body = { job_id: retryId, retry_of: jobId } satisfies RetryResponse;
  };
}
