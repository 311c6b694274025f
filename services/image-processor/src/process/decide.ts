import {
  imageSettledEventId,
  type ImageFailed,
  type ImageFailureKind,
  type ImageProcessed,
  type ImageRequested,
} from '@retail-pulse/shared/contracts';
import { retryDelay } from '@retail-pulse/shared/messaging';
import type { Store } from '@retail-pulse/shared/storeMaster';
import { perimeterOf, type ImageSize } from './measure';
import { isTransient, type ProcessingFailure, type RetryPolicy } from './retryPolicy';

/** What one attempt at an image found: the I/O is done, only the decision is left. */
export type ProcessingOutcome =
  | { type: 'measured'; store: Pick<Store, 'areaCode' | 'storeName'>; size: ImageSize; bytes: number }
  | { type: 'failed'; failure: ProcessingFailure; reason: string };

/** Try the image again later: send `request` (its next attempt) through the delay queue of `level`. */
export interface RetryLater {
  type: 'RetryLater';
  request: ImageRequested;
  /** 0-based delay level: the message waits in that level's delay queue (`<work queue>.retry-<level>`). */
  level: number;
  /** How long it waits there before it is sent back to the work queue. */
  delayMs: number;
  reason: string;
}

export type ImageDecision = ImageProcessed | ImageFailed | RetryLater;

/** What the decision needs from outside that would make it impure if it fetched it itself. */
export interface DecisionContext {
  now: Date;
  /** A random draw in [0, 1), spreading retry delays. */
  jitter: number;
  /** The store-master version the attempt checked the store against, recorded on the event. */
  storeMasterVersion: number;
}

/** The failure kind the ImageFailed event (and so the status API) reports for each failure. */
const REPORTED_KIND: Record<ProcessingFailure['kind'], ImageFailureKind> = {
  unknown_store: 'unknown_store',
  invalid_url: 'download',
  unsupported_scheme: 'forbidden_address',
  forbidden_address: 'forbidden_address',
  too_many_redirects: 'download',
  http_status: 'http_status',
  wrong_content_type: 'not_an_image',
  too_many_bytes: 'too_large',
  memory_budget: 'download',
  timeout: 'download',
  connect_timeout: 'download',
  host_not_found: 'download',
  connection_failed: 'download',
  unreadable_image: 'not_an_image',
  too_many_pixels: 'too_large',
};

/** Decides what becomes of an image request, given what its attempt found. Pure: no I/O, no clock. */
export function decide(
  request: ImageRequested,
  outcome: ProcessingOutcome,
  policy: RetryPolicy,
  context: DecisionContext,
): ImageDecision {
  const { attempt, ...image } = request.data;
  const occurredAt = context.now.toISOString();
  if (outcome.type === 'measured') {
    return {
      eventId: imageSettledEventId(image.imageId),
      type: 'ImageProcessed',
      version: 2,
      data: {
        ...image,
        areaCode: outcome.store.areaCode,
        storeName: outcome.store.storeName,
        width: outcome.size.width,
        height: outcome.size.height,
        perimeter: perimeterOf(outcome.size),
        format: outcome.size.format,
        bytes: outcome.bytes,
        attempts: attempt,
        processedAt: occurredAt,
        storeMasterVersion: context.storeMasterVersion,
      },
      metadata: { ...request.metadata, occurredAt },
    };
  }
  const transient = isTransient(outcome.failure);
  if (transient && attempt < policy.maxAttempts) {
    const { level, delayMs } = retryDelay(policy, attempt, context.jitter);
    return {
      type: 'RetryLater',
      request: { ...request, data: { ...request.data, attempt: attempt + 1 } },
      level,
      delayMs,
      reason: outcome.reason,
    };
  }
  return {
    eventId: imageSettledEventId(image.imageId),
    type: 'ImageFailed',
    version: 1,
    data: {
      ...image,
      kind: REPORTED_KIND[outcome.failure.kind],
      // Saying how often it was tried tells a transient failure that persisted from a one-off.
      reason: transient && attempt > 1 ? `${outcome.reason} (after ${attempt} attempts)` : outcome.reason,
      attempts: attempt,
      storeMasterVersion: context.storeMasterVersion,
    },
    metadata: { ...request.metadata, occurredAt },
  };
}
