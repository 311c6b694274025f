import { imageSettledEventId, type ImageFailureKind, type ImageRequested } from '@retail-pulse/shared/contracts';
import { decide, type DecisionContext, type ImageDecision, type ProcessingOutcome } from './decide';
import { buildRetryPolicy, type ProcessingFailure, type RetryPolicy } from './retryPolicy';

const NOW = new Date('2024-01-21T10:00:05.000Z');
/** The lowest jitter: every delay is half its level's ceiling. */
const CONTEXT: DecisionContext = { now: NOW, jitter: 0, storeMasterVersion: 3 };
const POLICY = buildRetryPolicy({ maxAttempts: 3, redeliveryLimit: 5 });
const IMAGE_ID = '7:0:1';

function requestAt(attempt: number): ImageRequested {
  return {
    type: 'ImageRequested',
    version: 1,
    data: {
      jobId: 7,
      imageId: IMAGE_ID,
      visitIndex: 0,
      imageIndex: 1,
      storeId: 'S00339218',
      visitTime: '2024-01-21T09:00:00Z',
      url: 'http://images.example/shelf.jpg',
      attempt,
    },
    metadata: { correlationId: '7', causationId: 'job-event-7', occurredAt: '2024-01-21T10:00:00.000Z' },
  };
}

/** The image's fields as every settled event carries them: the request's, without `attempt`. */
const IMAGE = {
  jobId: 7,
  imageId: IMAGE_ID,
  visitIndex: 0,
  imageIndex: 1,
  storeId: 'S00339218',
  visitTime: '2024-01-21T09:00:00Z',
  url: 'http://images.example/shelf.jpg',
};
const SETTLED_METADATA = { correlationId: '7', causationId: 'job-event-7', occurredAt: NOW.toISOString() };

function given(request: ImageRequested, policy: RetryPolicy = POLICY) {
  return {
    when: (outcome: ProcessingOutcome, context: DecisionContext = CONTEXT) => ({
      then: (expected: ImageDecision) => expect(decide(request, outcome, policy, context)).toEqual(expected),
    }),
  };
}

const REASON = 'what the attempt reported';
const failedWith = (failure: ProcessingFailure): ProcessingOutcome => ({ type: 'failed', failure, reason: REASON });

function imageFailed(kind: ImageFailureKind, attempts: number, reason: string): ImageDecision {
  return {
    eventId: imageSettledEventId(IMAGE_ID),
    type: 'ImageFailed',
    version: 1,
    data: { ...IMAGE, kind, reason, attempts, storeMasterVersion: 3 },
    metadata: SETTLED_METADATA,
  };
}

function retryLater(nextAttempt: number, level: number, delayMs: number): ImageDecision {
  return { type: 'RetryLater', request: requestAt(nextAttempt), level, delayMs, reason: REASON };
}

/** What the status API reports for each failure, and whether it is worth another attempt. */
const EXPECTED_BY_KIND: Record<
  Exclude<ProcessingFailure['kind'], 'http_status'>,
  { reportedAs: ImageFailureKind; transient: boolean }
> = {
  timeout: { reportedAs: 'download', transient: true },
  connect_timeout: { reportedAs: 'download', transient: true },
  connection_failed: { reportedAs: 'download', transient: true },
  invalid_url: { reportedAs: 'download', transient: false },
  unsupported_scheme: { reportedAs: 'forbidden_address', transient: false },
  forbidden_address: { reportedAs: 'forbidden_address', transient: false },
  too_many_redirects: { reportedAs: 'download', transient: false },
  host_not_found: { reportedAs: 'download', transient: false },
  wrong_content_type: { reportedAs: 'not_an_image', transient: false },
  too_many_bytes: { reportedAs: 'too_large', transient: false },
  memory_budget: { reportedAs: 'download', transient: true },
  unreadable_image: { reportedAs: 'not_an_image', transient: false },
  too_many_pixels: { reportedAs: 'too_large', transient: false },
  unknown_store: { reportedAs: 'unknown_store', transient: false },
};
const EXPECTED_BY_STATUS: Array<{ status: number; transient: boolean }> = [
  { status: 400, transient: false },
  { status: 403, transient: false },
  { status: 404, transient: false },
  { status: 408, transient: true },
  { status: 410, transient: false },
  { status: 429, transient: true },
  { status: 500, transient: true },
  { status: 502, transient: true },
  { status: 503, transient: true },
];

