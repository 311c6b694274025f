import {
  aJobCancelled,
  aJobSubmitted,
  anImageFailed,
  anImageProcessed,
  at,
  given,
  recorded,
} from '../../../../test/support/builders';
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
        visits: [{ storeId: 'S1', images: 2 }],
        cancelledAt: null,
        openedAt: 1,
        lastPosition: 2,
        settledImages: new Map([['7:0:1', 0]]),
      });
  });
});

describe('job status fold under redelivery', () => {
  it('counts an image once when it gets a second outcome under another event id', () => {
    const again = { ...failed(4, 0), eventId: 'processed-again' };
    const progress = progressAfter([submitted(1, 2), processed(2, 0), processed(3, 1), again]);
    // Settled at position 3: what comes after changes nothing, not even the position.
    expect(progress).toMatchObject({ succeeded: 2, failed: 0, lastPosition: 3 });
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

describe('job status fold of a cancellation', () => {
  /** Job 7: visit 0 of store S1 (2 images), visit 1 of S2 (1 image), visit 2 of S1 again (2 images). */
  const threeVisits = (position: number) =>
    at(
      position,
      aJobSubmitted({
        jobId: 7,
        visits: [
          { storeId: 'S1', imageUrls: ['http://x/1.jpg', 'http://x/2.jpg'] },
          { storeId: 'S2', imageUrls: ['http://x/3.jpg'] },
          { storeId: 'S1', imageUrls: ['http://x/4.jpg', 'http://x/5.jpg'] },
        ],
      }),
    );
  const outcome = (position: number, visitIndex: number, imageIndex: number, storeId: string, fails = false) =>
    at(
      position,
      fails
        ? anImageFailed({ jobId: 7, visitIndex, imageIndex, storeId, reason: 'HTTP 404' })
        : anImageProcessed({ jobId: 7, visitIndex, imageIndex, storeId }),
    );
  const cancelled = (position: number) => at(position, aJobCancelled({ jobId: 7 }));

  it('settles the job as failed: earlier failures first, then one entry per visit with images pending', () => {
    const progress = progressAfter([
      threeVisits(1),
      outcome(2, 0, 0, 'S1', true),
      outcome(3, 1, 0, 'S2'),
      outcome(4, 2, 0, 'S1'),
      cancelled(5),
    ]);
    expect(progress.cancelledAt).toBe(aJobCancelled().metadata.occurredAt);
    expect(outcomeOf(progress)).toEqual({
      _id: '7',
      jobId: 7,
      status: 'failed',
      failures: [
        { storeId: 'S1', reason: 'HTTP 404' },
        { storeId: 'S1', reason: 'cancelled' },
        { storeId: 'S1', reason: 'cancelled' },
      ],
      totalImages: 5,
      failedImages: 3,
      position: 5,
    });
  });

  it('counts nothing that is reported after the cancellation', () => {
    const before = progressAfter([threeVisits(1), outcome(2, 1, 0, 'S2'), cancelled(3)]);
    const after = progressAfter([
      threeVisits(1),
      outcome(2, 1, 0, 'S2'),
      cancelled(3),
      outcome(4, 0, 0, 'S1'),
      outcome(5, 0, 1, 'S1', true),
    ]);
    expect(outcomeOf(after)).toEqual(outcomeOf(before));
    expect(outcomeOf(after)?.position).toBe(3);
    expect(after).toMatchObject({ succeeded: 1, failed: 0 });
  });

  it('changes nothing on a job whose every image has settled', () => {
    const settled = [threeVisits(1), ...[0, 1].map((i) => outcome(2 + i, 0, i, 'S1')), outcome(4, 1, 0, 'S2')];
    const all = [...settled, outcome(5, 2, 0, 'S1'), outcome(6, 2, 1, 'S1')];
    expect(outcomeOf(progressAfter([...all, cancelled(7)]))).toEqual(outcomeOf(progressAfter(all)));
    expect(outcomeOf(progressAfter(all))?.status).toBe('completed');
    expect(progressAfter([...all, cancelled(7)]).cancelledAt).toBeNull();
  });

  it('is folded once: a second cancellation keeps the first time', () => {
    const once = progressAfter([threeVisits(1), cancelled(2)]);
    const twice = evolveJob(once, { ...cancelled(3), metadata: { ...cancelled(3).metadata, occurredAt: 'later' } });
    expect(twice.cancelledAt).toBe(once.cancelledAt);
  });

  it('folded before its JobSubmitted, settles the job once the images are known, every visit cancelled', () => {
    const early = progressAfter([outcome(1, 1, 0, 'S2'), cancelled(2), outcome(3, 0, 0, 'S1')]);
    expect(outcomeOf(early)).toBeUndefined();
    expect(outcomeOf(evolveJob(early, threeVisits(4)))).toMatchObject({
      status: 'failed',
      failures: [
        { storeId: 'S1', reason: 'cancelled' },
        { storeId: 'S1', reason: 'cancelled' },
      ],
      failedImages: 4,
    });
  });
});
