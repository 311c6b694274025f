import type { Context } from 'koa';
import type { SubmitResponse } from '@retail-pulse/shared/contracts/api';
import { acceptJob, type AcceptDependencies } from './accept';
import { bodyHashOf, parseIdempotencyKey } from './idempotency';
import { parseSubmitRequest, type SubmitLimits } from './request';

export interface SubmitDependencies extends AcceptDependencies {
  limits: SubmitLimits;
}

/**
 * POST /api/submit: validates, assigns a job id, publishes JobSubmitted and answers 201 only once
 * the broker has confirmed it. While the broker or the database cannot take the job: 503.
 */
export function submitJobRoute(deps: SubmitDependencies) {
  return async (ctx: Context): Promise<void> => {
    const request = parseSubmitRequest(ctx.request.body, deps.limits);
    const key = parseIdempotencyKey(ctx.get('idempotency-key'));
    const { jobId, replayed } = await acceptJob(
      deps,
      { imageCount: request.imageCount, visits: request.visits },
      key ? { key, bodyHash: bodyHashOf(ctx.request.body) } : undefined,
    );
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = 201;
    ctx.body = { job_id: jobId } satisfies SubmitResponse;
  };
}
