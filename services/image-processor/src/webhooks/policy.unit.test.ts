import { buildTopology, delayQueueName, retryDelay } from '@retail-pulse/shared/messaging';
import type { WebhookRequested } from '@retail-pulse/shared/contracts';
import { buildWebhookRetryPolicy, decideWebhook, type WebhookDecision } from './policy';
import type { PostFailure, PostOutcome } from './post';

const policy = buildWebhookRetryPolicy({ maxAttempts: 4, redeliveryLimit: 5 });

function attempt(n: number): WebhookRequested {
  return {
    type: 'WebhookRequested',
    version: 1,
    data: {
      webhookId: 'w-1',
      jobId: 7,
      body: '{"webhook_id":"w-1","job_id":7}',
      url: 'https://receiver.example/hooks?token=s3cret',
      attempt: n,
    },
    metadata: { correlationId: '7', occurredAt: '2026-12-01T10:00:00.000Z' },
  };
}

const answered = (status: number): PostOutcome => ({ type: 'answered', status });
const failed = (kind: PostFailure['kind'], reason = `${kind} at https://receiver.example/hooks?token=***`) =>
  ({ type: 'failed', failure: { kind }, reason }) as PostOutcome;

/** Given attempt n, when its POST found `outcome`, then this decision. */
const given = (n: number) => ({
  when: (outcome: PostOutcome, jitter = 0.5) => ({
    then: (expected: Partial<WebhookDecision> & Record<string, unknown>) =>
      expect(decideWebhook(attempt(n), outcome, policy, jitter)).toMatchObject(expected),
  }),
});

describe('decideWebhook', () => {
  it.each([200, 201, 202, 204, 299])('takes any 2xx (%i) as delivered, on any attempt', (status) => {
    given(1).when(answered(status)).then({ type: 'Delivered', status });
    given(4).when(answered(status)).then({ type: 'Delivered', status });
  });

  it.each([408, 429, 500, 502, 503, 504])('tries %i again, with the next attempt number', (status) => {
    const decision = decideWebhook(attempt(1), answered(status), policy, 0.5);
    expect(decision).toMatchObject({ type: 'RetryLater', level: 0, cause: `http_${Math.floor(status / 100)}xx` });
    expect(decision.type === 'RetryLater' && decision.request.data).toEqual({ ...attempt(1).data, attempt: 2 });
  });

  it.each(['timeout', 'connect_timeout', 'connection_failed', 'host_not_found'] as const)(
    'tries a delivery that found %s again',
    (kind) => given(2).when(failed(kind)).then({ type: 'RetryLater', level: 1, cause: kind }),
  );

  it.each([301, 302, 307, 400, 401, 403, 404, 410, 413, 422, 100])(
    'gives up at once on %i: the receiver answered, and not with a yes',
    (status) =>
      given(1)
        .when(answered(status))
        .then({
          type: 'GiveUp',
          cause: `http_${Math.floor(status / 100)}xx`,
          // The URL's secret-looking parameter never reaches a dead letter's reason.
          reason: `HTTP ${status} from https://receiver.example/hooks?token=*** (final: not retried)`,
        }),
  );

  it.each(['forbidden_address', 'invalid_url', 'unsupported_scheme'] as const)(
    'gives up at once on %s: no later attempt can reach it',
    (kind) => given(1).when(failed(kind)).then({ type: 'GiveUp', cause: kind }),
  );

  it('gives up once the last attempt failed too, saying how many were made', () => {
    given(4)
      .when(answered(503))
      .then({ type: 'GiveUp', reason: 'HTTP 503 from https://receiver.example/hooks?token=*** (after 4 attempts)' });
    given(4).when(failed('timeout', 'no answer within 10000 ms from https://receiver.example/hooks')).then({
      type: 'GiveUp',
      reason: 'no answer within 10000 ms from https://receiver.example/hooks (after 4 attempts)',
    });
  });

  it('spaces retries by the delay levels of the webhooks retry route, never above a level its queue holds', () => {
    const topology = buildTopology('rp');
    const route = topology.retryRoutes.webhooks;
    expect(policy.delayLevelsMs).toEqual(route.levelsMs);
    route.levelsMs.forEach((_, level) => {
      expect(topology.queues.map(({ name }) => name)).toContain(delayQueueName(route, level));
    });
    for (let n = 1; n < policy.maxAttempts; n++) {
      const decision = decideWebhook(attempt(n), answered(500), policy, 0.999999);
      expect(decision).toMatchObject({ type: 'RetryLater', ...retryDelay(policy, n, 0.999999) });
      if (decision.type === 'RetryLater') expect(decision.delayMs).toBeLessThanOrEqual(route.levelsMs[decision.level]!);
    }
  });
});
