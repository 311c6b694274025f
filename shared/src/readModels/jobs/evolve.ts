import { pack } from '../../mongo/packed';
import type { RecordedEvent } from '../../contracts/events';
import { CANCELLED_REASON } from '../jobStatus/evolve';
import {
  IMAGES_PER_PAGE,
  imagesInDetail,
  jobsKeys,
  type ImageEntry,
  type ImagePageDocument,
  type JobDocument,
  type JobState,
  type JobSummaryEntry,
  type VisitCountsEntry,
} from './documents';

type ImageEvent = Extract<RecordedEvent, { type: 'ImageProcessed' | 'ImageFailed' }>;

interface JobLayout {
  submittedAt: string;
  /** Where the job's detail is POSTed once it settles (JobSubmitted's `callbackUrl`), or null. */
  callbackUrl: string | null;
  total: number;
  /** The failed job this one retries, or null. */
  retryOf: number | null;
  /** Each visit's place in the job's image order: images of visit i are at offset..offset+count-1. */
  visits: ReadonlyArray<{ storeId: string; visitTime: string; offset: number; count: number }>;
}

/**
 * One job as the jobs read model folds it: its images in submission order (visit order, then the
 * order of the visit's URLs), in pages of `IMAGES_PER_PAGE`. The order is fixed by JobSubmitted,
 * so an image's place never moves while the job runs.
 */
export interface JobView {
  jobId: number;
  /** Position of the job's first event folded. */
  openedAt: number;
  /** Position of the last event folded: refolding never counts an event twice. */
  lastPosition: number;
  /** Unknown until the JobSubmitted is folded. */
  layout: JobLayout | null;
  pages: ReadonlyArray<ReadonlyArray<ImageEntry>>;
  /** Image outcomes folded before the job's JobSubmitted, applied when it arrives. */
  early: readonly ImageEvent[];
  succeeded: number;
  failed: number;
  /** When the image that settled the job was reported (the event's occurredAt), or the cancellation. */
  settledAt: string | null;
  /**
   * When the job was cancelled, or null. Folded before the JobSubmitted, it waits for it (no
   * outcome counts after it); once the images are laid out it settles the job.
   */
  cancelledAt: string | null;
  /** Whether the cancellation settled the job (false for one that came after every image settled). */
  settledByCancel: boolean;
}

export function jobStateOf(view: Pick<JobView, 'layout' | 'succeeded' | 'failed'>): JobState {
  if (!view.layout || view.succeeded + view.failed < view.layout.total) return 'ongoing';
  return view.failed === 0 ? 'completed' : 'failed';
}

/**
 * Folds one event into a job's view. Pure: the same events in the same order give the same view,
 * and only the page an event changes is copied. The first outcome of an image (the lowest log
 * position) is the one that counts: a later ImageProcessed or ImageFailed of the same image (a
 * redelivery processed again, under another event id) changes nothing.
 */
