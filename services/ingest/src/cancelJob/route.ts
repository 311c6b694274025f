import type { Context } from 'koa';
import type { Logger } from '@retail-pulse/shared/config';
import { jobCancelledEventId, metadataFor, type JobCancelled } from '@retail-pulse/shared/contracts';
import type { CancelResponse } from '@retail-pulse/shared/contracts/api';
import { HttpError } from '@retail-pulse/shared/http';
import type { Broker } from '@retail-pulse/shared/messaging';
import { parseJobIdParam, type JobStates } from '../jobState';
import { publishEvent, sendAlone } from '../publishEvent';

export interface CancelDependencies {
  broker: Broker;
  jobStates: JobStates;
  logger: Logger;
}

/**
 * POST /api/jobs/{job_id}/cancel: records a JobCancelled for an ongoing job and answers 202 once
 * the broker has confirmed it; the job settles (failed, its pending visits `cancelled`) when the
 * projection folds it, normally within one batch. A settled job is a 409: its answer is final.
 * Sent twice, the cancellation is logged once (its event id is the job's).
 */
export function cancelJobRoute(deps: CancelDependencies) {
  return async (ctx: Context): Promise<void> => {
    const jobId = parseJobIdParam(ctx.params.jobId);
    const job = await deps.jobStates.of(jobId);
    if (job.state === 'settled') {
      throw new HttpError(409, {
        error: `job ${jobId} has already settled (${job.outcome.status}); only an ongoing job can be cancelled`,
      });
    }
    const event: JobCancelled = {
      eventId: jobCancelledEventId(jobId),
      type: 'JobCancelled',
      version: 1,
      data: { jobId },
      metadata: metadataFor(jobId),
    };
    await publishEvent(sendAlone(deps.broker, event), (error) =>
      deps.logger.warn({ err: error.message, jobId }, 'broker did not take the cancellation'),
    );
    deps.logger.info({ jobId }, 'job cancellation accepted');
    ctx.status = 202;
    ctx.body = { job_id: jobId } satisfies CancelResponse;
  };
}
