/**
 * Builders for events and documents in tests: a test names only what matters to it, and a new
 * field is added here once. Ids follow the product's own rules (deterministic event ids, image
 * ids `job:visit:image`), so built events deduplicate exactly as real ones do.
 */
import {
  imageIdOf,
  imageSettledEventId,
  jobCancelledEventId,
  jobSubmittedEventId,
  type DomainEvent,
  type ImageFailed,
  type ImageProcessed,
  type ImageRequested,
  type JobCancelled,
  type JobSubmitted,
  type RecordedEvent,
} from '@retail-pulse/shared/contracts';

export const A_VISIT_TIME = '2024-01-21T10:00:00.000Z';
const OCCURRED_AT = '2024-01-21T00:00:00.000Z';

const metadataOf = (jobId: number) => ({ correlationId: String(jobId), occurredAt: OCCURRED_AT });

export interface VisitSpec {
  storeId?: string;
  visitTime?: string;
  imageUrls?: string[];
}

/** A JobSubmitted of job 1 with one visit of one image, unless told otherwise. */
export function aJobSubmitted(
  spec: { jobId?: number; visits?: VisitSpec[]; images?: number; callbackUrl?: string } = {},
): JobSubmitted {
  const jobId = spec.jobId ?? 1;
  const visits = (spec.visits ?? [{}]).map((visit) => ({
    storeId: visit.storeId ?? 'S1',
    visitTime: visit.visitTime ?? A_VISIT_TIME,
    imageUrls: visit.imageUrls ?? Array<string>(spec.images ?? 1).fill('http://x/a.jpg'),
  }));
  return {
    eventId: jobSubmittedEventId(jobId),
    type: 'JobSubmitted',
    version: 1,
    metadata: metadataOf(jobId),
    data: {
      jobId,
      imageCount: visits.reduce((sum, visit) => sum + visit.imageUrls.length, 0),
      visits,
      ...(spec.callbackUrl !== undefined ? { callbackUrl: spec.callbackUrl } : {}),
    },
  };
}

export interface ImageSpec {
  jobId?: number;
  visitIndex?: number;
  imageIndex?: number;
  storeId?: string;
  visitTime?: string;
  url?: string;
}

function imageRefOf(spec: ImageSpec) {
  const jobId = spec.jobId ?? 1;
  const visitIndex = spec.visitIndex ?? 0;
  const imageIndex = spec.imageIndex ?? 0;
  return {
    jobId,
    imageId: imageIdOf(jobId, visitIndex, imageIndex),
    visitIndex,
    imageIndex,
    storeId: spec.storeId ?? 'S1',
    visitTime: spec.visitTime ?? A_VISIT_TIME,
    url: spec.url ?? 'http://x/a.jpg',
  };
}

/** The request of job 1's first image, its first attempt, unless told otherwise. */
export function anImageRequested(spec: ImageSpec & { attempt?: number } = {}): ImageRequested {
  const ref = imageRefOf(spec);
  return {
    type: 'ImageRequested',
    version: 1,
    metadata: metadataOf(ref.jobId),
    data: { ...ref, attempt: spec.attempt ?? 1 },
  };
}

/** A measured image (10 × 5, perimeter 30) of job 1's first image, unless told otherwise. */
export function anImageProcessed(
  spec: ImageSpec &
    Partial<
      Pick<ImageProcessed['data'], 'width' | 'height' | 'areaCode' | 'storeName' | 'processedAt' | 'attempts'>
    > = {},
): ImageProcessed {
  const ref = imageRefOf(spec);
  const width = spec.width ?? 10;
  const height = spec.height ?? 5;
  return {
    eventId: imageSettledEventId(ref.imageId),
    type: 'ImageProcessed',
    version: 2,
    metadata: metadataOf(ref.jobId),
    data: {
      ...ref,
      areaCode: spec.areaCode ?? '71',
      storeName: spec.storeName ?? 'A',
      width,
      height,
      perimeter: 2 * (width + height),
      format: 'png',
      bytes: 9,
      attempts: spec.attempts ?? 1,
      processedAt: spec.processedAt ?? '2024-01-21T00:00:05.000Z',
    },
  };
}

/** A failed image (HTTP 404) of job 1's first image, unless told otherwise. */
export function anImageFailed(
  spec: ImageSpec & Partial<Pick<ImageFailed['data'], 'kind' | 'reason' | 'attempts'>> = {},
): ImageFailed {
  const ref = imageRefOf(spec);
  return {
    eventId: imageSettledEventId(ref.imageId),
    type: 'ImageFailed',
    version: 1,
    metadata: metadataOf(ref.jobId),
    data: { ...ref, kind: spec.kind ?? 'http_status', reason: spec.reason ?? 'HTTP 404', attempts: spec.attempts ?? 1 },
  };
}

/** Job 1 cancelled, unless told otherwise. */
export function aJobCancelled(spec: { jobId?: number; occurredAt?: string } = {}): JobCancelled {
  const jobId = spec.jobId ?? 1;
  return {
    eventId: jobCancelledEventId(jobId),
    type: 'JobCancelled',
    version: 1,
    metadata: { ...metadataOf(jobId), occurredAt: spec.occurredAt ?? '2024-01-21T00:00:09.000Z' },
    data: { jobId },
  };
}

/** A whole job: its JobSubmitted, then one outcome per image (failed at the indexes in `failAt`). */
export function aSettledJob(
  jobId: number,
  images: number,
  failAt: number[] = [],
  options: { callbackUrl?: string } = {},
): DomainEvent[] {
  return [
    aJobSubmitted({ jobId, images, ...options }),
    ...Array.from({ length: images }, (_, imageIndex) =>
      failAt.includes(imageIndex) ? anImageFailed({ jobId, imageIndex }) : anImageProcessed({ jobId, imageIndex }),
    ),
  ];
}

/** One event as the log records it, at `position`. */
export function at(position: number, event: DomainEvent): RecordedEvent {
  return { ...event, position };
}

/** The events as the log records them: at consecutive positions from `first`. */
export function recorded(events: DomainEvent[], first = 1): RecordedEvent[] {
  return events.map((event, index) => ({ ...event, position: first + index }));
}

/**
 * Given/when/then for a pure fold: `given(events).when(evolve)` folds them from nothing, and
 * `.then(expected)` compares the state reached.
 */
export function given(events: RecordedEvent[]) {
  return {
    when<S>(evolve: (state: S | undefined, event: RecordedEvent) => S) {
      const state = events.reduce<S | undefined>((current, event) => evolve(current, event), undefined);
      return {
        state: state as S,
        then(expected: unknown) {
          expect(state).toEqual(expected);
        },
      };
    },
  };
}
