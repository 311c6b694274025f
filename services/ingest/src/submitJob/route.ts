import type { Context } from 'koa';
import type { Logger } from '@retail-pulse/shared/config';
import { jobSubmittedEventId, metadataFor, type JobSubmitted } from '@retail-pulse/shared/contracts';
import type { SubmitResponse } from '@retail-pulse/shared/contracts/api';
import { serviceUnavailable } from '@retail-pulse/shared/http';
import { BrokerUnavailableError, type Broker } from '@retail-pulse/shared/messaging';
import type { JobIdAllocator } from './jobIds';
import type { SubmitMetrics } from './metrics';
import type { JobReceipts } from './receipts';
import { parseSubmitRequest, type SubmitLimits } from './request';

export interface SubmitDependencies {
  broker: Broker;
  jobIds: JobIdAllocator;
  receipts: JobReceipts;
  limits: SubmitLimits;
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
    let jobId: number;
    try {
      jobId = await deps.jobIds.allocate();
    } catch (error) {
      deps.logger.warn({ err: String(error) }, 'cannot allocate a job id');
      throw serviceUnavailable('the job store is unavailable; retry shortly', 2);
    }
    const event: JobSubmitted = {
      eventId: jobSubmittedEventId(jobId),
      type: 'JobSubmitted',
      version: 1,
      data: { jobId, imageCount: request.imageCount, visits: request.visits },
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
      throw serviceUnavailable('the message broker is unavailable; retry shortly', 2);
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
