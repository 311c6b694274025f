import { aJobSubmitted, anImageFailed, anImageProcessed, at, given, recorded } from '../../../../test/support/builders';
import type { RecordedEvent } from '../../contracts/events';
import { evolveJob, forkProgress, outcomeOf, type JobProgress } from './evolve';

const submitted = (position: number, images = 3) => at(position, aJobSubmitted({ jobId: 7, images }));
const processed = (position: number, imageIndex: number) => at(position, anImageProcessed({ jobId: 7, imageIndex }));
const failed = (position: number, imageIndex: number, storeId = 'S1', reason = 'HTTP 404') =>
  at(position, anImageFailed({ jobId: 7, imageIndex, storeId, reason }));

const progressAfter = (events: RecordedEvent[]): JobProgress => given(events).when(evolveJob).state;

describe('job status fold', () => {
  it('stays ongoing until every image has settled', () => {
    const progress = progressAfter([submitted(1), processed(2, 0), processed(3, 1)]);
    expect(progress).toMatchObject({ totalImages: 3, succeeded: 2, failed: 0, lastPosition: 3 });
    expect(outcomeOf(progress)).toBeUndefined();
  });

  it('completes when every image succeeded', () => {
    expect(outcomeOf(progressAfter([submitted(1), processed(2, 0), processed(3, 1), processed(4, 2)]))).toEqual({
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
      progressAfter([
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
    const once = progressAfter([submitted(1), processed(2, 0)]);
    expect(evolveJob(once, processed(2, 0))).toBe(once);
    expect(evolveJob(once, submitted(1))).toBe(once);
  });

  it('counts a result folded before its JobSubmitted, and settles once the total is known', () => {
    const early = progressAfter([processed(5, 0)]);
    expect(early).toMatchObject({ totalImages: null, submittedAt: null });
    expect(outcomeOf(early)).toBeUndefined();
    const settled = evolveJob(early, submitted(6, 1));
    expect(outcomeOf(settled)?.status).toBe('completed');
    expect(settled.submittedAt).toBe(submitted(6, 1).metadata.occurredAt);
  });

  it('reaches the same progress from the same events, given/when/then', () => {
    given(recorded([aJobSubmitted({ jobId: 7, images: 2 }), anImageFailed({ jobId: 7, imageIndex: 1 })]))
      .when(evolveJob)
      .then({
        jobId: 7,
        totalImages: 2,
        succeeded: 0,
        failed: 1,
        failures: [{ storeId: 'S1', reason: 'HTTP 404' }],
        submittedAt: aJobSubmitted({ jobId: 7 }).metadata.occurredAt,
        openedAt: 1,
        lastPosition: 2,
        settledImages: new Set(['7:0:1']),
      });
  });
});

describe('job status fold under redelivery', () => {
  it('counts an image once when it gets a second outcome under another event id', () => {
    const again = { ...failed(4, 0), eventId: 'processed-again' };
    const progress = progressAfter([submitted(1, 2), processed(2, 0), processed(3, 1), again]);
    expect(progress).toMatchObject({ succeeded: 2, failed: 0, lastPosition: 4 });
    expect(outcomeOf(progress)).toMatchObject({ status: 'completed', failedImages: 0, failures: [] });
  });

  it('does not settle a job early when one image is reported twice', () => {
    const progress = progressAfter([submitted(1, 2), processed(2, 0), { ...processed(3, 0), eventId: 'twice' }]);
    expect(progress).toMatchObject({ succeeded: 1 });
    expect(outcomeOf(progress)).toBeUndefined();
  });

  it('leaves a forked progress alone', () => {
    const before = progressAfter([submitted(1, 2), processed(2, 0)]);
    const fork = forkProgress(before);
    evolveJob(fork, processed(3, 1));
    expect(evolveJob(before, processed(3, 1))).toMatchObject({ succeeded: 2 });
  });
});
