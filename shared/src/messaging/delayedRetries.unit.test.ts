import {
  delayQueueBindings,
  delayQueueName,
  delayQueues,
  RETRY_DUE_AT_HEADER,
  waitBeforeForwarding,
  type DelayedRetries,
} from './delayedRetries';
import { buildTopology } from './topology';

const webhookRetries: DelayedRetries = {
  workQueue: 'x.webhooks',
  workExchange: 'x.webhook-work',
  workRoutingKey: 'WebhookDue',
  retryExchange: 'x.retry',
  levelsMs: [2_000, 60_000],
};

describe('delayed retries of a work queue', () => {
  it('has one delay queue per level, named after the work queue, bound by its own name', () => {
    expect(delayQueues(webhookRetries, { 'x-queue-type': 'quorum' })).toEqual([
      { name: 'x.webhooks.retry-0', arguments: { 'x-queue-type': 'quorum' } },
      { name: 'x.webhooks.retry-1', arguments: { 'x-queue-type': 'quorum' } },
    ]);
    expect(delayQueueBindings(webhookRetries)).toEqual([
      { exchange: 'x.retry', queue: 'x.webhooks.retry-0', routingKey: 'x.webhooks.retry-0' },
      { exchange: 'x.retry', queue: 'x.webhooks.retry-1', routingKey: 'x.webhooks.retry-1' },
    ]);
  });

  it('sends a level past the last to the last', () => {
    expect(delayQueueName(webhookRetries, 5)).toBe('x.webhooks.retry-1');
    expect(delayQueueName(webhookRetries, -1)).toBe('x.webhooks.retry-0');
  });

  it('gives the image requests delay queues with neither a TTL nor dead-lettering back to the work queue', () => {
    const topology = buildTopology('rp');
    const imageRetries = topology.retryRoutes.images;
    expect(imageRetries.workQueue).toBe(topology.names.imageRequestsQueue);
    for (const [level] of imageRetries.levelsMs.entries()) {
      const queue = topology.queues.find(({ name }) => name === topology.names.retryQueue(level))!;
      expect(queue.arguments).not.toHaveProperty('x-message-ttl');
      expect(queue.arguments['x-dead-letter-exchange']).toBe(topology.names.deadLetterExchange);
      expect(topology.bindings).toContainEqual({
        exchange: topology.names.retryExchange,
        queue: queue.name,
        routingKey: queue.name,
      });
    }
  });
});

describe('waitBeforeForwarding', () => {
  const now = 1_000_000;

  it('waits until the due time', () => {
    expect(waitBeforeForwarding({ [RETRY_DUE_AT_HEADER]: now + 1_500 }, 2_000, now)).toBe(1_500);
  });

  it('forwards at once what is overdue (held by a forwarder that died, say) or has no due time', () => {
    expect(waitBeforeForwarding({ [RETRY_DUE_AT_HEADER]: now - 30_000 }, 2_000, now)).toBe(0);
    expect(waitBeforeForwarding({}, 2_000, now)).toBe(0);
    expect(waitBeforeForwarding({ [RETRY_DUE_AT_HEADER]: 'soon' }, 2_000, now)).toBe(0);
  });

  it('never holds a message longer than its level, whatever the publisher’s clock said', () => {
    expect(waitBeforeForwarding({ [RETRY_DUE_AT_HEADER]: now + 3_600_000 }, 2_000, now)).toBe(2_000);
  });
});