const FAILURES: Array<{ name: string; failure: ProcessingFailure; reportedAs: ImageFailureKind; transient: boolean }> =
  [
    ...(Object.keys(EXPECTED_BY_KIND) as Array<keyof typeof EXPECTED_BY_KIND>).map((kind) => ({
      name: kind,
      failure: { kind },
      ...EXPECTED_BY_KIND[kind],
    })),
    ...EXPECTED_BY_STATUS.map(({ status, transient }) => ({
      name: `http_status ${status}`,
      failure: { kind: 'http_status', status } as const,
      reportedAs: 'http_status' as const,
      transient,
    })),
  ];

/** With 3 attempts allowed: attempt 1 is the first, 2 the middle one, 3 the last. */
const ATTEMPTS = [1, 2, 3] as const;

/** The expected result of each attempt, for a transient and for a permanent failure. */
function expectedAfter(attempt: (typeof ATTEMPTS)[number], reportedAs: ImageFailureKind, transient: boolean) {
  if (!transient) return imageFailed(reportedAs, attempt, REASON);
  return {
    1: retryLater(2, 0, 500),
    2: retryLater(3, 1, 2_500),
    3: imageFailed(reportedAs, 3, `${REASON} (after 3 attempts)`),
  }[attempt];
}

describe('decide: every failure kind × first, middle and last attempt', () => {
  const table = FAILURES.flatMap((row) => ATTEMPTS.map((attempt) => ({ ...row, attempt })));

  it.each(table)('$name at attempt $attempt of 3', ({ failure, reportedAs, transient, attempt }) => {
    given(requestAt(attempt))
      .when(failedWith(failure))
      .then(expectedAfter(attempt, reportedAs, transient));
  });
});

describe('decide: a measured image', () => {
  it.each(ATTEMPTS)('is processed at attempt %i, with the store, the size and when it was measured', (attempt) => {
    given(requestAt(attempt))
      .when({
        type: 'measured',
        store: { areaCode: '7100015', storeName: 'JAI HIND STORE' },
        size: { width: 640, height: 480, format: 'jpeg' },
        bytes: 7_311,
      })
      .then({
        eventId: imageSettledEventId(IMAGE_ID),
        type: 'ImageProcessed',
        version: 2,
        data: {
          ...IMAGE,
          areaCode: '7100015',
          storeName: 'JAI HIND STORE',
          width: 640,
          height: 480,
          perimeter: 2_240,
          format: 'jpeg',
          bytes: 7_311,
          attempts: attempt,
          processedAt: NOW.toISOString(),
          storeMasterVersion: 3,
        },
        metadata: SETTLED_METADATA,
      });
  });
});

describe('decide: the policy decides, not the attempt', () => {
  const timeout = failedWith({ kind: 'timeout' });

  it('fails a transient failure at once when only one attempt is allowed, without counting attempts', () => {
    given(requestAt(1), buildRetryPolicy({ maxAttempts: 1, redeliveryLimit: 5 }))
      .when(timeout)
      .then(imageFailed('download', 1, REASON));
  });

  it('keeps retrying at the last delay level when more attempts are allowed than there are levels', () => {
    const patient = buildRetryPolicy({ maxAttempts: 5, redeliveryLimit: 5 });
    given(requestAt(3), patient)
      .when(timeout)
      .then(retryLater(4, 2, 12_500));
    given(requestAt(4), patient)
      .when(timeout)
      .then(retryLater(5, 2, 12_500));
    given(requestAt(5), patient)
      .when(timeout)
      .then(imageFailed('download', 5, `${REASON} (after 5 attempts)`));
  });

  it('spreads the delay over the upper half of the level with the jitter it is given', () => {
    given(requestAt(1))
      .when(timeout, { ...CONTEXT, jitter: 0.5 })
      .then(retryLater(2, 0, 750));
    given(requestAt(2))
      .when(timeout, { ...CONTEXT, jitter: 0.999999 })
      .then(retryLater(3, 1, 5_000));
  });
});
