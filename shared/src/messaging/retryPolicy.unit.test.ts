import { isTransientHttpStatus, retryDelay, retryPolicyOf } from './retryPolicy';
import { delayQueueName, type DelayedRetries } from './delayedRetries';
import { buildTopology } from './topology';

describe('retryDelay', () => {
  const policy = retryPolicyOf({ levelsMs: [1_000, 5_000, 25_000] }, { maxAttempts: 3, redeliveryLimit: 5 });

  it('backs off exponentially by level, with jitter in the upper half of each level', () => {
    expect(retryDelay(policy, 1, 0)).toEqual({ level: 0, delayMs: 500 });
    expect(retryDelay(policy, 1, 0.999999)).toEqual({ level: 0, delayMs: 1_000 });
    expect(retryDelay(policy, 2, 0)).toEqual({ level: 1, delayMs: 2_500 });
    expect(retryDelay(policy, 3, 0.999999)).toEqual({ level: 2, delayMs: 25_000 });
    expect(retryDelay(policy, 9, 0.999999)).toEqual({ level: 2, delayMs: 25_000 });
  });
});

describe('the retry routes', () => {
  const topology = buildTopology('rp');
  const routes: Array<[string, DelayedRetries]> = Object.entries(topology.retryRoutes);

  it.each(routes)(
    '%s: a delay queue per level, bound to the retry exchange, and its work queue bound to the work exchange',
    (_, route) => {
      route.levelsMs.forEach((__, level) => {
        const queue = delayQueueName(route, level);
        expect(topology.queues.find(({ name }) => name === queue)?.arguments).toMatchObject({
          'x-queue-type': 'quorum',
        });
        expect(topology.bindings).toContainEqual({ exchange: topology.names.retryExchange, queue, routingKey: queue });
      });
      expect(topology.bindings).toContainEqual({
        exchange: topology.names.workExchange,
        queue: route.workQueue,
        routingKey: route.workRoutingKey,
      });
    },
  );

  it('give every delay queue of every route a routing key of its own', () => {
    const keys = routes.flatMap(([, route]) => route.levelsMs.map((_, level) => delayQueueName(route, level)));
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('isTransientHttpStatus', () => {
  it('says "not now" for a timeout, a rate limit and server errors, "not ever" for other answers', () => {
    expect([408, 429, 500, 502, 503].map(isTransientHttpStatus)).toEqual([true, true, true, true, true]);
    expect([200, 301, 400, 401, 404, 410].map(isTransientHttpStatus)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
