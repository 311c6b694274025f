import { buildTopology, retryDelay } from '@retail-pulse/shared/messaging';
import { buildRetryPolicy, isTransient } from './retryPolicy';

const policy = buildRetryPolicy({ maxAttempts: 3, redeliveryLimit: 5 });

describe('retryDelay', () => {
  it('backs off exponentially by level, with jitter in the upper half of each level', () => {
    expect(retryDelay(policy, 1, 0)).toEqual({ level: 0, delayMs: 500 });
    expect(retryDelay(policy, 1, 0.999999)).toEqual({ level: 0, delayMs: 1_000 });
    expect(retryDelay(policy, 2, 0)).toEqual({ level: 1, delayMs: 2_500 });
    expect(retryDelay(policy, 3, 0.999999)).toEqual({ level: 2, delayMs: 25_000 });
    expect(retryDelay(policy, 9, 0.999999)).toEqual({ level: 2, delayMs: 25_000 });
  });

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
