import { redactSecrets } from '@retail-pulse/shared/config';
import type { WebhookRequested } from '@retail-pulse/shared/contracts';
import {
  isTransientHttpStatus,
  retryDelay,
  retryPolicyOf,
  WEBHOOK_RETRY_DELAYS_MS,
  type RetryPolicy,
} from '@retail-pulse/shared/messaging';
import type { PostFailure, PostOutcome } from './post';

/** Attempts in all when `WEBHOOK_MAX_ATTEMPTS` is not set: about an hour and a half of a receiver being away. */
export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = 8;

/**
 * The deliverer's retry policy: `WEBHOOK_MAX_ATTEMPTS` attempts spaced by the delay levels of the
 * webhooks' retry route (5 s, 30 s, 2 min, 10 min, then 30 min), through the shared mechanism
 * image retries use (shared/src/messaging/retryPolicy.ts).
 */
export function buildWebhookRetryPolicy(settings: { maxAttempts: number; redeliveryLimit: number }): RetryPolicy {
  return retryPolicyOf({ levelsMs: WEBHOOK_RETRY_DELAYS_MS }, settings);
}

/**
 * Failures that may well go differently in a while: the receiver or the network, not the URL. A
 * host not found is one, unlike for an image: a callback URL was checked when the job was
 * submitted, so a failing lookup now is more likely the receiver's DNS than a typo.
 */
const TRANSIENT_KINDS: Record<PostFailure['kind'], boolean> = {
  timeout: true,
  connect_timeout: true,
  connection_failed: true,
  host_not_found: true,
  invalid_url: false,
  unsupported_scheme: false,
  forbidden_address: false,
};

/** Delivered, tried again later, or given up: what becomes of one attempt. */
export type WebhookDecision =
  | { type: 'Delivered'; status: number }
  | {
      type: 'RetryLater';
      /** The next attempt. */
      request: WebhookRequested;
      level: number;
      delayMs: number;
      reason: string;
      cause: string;
    }
  | { type: 'GiveUp'; reason: string; cause: string };

/** A bounded label for metrics: the failure kind, or the class of the status a receiver answered. */
function causeOf(outcome: PostOutcome): string {
  return outcome.type === 'answered' ? `http_${Math.floor(outcome.status / 100)}xx` : outcome.failure.kind;
}

/**
 * Decides what becomes of a webhook delivery given what its attempt found. Pure: no I/O, no clock.
 * Any 2xx is delivered. 408, 429, 5xx, timeouts and connection failures are tried again until
 * `maxAttempts` attempts were made. Any other answer — a 4xx, a redirect, anything else outside
 * 2xx — and a refused address are final at once: the receiver said no, or cannot be called at all.
 */
export function decideWebhook(
  request: WebhookRequested,
  outcome: PostOutcome,
  policy: RetryPolicy,
  jitter: number,
): WebhookDecision {
  if (outcome.type === 'answered' && outcome.status >= 200 && outcome.status < 300) {
    return { type: 'Delivered', status: outcome.status };
  }
  const cause = causeOf(outcome);
  const { attempt } = request.data;
  const reason =
    outcome.type === 'answered' ? `HTTP ${outcome.status} from ${redactSecrets(request.data.url)}` : outcome.reason;
  const transient =
    outcome.type === 'answered' ? isTransientHttpStatus(outcome.status) : TRANSIENT_KINDS[outcome.failure.kind];
  if (!transient) return { type: 'GiveUp', reason: `${reason} (final: not retried)`, cause };
  if (attempt >= policy.maxAttempts) {
    return { type: 'GiveUp', reason: `${reason} (after ${attempt} attempts)`, cause };
  }
  const { level, delayMs } = retryDelay(policy, attempt, jitter);
  return {
    type: 'RetryLater',
    request: { ...request, data: { ...request.data, attempt: attempt + 1 } },
    level,
    delayMs,
    reason,
    cause,
  };
}
