import { RETRY_DELAYS_MS } from '@retail-pulse/shared/messaging';
import type { DownloadFailure } from '../download/download';
import type { MeasureFailure } from './measure';

/**
 * Every way one attempt at an image can fail: what the download, the measurement and the store
 * lookup report. Adding a kind fails to compile until `isTransient` below says what it is.
 */
export type ProcessingFailure = DownloadFailure | MeasureFailure | { kind: 'unknown_store' };

/**
 * What happens to an image request that does not succeed, in one place.
 *
 * - A failure the policy calls transient is tried again, after a delay, until `maxAttempts`
 *   attempts have been made; then the image fails for good.
 * - Any other failure fails the image at once.
 * - A handler that throws instead of reporting a failure (a bug, or an outage that outlasts the
 *   subscription's hold) is not the image's fault: the message is redelivered, and dead-lettered
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

/** The policy, with the delay levels the topology declares the image requests' delay queues with. */
export function buildRetryPolicy(settings: { maxAttempts: number; redeliveryLimit: number }): RetryPolicy {
  return { ...settings, delayLevelsMs: RETRY_DELAYS_MS };
}

/** Kinds that may well go differently in a while: the network or the server, not the image. */
const TRANSIENT_KINDS: Record<Exclude<ProcessingFailure['kind'], 'http_status'>, boolean> = {
  timeout: true,
  connect_timeout: true,
  connection_failed: true,
  invalid_url: false,
  unsupported_scheme: false,
  forbidden_address: false,
  too_many_redirects: false,
  host_not_found: false,
  wrong_content_type: false,
  too_many_bytes: false,
  memory_budget: true,
  unreadable_image: false,
  too_many_pixels: false,
  unknown_store: false,
};

/** HTTP answers meaning "not now" rather than "not ever": request timeout, rate limit, server errors. */
function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function isTransient(failure: ProcessingFailure): boolean {
  return failure.kind === 'http_status' ? isTransientStatus(failure.status) : TRANSIENT_KINDS[failure.kind];
}

/**
 * The wait before the attempt after `failedAttempt`: exponential by level, with jitter over the
 * upper half of the level so retries of one job's images spread out. `jitter` is a draw in [0, 1).
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
