import type { Logger } from '@retail-pulse/shared/config';
import type { WebhookRequested } from '@retail-pulse/shared/contracts';
import { sendToRetry, type Broker, type Delivery, type RetryPolicy } from '@retail-pulse/shared/messaging';
import type { WebhookMetrics } from './metrics';
import { decideWebhook } from './policy';
import type { WebhookClient } from './post';
import { deliveryHeaders } from './sign';

export interface WebhookDeliveryDependencies {
  broker: Broker;
  client: WebhookClient;
  /** `WEBHOOK_SECRET`: every delivery is signed; there is no unsigned one. */
  secret: string;
  policy: RetryPolicy;
  metrics: WebhookMetrics;
  logger: Logger;
}

/**
 * One attempt at a webhook: POSTs its body, signed, to the callback URL, then carries out what the
 * policy decides — done, a retry through the webhooks' delay queues (confirmed by the broker
 * before the delivery is acked), or the dead-letter queue with the reason. Anything thrown here is
 * not the receiver's doing and is left to the subscription's redelivery: the POST is made again,
 * under the same webhook id.
 */
export async function deliverWebhook(
  request: WebhookRequested,
  delivery: Delivery,
  deps: WebhookDeliveryDependencies,
): Promise<void> {
  const { webhookId, jobId, attempt } = request.data;
  const body = Buffer.from(request.data.body, 'utf8');
  const stop = deps.metrics.timePost();
  const outcome = await deps.client.post(request.data.url, body, deliveryHeaders(request, body, deps.secret));
  const decision = decideWebhook(request, outcome, deps.policy, Math.random());
  stop(decision.type === 'Delivered' ? 'delivered' : 'failed');
  switch (decision.type) {
    case 'Delivered':
      deps.logger.info({ jobId, webhookId, attempt, status: decision.status }, 'webhook delivered');
      deps.metrics.deliveredOnce();
      return;
    case 'RetryLater': {
      const { level, delayMs, reason } = decision;
      deps.logger.info({ jobId, webhookId, attempt, delayMs, reason }, 'webhook not taken; trying again later');
      await sendToRetry(deps.broker, deps.broker.topology.retryRoutes.webhooks, decision.request, {
        level,
        delayMs,
        messageId: webhookId,
        type: request.type,
      });
      deps.metrics.retryScheduled(decision.cause);
      return;
    }
    case 'GiveUp':
      deps.logger.warn({ jobId, webhookId, attempt, reason: decision.reason }, 'webhook given up: dead-lettered');
      await delivery.deadLetter(`webhook not delivered: ${decision.reason}`);
      deps.metrics.gaveUp(decision.cause);
      return;
    default: {
      const unhandled: never = decision;
      throw new Error(`unhandled webhook decision ${JSON.stringify(unhandled)}`);
    }
  }
}
