import { buildTopology, retryDelay } from '@retail-pulse/shared/messaging';
import { buildRetryPolicy, isTransient } from './retryPolicy';

const policy = buildRetryPolicy({ maxAttempts: 3, redeliveryLimit: 5 });

describe("the image-processor's retry policy", () => {
  it('never waits longer than the TTL of the image delay queue it sends the retry to', () => {
    const topology = buildTopology('rp');
    const ttls = policy.delayLevelsMs.map(
      (_, level) =>
        topology.queues.find((queue) => queue.name === topology.retryRoutes.images.delayQueue(level))?.arguments[
          'x-message-ttl'
        ],
    );
    expect(ttls).toEqual(policy.delayLevelsMs);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const { level, delayMs } = retryDelay(policy, attempt, 0.999999);
      expect(delayMs).toBeLessThanOrEqual(policy.delayLevelsMs[level]!);
    }
  });

  it('retries what the network or the server may do differently later, not what the image is', () => {
    expect(isTransient({ kind: 'timeout' })).toBe(true);
    expect(isTransient({ kind: 'http_status', status: 503 })).toBe(true);
    expect(isTransient({ kind: 'http_status', status: 429 })).toBe(true);
    expect(isTransient({ kind: 'http_status', status: 404 })).toBe(false);
    expect(isTransient({ kind: 'host_not_found' })).toBe(false);
    expect(isTransient({ kind: 'unknown_store' })).toBe(false);
  });
});
