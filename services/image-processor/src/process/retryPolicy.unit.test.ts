import { buildTopology, retryDelay } from '@retail-pulse/shared/messaging';
import { buildRetryPolicy, isTransient } from './retryPolicy';

const policy = buildRetryPolicy({ maxAttempts: 3, redeliveryLimit: 5 });

// How retryDelay backs off is the shared policy's, tested in shared/src/messaging/retryPolicy.unit.test.ts.
describe("the image-processor's retry policy", () => {
  it('never waits longer than the level of the delay queue it sends the retry to', () => {
    const imageRetries = buildTopology('rp').retryRoutes.images;
    expect(policy.delayLevelsMs).toEqual(imageRetries.levelsMs);
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
