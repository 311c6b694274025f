import {
  aJobCancelled,
  aJobSubmitted,
  anImageFailed,
  anImageProcessed,
  at,
  given,
} from '../../../../test/support/builders';
import type { RecordedEvent } from '../../contracts/events';
import { imagesCursor, jobsCursor } from './cursors';
import { IMAGES_PER_PAGE, type ImageEntry } from './documents';
import { evolveJobView, jobDocumentOf, jobStateOf, jobSummaryOf, type JobView } from './evolve';

const twoVisits = aJobSubmitted({
  jobId: 7,
  visits: [
    { storeId: 'S1', visitTime: '2024-01-21T10:00:00.000Z', imageUrls: ['http://x/1.jpg', 'http://x/2.jpg'] },
    { storeId: 'S2', visitTime: '2024-01-22T10:00:00.000Z', imageUrls: ['http://x/3.jpg'] },
  ],
});
const processed = (position: number, visitIndex: number, imageIndex: number, attempts = 1) =>
  at(position, anImageProcessed({ jobId: 7, visitIndex, imageIndex, width: 4, height: 3, attempts }));
const failed = (position: number, visitIndex: number, imageIndex: number) =>
  at(position, anImageFailed({ jobId: 7, visitIndex, imageIndex, reason: 'HTTP 404', attempts: 2 }));
const viewAfter = (events: RecordedEvent[]): JobView => given(events).when(evolveJobView).state;
const images = (view: JobView): ImageEntry[] => view.pages.flat();

describe('jobs fold', () => {
  it('lays the images out in submission order, all pending, ongoing', () => {
    const view = viewAfter([at(1, twoVisits)]);
    expect(images(view).map((entry) => [entry[0], entry[1], entry[3], entry[8]])).toEqual([
      ['http://x/1.jpg', 'S1', 'pending', 0],
      ['http://x/2.jpg', 'S1', 'pending', 0],
      ['http://x/3.jpg', 'S2', 'pending', 0],
    ]);
    expect(jobDocumentOf(view)).toMatchObject({ state: 'ongoing', total: 3, succeeded: 0, failed: 0, settledAt: null });
  });

  it('records each outcome at its image, with attempts, and settles with the time of the last one', () => {
    const view = viewAfter([at(1, twoVisits), processed(2, 1, 0, 2), failed(3, 0, 1), processed(4, 0, 0)]);
    expect(images(view)).toEqual([
      ['http://x/1.jpg', 'S1', '2024-01-21T10:00:00.000Z', 'succeeded', 4, 3, 14, null, 1],
      ['http://x/2.jpg', 'S1', '2024-01-21T10:00:00.000Z', 'failed', null, null, null, 'HTTP 404', 2],
      ['http://x/3.jpg', 'S2', '2024-01-22T10:00:00.000Z', 'succeeded', 4, 3, 14, null, 2],
    ]);
    const document = jobDocumentOf(view)!;
    expect(document).toMatchObject({ state: 'failed', total: 3, succeeded: 2, failed: 1 });
    expect(document.settledAt).toBe(processed(4, 0, 0).metadata.occurredAt);
    expect(JSON.parse(document.visits)).toEqual([
      ['S1', '2024-01-21T10:00:00.000Z', 2, 1, 1],
      ['S2', '2024-01-22T10:00:00.000Z', 1, 1, 0],
    ]);
    expect(jobSummaryOf(view)).toEqual([7, 'failed', 3, 2, 1, twoVisits.metadata.occurredAt]);
  });

  it('counts only the first outcome of an image: a second one, under another event id, changes nothing', () => {
    const first = viewAfter([at(1, twoVisits), processed(2, 0, 0)]);
    const again = { ...failed(3, 0, 0), eventId: 'another-id' };
    const after = evolveJobView(first, again);
    expect(jobDocumentOf(after)).toMatchObject({ succeeded: 1, failed: 0 });
    expect(images(after)[0]![3]).toBe('succeeded');
    expect(after.lastPosition).toBe(3);
  });

  it('ignores events at or below the last folded position', () => {
    const once = viewAfter([at(1, twoVisits), processed(2, 0, 0)]);
    expect(evolveJobView(once, processed(2, 0, 0))).toBe(once);
    expect(evolveJobView(once, at(1, twoVisits))).toBe(once);
  });

  it('holds outcomes folded before the JobSubmitted and applies them when it arrives', () => {
    const early = viewAfter([processed(2, 1, 0), failed(3, 1, 0)]);
    expect(jobDocumentOf(early)).toBeNull();
    expect(jobStateOf(early)).toBe('ongoing');
    const view = evolveJobView(early, at(4, twoVisits));
    expect(jobDocumentOf(view)).toMatchObject({ succeeded: 1, failed: 0, state: 'ongoing' });
    expect(images(view)[2]![3]).toBe('succeeded');
  });

  it('copies only the page an outcome changes', () => {
    const big = aJobSubmitted({ jobId: 7, images: IMAGES_PER_PAGE * 2 + 1 });
    const view = viewAfter([at(1, big)]);
    expect(view.pages.map((page) => page.length)).toEqual([IMAGES_PER_PAGE, IMAGES_PER_PAGE, 1]);
    const after = evolveJobView(view, processed(2, 0, IMAGES_PER_PAGE + 3));
    expect(after.pages[0]).toBe(view.pages[0]);
    expect(after.pages[1]).not.toBe(view.pages[1]);
    expect(after.pages[1]![3]![3]).toBe('succeeded');
  });

  it('ignores an outcome of an image the job does not hold', () => {
    const view = viewAfter([at(1, twoVisits)]);
    expect(jobDocumentOf(evolveJobView(view, processed(2, 5, 0)))).toMatchObject({ succeeded: 0 });
    expect(jobDocumentOf(evolveJobView(view, processed(2, 1, 1)))).toMatchObject({ succeeded: 0 });
  });
});

