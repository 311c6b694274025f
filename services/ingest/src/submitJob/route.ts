import type { Context } from 'koa';
import type { Logger } from '@retail-pulse/shared/config';
import { jobSubmittedEventId, metadataFor, type JobSubmitted } from '@retail-pulse/shared/contracts';
import type { SubmitResponse } from '@retail-pulse/shared/contracts/api';
import { badRequest, HttpError, serviceUnavailable } from '@retail-pulse/shared/http';
import { BrokerUnavailableError, type Broker } from '@retail-pulse/shared/messaging';
import { bodyHashOf, parseIdempotencyKey, type IdempotencyKeys, type KeyedSubmit } from './idempotency';
import type { JobIdAllocator } from './jobIds';
import type { SubmitMetrics } from './metrics';
import type { JobReceipts } from './receipts';
import { parseSubmitRequest, type SubmitLimits } from './request';

export interface SubmitDependencies {
  broker: Broker;
  jobIds: JobIdAllocator;
  receipts: JobReceipts;
  idempotency: IdempotencyKeys;
  limits: SubmitLimits;
  /** Whether the installation signs webhooks (`WEBHOOK_SECRET` is set): without it a `callback_url` is refused. */
  webhooksEnabled: boolean;
  metrics: SubmitMetrics;
  logger: Logger;
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
    const allocate = () => deps.jobIds.allocate();
    let keyed: KeyedSubmit;
    try {
      keyed = key
        ? await deps.idempotency.claim(key, bodyHashOf(ctx.request.body), allocate)
        : { kind: 'new', jobId: await allocate() };
    } catch (error) {
      if (error instanceof HttpError) throw error;
      deps.logger.warn({ err: String(error) }, 'cannot allocate a job id');
      throw serviceUnavailable('the job store is unavailable; retry shortly', 2);
    }
    const { jobId } = keyed;
    if (keyed.kind === 'repeat') {
      ctx.set('Idempotent-Replayed', 'true');
      if (!keyed.republish) {
        ctx.status = 201;
        ctx.body = { job_id: jobId } satisfies SubmitResponse;
        return;
      }
    }
    const event: JobSubmitted = {
      eventId: jobSubmittedEventId(jobId),
      type: 'JobSubmitted',
      version: 1,
      data: {
        jobId,
        imageCount: request.imageCount,
        visits: request.visits,
        ...(request.callbackUrl !== undefined ? { callbackUrl: request.callbackUrl } : {}),
      },
      metadata: metadataFor(jobId),
    };
    try {
      await deps.broker.publish(deps.broker.topology.names.eventsExchange, event.type, event, {
        messageId: event.eventId,
        type: event.type,
      });
    } catch (error) {
      if (!(error instanceof BrokerUnavailableError)) throw error;
      deps.logger.warn({ err: error.message, jobId }, 'broker did not take the job');
      // A retry with the key sends this same job again at once (the log keeps one copy).
      if (key) await deps.idempotency.settle(key, 'unconfirmed').catch(() => undefined);
      throw serviceUnavailable('the message broker is unavailable; retry shortly', 2);
    }
    if (key) {
      await deps.idempotency.settle(key, 'published').catch((error: unknown) =>
        // Left claimed: a repeat waits a few seconds, then publishes the same job again.
        deps.logger.warn({ err: String(error), jobId }, 'could not mark the idempotency key published'),
      );
    }
    try {
      await deps.receipts.record(jobId);
    } catch (error) {
      // The job is durably accepted; without the receipt, status finds it once the projection folds it.
      deps.logger.warn({ err: String(error), jobId }, 'could not record the job receipt');
    }
    deps.metrics.accepted(request.imageCount);
    ctx.status = 201;
    ctx.body = { job_id: jobId } satisfies SubmitResponse;
  };
}
