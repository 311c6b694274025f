import type { Context } from 'koa';
import type { SubmitResponse } from '@retail-pulse/shared/contracts/api';
import { badRequest } from '@retail-pulse/shared/http';
import { acceptJob, type AcceptDependencies } from './accept';
import { bodyHashOf, parseIdempotencyKey } from './idempotency';
import { parseSubmitRequest, type SubmitLimits } from './request';

export interface SubmitDependencies extends AcceptDependencies {
  limits: SubmitLimits;
  /** Whether the installation signs webhooks (`WEBHOOK_SECRET` is set): without it a `callback_url` is refused. */
  webhooksEnabled: boolean;
}

/**
 * POST /api/submit: validates, assigns a job id, publishes JobSubmitted and answers 201 only once
 * the broker has confirmed it. While the broker or the database cannot take the job: 503.
 */
export function submitJobRoute(deps: SubmitDependencies) {
  return async (ctx: Context): Promise<void> => {
    const request = parseSubmitRequest(ctx.request.body, deps.limits);
    // Refused rather than delivered unsigned: a receiver could not tell our POSTs from anyone's.
    if (request.callbackUrl !== undefined && !deps.webhooksEnabled) {
      throw badRequest('callback_url: webhooks are not configured on this installation (WEBHOOK_SECRET)');
    }
    const key = parseIdempotencyKey(ctx.get('idempotency-key'));
    const { jobId, replayed } = await acceptJob(
      deps,
      {
        imageCount: request.imageCount,
        visits: request.visits,
        ...(request.callbackUrl !== undefined ? { callbackUrl: request.callbackUrl } : {}),
      },
      key ? { key, bodyHash: bodyHashOf(ctx.request.body) } : undefined,
    );
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = 201;
    ctx.body = { job_id: jobId } satisfies SubmitResponse;
  };
}
