import type { RecordedEvent } from '@retail-pulse/shared/contracts';
import { evolveJob, outcomeOf, type JobProgress } from './evolve';

const metadata = { correlationId: '7', occurredAt: '2024-01-21T00:00:00.000Z' };
const image = { jobId: 7, visitIndex: 0, storeId: 'S1', visitTime: '2024-01-21T10:00:00.000Z', url: 'http://x/a.jpg' };

const submitted = (position: number, imageCount = 3): RecordedEvent => ({
  eventId: 'job',
  type: 'JobSubmitted',
  version: 1,
  position,
  metadata,
  data: {
    jobId: 7,
    imageCount,
    visits: [{ storeId: 'S1', visitTime: image.visitTime, imageUrls: ['http://x/a.jpg'] }],
  },
});
const processed = (position: number, imageIndex: number): RecordedEvent => ({
  eventId: `ok-${imageIndex}`,
  type: 'ImageProcessed',
  version: 2,
  position,
  metadata,
  data: {
    ...image,
    imageIndex,
    imageId: `7:0:${imageIndex}`,
    areaCode: '71',
    storeName: 'A',
    width: 4,
    height: 3,
    perimeter: 14,
    format: 'jpeg',
    bytes: 10,
    attempts: 1,
    processedAt: '2024-01-21T00:00:05.000Z',
  },
});
const failed = (position: number, imageIndex: number, storeId = 'S1', reason = 'HTTP 404'): RecordedEvent => ({
  eventId: `ko-${imageIndex}`,
  type: 'ImageFailed',
  version: 1,
  position,
  metadata,
  data: { ...image, storeId, imageIndex, imageId: `7:0:${imageIndex}`, kind: 'http_status', reason, attempts: 1 },
});

const fold = (events: RecordedEvent[]) =>
  events.reduce<JobProgress | undefined>((state, event) => evolveJob(state, event), undefined)!;

describe('job status fold', () => {
  it('stays ongoing until every image has settled', () => {
    const progress = fold([submitted(1), processed(2, 0), processed(3, 1)]);
    expect(progress).toMatchObject({ totalImages: 3, succeeded: 2, failed: 0, lastPosition: 3 });
    expect(outcomeOf(progress)).toBeUndefined();
  });

  it('completes when every image succeeded', () => {
    expect(outcomeOf(fold([submitted(1), processed(2, 0), processed(3, 1), processed(4, 2)]))).toEqual({
      _id: '7',
      jobId: 7,
      status: 'completed',
      failures: [],
      totalImages: 3,
      failedImages: 0,
      position: 4,
    });
  });

  it('fails when one image failed, listing each store and reason once', () => {
    const outcome = outcomeOf(
      fold([
        submitted(1, 4),
        failed(2, 0, 'S9', 'unknown store_id S9'),
        failed(3, 1, 'S9', 'unknown store_id S9'),
        processed(4, 2),
        failed(5, 3),
      ]),
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      failedImages: 3,
      failures: [
        { storeId: 'S9', reason: 'unknown store_id S9' },
        { storeId: 'S1', reason: 'HTTP 404' },
      ],
    });
  });

  it('ignores events at or below the last folded position (a refold counts nothing twice)', () => {
    const once = fold([submitted(1), processed(2, 0)]);
    expect(evolveJob(once, processed(2, 0))).toBe(once);
    expect(evolveJob(once, submitted(1))).toBe(once);
  });

  it('counts a result folded before its JobSubmitted, and settles once the total is known', () => {
    const early = fold([processed(5, 0)]);
    expect(early.totalImages).toBeNull();
    expect(outcomeOf(early)).toBeUndefined();
    expect(outcomeOf(evolveJob(early, submitted(6, 1)))?.status).toBe('completed');
  });
});