export function evolveJobView(state: JobView | undefined, event: RecordedEvent): JobView {
  const view: JobView = state ?? {
    jobId: event.data.jobId,
    openedAt: event.position,
    lastPosition: 0,
    layout: null,
    pages: [],
    early: [],
    succeeded: 0,
    failed: 0,
    settledAt: null,
    cancelledAt: null,
    settledByCancel: false,
  };
  if (event.position <= view.lastPosition) return view;
  const lastPosition = event.position;
  switch (event.type) {
    case 'JobSubmitted': {
      if (view.layout) return { ...view, lastPosition };
      let offset = 0;
      const visits = event.data.visits.map((visit) => {
        const placed = { storeId: visit.storeId, visitTime: visit.visitTime, offset, count: visit.imageUrls.length };
        offset += visit.imageUrls.length;
        return placed;
      });
      const images: ImageEntry[] = event.data.visits.flatMap((visit) =>
        visit.imageUrls.map((url): ImageEntry => [
          url,
          visit.storeId,
          visit.visitTime,
          'pending',
          null,
          null,
          null,
          null,
          0,
        ]),
      );
      const pages: ImageEntry[][] = [];
      for (let start = 0; start < images.length; start += IMAGES_PER_PAGE) {
        pages.push(images.slice(start, start + IMAGES_PER_PAGE));
      }
      const submitted: JobView = {
        ...view,
        layout: {
          submittedAt: event.metadata.occurredAt,
          callbackUrl: event.data.callbackUrl ?? null,
          total: images.length,
          retryOf: event.data.retryOf ?? null,
          visits,
        },
        pages,
        early: [],
        lastPosition,
      };
      const settled = view.early.reduce(settleImage, submitted);
      return view.cancelledAt === null ? settled : cancel(settled, view.cancelledAt);
    }
    case 'ImageProcessed':
    case 'ImageFailed':
      // After a cancellation no outcome counts: an image cancelled stays so, as the job status says.
      if (view.cancelledAt !== null) return { ...view, lastPosition };
      if (!view.layout) return { ...view, early: [...view.early, event], lastPosition };
      return { ...settleImage(view, event), lastPosition };
    case 'JobCancelled': {
      if (view.cancelledAt !== null || jobStateOf(view) !== 'ongoing') return { ...view, lastPosition };
      const at = event.metadata.occurredAt;
      if (!view.layout) return { ...view, cancelledAt: at, lastPosition };
      return { ...cancel(view, at), lastPosition };
    }
    default: {
      const unhandled: never = event;
      throw new Error(`evolveJobView: unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

function settleImage(view: JobView, event: ImageEvent): JobView {
  const layout = view.layout!;
  const visit = layout.visits[event.data.visitIndex];
  // An image the job does not hold (a malformed event) has nowhere to go.
  if (!visit || event.data.imageIndex >= visit.count) return view;
  const ordinal = visit.offset + event.data.imageIndex;
  const pageNo = Math.floor(ordinal / IMAGES_PER_PAGE);
  const index = ordinal % IMAGES_PER_PAGE;
  const current = view.pages[pageNo]![index]!;
  if (current[3] !== 'pending') return view;
  const settled: ImageEntry =
    event.type === 'ImageProcessed'
      ? [
          current[0],
          current[1],
          current[2],
          'succeeded',
          event.data.width,
          event.data.height,
          event.data.perimeter,
          null,
          event.data.attempts,
        ]
      : [current[0], current[1], current[2], 'failed', null, null, null, event.data.reason, event.data.attempts];
  const page = [...view.pages[pageNo]!];
  page[index] = settled;
  const pages = [...view.pages];
  pages[pageNo] = page;
  const succeeded = view.succeeded + (event.type === 'ImageProcessed' ? 1 : 0);
  const failed = view.failed + (event.type === 'ImageFailed' ? 1 : 0);
  const settledAt = succeeded + failed === layout.total ? event.metadata.occurredAt : null;
  return { ...view, pages, succeeded, failed, settledAt };
}

/**
 * Every image still pending becomes `cancelled` and counts as failed; the job settles (failed) at
 * the cancellation's time. A job with no image pending is left as it is.
 */
function cancel(view: JobView, at: string): JobView {
  const layout = view.layout!;
  if (view.succeeded + view.failed >= layout.total) return view;
  let cancelled = 0;
  const pages = view.pages.map((page) => {
    if (!page.some((entry) => entry[3] === 'pending')) return page;
    return page.map((entry): ImageEntry => {
      if (entry[3] !== 'pending') return entry;
      cancelled++;
      return [entry[0], entry[1], entry[2], 'cancelled', null, null, null, CANCELLED_REASON, entry[8]];
    });
  });
  return { ...view, pages, failed: view.failed + cancelled, settledAt: at, cancelledAt: at, settledByCancel: true };
}

/** The job document of a submitted job (null until its JobSubmitted is folded). */
export function jobDocumentOf(view: JobView): JobDocument | null {
  const { layout } = view;
  if (!layout) return null;
  const visits: VisitCountsEntry[] = layout.visits.map((visit) => {
    let succeeded = 0;
    let failed = 0;
    for (let ordinal = visit.offset; ordinal < visit.offset + visit.count; ordinal++) {
      const state = view.pages[Math.floor(ordinal / IMAGES_PER_PAGE)]![ordinal % IMAGES_PER_PAGE]![3];
      if (state === 'succeeded') succeeded++;
      else if (state === 'failed' || state === 'cancelled') failed++;
    }
    return [visit.storeId, visit.visitTime, visit.count, succeeded, failed];
  });
  return {
    _id: jobsKeys.job(view.jobId),
    jobId: view.jobId,
    state: jobStateOf(view),
    submittedAt: layout.submittedAt,
    settledAt: view.settledAt,
    ...(view.settledByCancel ? { cancelledAt: view.cancelledAt! } : {}),
    ...(layout.retryOf !== null ? { retryOf: layout.retryOf } : {}),
    total: layout.total,
    succeeded: view.succeeded,
    failed: view.failed,
    visits: JSON.stringify(visits),
    ...(imagesInDetail(layout.total) ? { entries: pack(view.pages[0] ?? []) } : {}),
  };
}

export function imagePageDocumentOf(view: JobView, page: number): ImagePageDocument {
  return {
    _id: jobsKeys.page(view.jobId, page),
    jobId: view.jobId,
    page,
    total: view.layout?.total ?? 0,
    entries: pack(view.pages[page] ?? []),
  };
}

/** The job's line in its listing block (null until its JobSubmitted is folded). */
export function jobSummaryOf(view: JobView): JobSummaryEntry | null {
  if (!view.layout) return null;
  return [view.jobId, jobStateOf(view), view.layout.total, view.succeeded, view.failed, view.layout.submittedAt];
}
