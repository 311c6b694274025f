import { aJobCancelled, aJobSubmitted, anImageFailed, anImageProcessed, at } from '../../../../test/support/builders';
import { cancellationsFromJson, cancellationsToJson, countedForVisits } from './cancellations';

describe('visits and cancelled jobs', () => {
  const submitted = at(1, aJobSubmitted({ jobId: 7, images: 3 }));
  const before = at(2, anImageProcessed({ jobId: 7, imageIndex: 0 }));
  const cancelled = at(3, aJobCancelled({ jobId: 7 }));
  const after = at(4, anImageProcessed({ jobId: 7, imageIndex: 1 }));
  const failedAfter = at(5, anImageFailed({ jobId: 7, imageIndex: 2 }));
  const otherJob = at(6, anImageProcessed({ jobId: 8 }));

  it("count an image's outcome before its job's cancellation, and none after it", () => {
    const { counted, cancellations } = countedForVisits(
      [submitted, before, cancelled, after, failedAfter, otherJob],
      new Map(),
    );
    expect(counted).toEqual([submitted, before, otherJob]);
    expect(cancellations).toEqual(new Map([[7, 3]]));
  });

  it('remember a cancellation across batches, and keep its first position when it is folded again', () => {
    const first = countedForVisits([submitted, before, cancelled], new Map());
    const known = first.cancellations;
    expect(countedForVisits([after], known).counted).toEqual([]);
    // A refold after a restart: the cancellation comes again, later outcomes still count for nothing, earlier ones still count.
    const refold = countedForVisits([before, cancelled, after], known);
    expect(refold.counted).toEqual([before]);
    expect(refold.cancellations).toBe(known);
  });

  it('leave the map given unchanged', () => {
    const given = new Map<number, number>();
    countedForVisits([cancelled], given);
    expect(given.size).toBe(0);
  });

  it('are kept as one JSON document, in job order', () => {
    const json = cancellationsToJson(
      new Map([
        [9, 40],
        [7, 3],
      ]),
    );
    expect(json).toBe('[[7,3],[9,40]]');
    expect(cancellationsFromJson(json)).toEqual(
      new Map([
        [7, 3],
        [9, 40],
      ]),
    );
    expect(cancellationsFromJson(undefined)).toEqual(new Map());
  });
});
