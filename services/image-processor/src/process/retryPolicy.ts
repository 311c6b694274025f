import {
  isTransientHttpStatus,
  RETRY_DELAYS_MS,
  retryPolicyOf,
  type RetryPolicy,
} from '@retail-pulse/shared/messaging';
import type { DownloadFailure } from '../download/download';
import type { MeasureFailure } from './measure';

export type { RetryPolicy };

/**
 * Every way one attempt at an image can fail: what the download, the measurement and the store
 * lookup report. Adding a kind fails to compile until `isTransient` below says what it is.
 */
export type ProcessingFailure = DownloadFailure | MeasureFailure | { kind: 'unknown_store' };

/**
 * The image-processor's retry policy: how many attempts an image gets (`IMAGE_MAX_ATTEMPTS`), spaced
 * by the delay levels of the images' retry route. How retries are spaced and travel is the shared
 * policy's (shared/src/messaging/retryPolicy.ts); which failures are worth another attempt is said here.
 */
export function buildRetryPolicy(settings: { maxAttempts: number; redeliveryLimit: number }): RetryPolicy {
  return retryPolicyOf({ levelsMs: RETRY_DELAYS_MS }, settings);
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

export function isTransient(failure: ProcessingFailure): boolean {
  return failure.kind === 'http_status' ? isTransientHttpStatus(failure.status) : TRANSIENT_KINDS[failure.kind];
}
