import type { Broker } from './broker';
import type { DelayedRetries } from './delayedRetries';
import { publishRetry } from './retryForwarder';

/**
 * How a kind of work (an image request, a webhook delivery) is tried again, in one place for all
 * of them. Each kind says which of its failures are transient; this says how those are spaced and
 * how they travel:
 *
 * - A transient failure is tried again, after a delay, until `maxAttempts` attempts have been
 *   made; then the work fails for good (each kind says what that means for it).
 * - A handler that throws instead of reporting a failure (a bug, or an outage that outlasts the
 *   subscription's hold) is not the work's fault: the message is redelivered, and dead-lettered
 *   after `redeliveryLimit` deliveries.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /**
   * Longest wait of each delay level, in ms. The retry after attempt n waits at level n − 1 (the
   * last level repeats), in the delay queue of that level, whose forwarder never holds a message
   * longer than the same ceiling.
   */
  delayLevelsMs: readonly number[];
  redeliveryLimit: number;
}

/** The policy of a retry route: its delay levels are the ones the topology declares its delay queues with. */
export function retryPolicyOf(
  route: Pick<DelayedRetries, 'levelsMs'>,
  settings: { maxAttempts: number; redeliveryLimit: number },
): RetryPolicy {
  return { ...settings, delayLevelsMs: route.levelsMs };
}

/**
 * The wait before the attempt after `failedAttempt`: exponential by level, with jitter over the
 * upper half of the level so retries of one job's work spread out. `jitter` is a draw in [0, 1).
 */
export function retryDelay(
  policy: RetryPolicy,
  failedAttempt: number,
  jitter: number,
): { level: number; delayMs: number } {
  const level = Math.min(Math.max(failedAttempt - 1, 0), policy.delayLevelsMs.length - 1);
  const ceiling = policy.delayLevelsMs[level]!;
  return { level, delayMs: Math.round(ceiling * (0.5 + jitter / 2)) };
}

/** HTTP answers meaning "not now" rather than "not ever": request timeout, rate limit, server errors. */
export function isTransientHttpStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Puts `message` (its next attempt) in the delay queue of `level` of its route, to wait `delayMs`
 * there and then go back to its work queue (by the route's forwarder). Resolves once the broker
 * has confirmed it, so the delivery it replaces can be acked.
 */
export async function sendToRetry(
  broker: Broker,
  route: DelayedRetries,
  message: unknown,
  options: { level: number; delayMs: number; messageId: string; type: string },
): Promise<void> {
  await publishRetry(broker, route, { ...options, payload: message });
}