describe('jobs fold of a retry', () => {
  it('names the job it retries on its document, and nothing on any other', () => {
    const retry = aJobSubmitted({ jobId: 8 });
    const view = viewAfter([at(1, { ...retry, data: { ...retry.data, retryOf: 7 } })]);
    expect(jobDocumentOf(view)).toMatchObject({ jobId: 8, retryOf: 7, state: 'ongoing' });
    expect(jobDocumentOf(viewAfter([at(1, twoVisits)]))).not.toHaveProperty('retryOf');
  });
});

describe('jobs fold of a cancellation', () => {
  const cancelled = (position: number) => at(position, aJobCancelled({ jobId: 7 }));
  const CANCELLED_AT = aJobCancelled().metadata.occurredAt;

  it('cancels the images still pending, counts them failed, and settles the job at the cancellation', () => {
    const view = viewAfter([at(1, twoVisits), failed(2, 0, 1), processed(3, 1, 0), cancelled(4)]);
    expect(images(view)).toEqual([
      ['http://x/1.jpg', 'S1', '2024-01-21T10:00:00.000Z', 'cancelled', null, null, null, 'cancelled', 0],
      ['http://x/2.jpg', 'S1', '2024-01-21T10:00:00.000Z', 'failed', null, null, null, 'HTTP 404', 2],
      ['http://x/3.jpg', 'S2', '2024-01-22T10:00:00.000Z', 'succeeded', 4, 3, 14, null, 1],
    ]);
    const document = jobDocumentOf(view)!;
    expect(document).toMatchObject({
      state: 'failed',
      total: 3,
      succeeded: 1,
      failed: 2,
      settledAt: CANCELLED_AT,
      cancelledAt: CANCELLED_AT,
    });
    expect(JSON.parse(document.visits)).toEqual([
      ['S1', '2024-01-21T10:00:00.000Z', 2, 0, 2],
      ['S2', '2024-01-22T10:00:00.000Z', 1, 1, 0],
    ]);
    expect(jobSummaryOf(view)).toEqual([7, 'failed', 3, 1, 2, twoVisits.metadata.occurredAt]);
  });

  it('keeps an image cancelled when its outcome is reported after the cancellation', () => {
    const view = viewAfter([at(1, twoVisits), cancelled(2)]);
    const late = evolveJobView(view, processed(3, 0, 0));
    expect(late.pages).toBe(view.pages);
    expect(jobDocumentOf(late)).toEqual(jobDocumentOf(view));
  });

  it('changes nothing on a job already settled, and has no cancelledAt there', () => {
    const settled = viewAfter([at(1, twoVisits), processed(2, 0, 0), processed(3, 0, 1), processed(4, 1, 0)]);
    const after = evolveJobView(settled, cancelled(5));
    expect(jobDocumentOf(after)).toEqual(jobDocumentOf(settled));
    expect(jobDocumentOf(after)).not.toHaveProperty('cancelledAt');
    expect(jobDocumentOf(after)?.state).toBe('completed');
  });

  it('folded before the JobSubmitted, cancels what had no outcome before it once the images are laid out', () => {
    const early = viewAfter([processed(1, 1, 0), cancelled(2), processed(3, 0, 0)]);
    expect(jobStateOf(early)).toBe('ongoing');
    const view = evolveJobView(early, at(4, twoVisits));
    expect(images(view).map((entry) => entry[3])).toEqual(['cancelled', 'cancelled', 'succeeded']);
    expect(jobDocumentOf(view)).toMatchObject({ state: 'failed', succeeded: 1, failed: 2, cancelledAt: CANCELLED_AT });
  });
});

describe('jobs cursors', () => {
  it('round-trip, and refuse anything they did not write', () => {
    const images = imagesCursor.encode({ jobId: 7, offset: 200 });
    expect(imagesCursor.decode(images)).toEqual({ jobId: 7, offset: 200 });
    const jobs = jobsCursor.encode({ block: 3, before: 321, state: 'failed' });
    expect(jobsCursor.decode(jobs)).toEqual({ block: 3, before: 321, state: 'failed' });
    expect(jobsCursor.decode(images)).toBeUndefined();
    expect(imagesCursor.decode(jobs)).toBeUndefined();
    for (const bad of ['', 'x', '!!!', 'eyJ2IjoyfQ', Buffer.from('{"v":1,"j":-1,"o":0}').toString('base64url')]) {
      expect(imagesCursor.decode(bad)).toBeUndefined();
    }
  });
});
