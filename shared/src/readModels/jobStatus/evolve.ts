import type { RecordedEvent } from '../../contracts/events';
import { jobKey, type JobFailure, type JobOngoingDocument, type JobOutcomeDocument } from './documents';

/** A job's counts as the fold keeps them. `totalImages` is unknown only until its JobSubmitted is folded. */
export interface JobProgress {
  jobId: number;
  totalImages: number | null;
  succeeded: number;
  failed: number;
  failures: JobFailure[];
  /** When the job was accepted (its JobSubmitted's occurredAt); unknown, like `totalImages`, until that is folded. */
  submittedAt: string | null;
  /** Each visit's store and number of images, in submission order; unknown until the JobSubmitted is folded. */
  visits: ReadonlyArray<{ storeId: string; images: number }> | null;
  /**
   * When the job was cancelled (its JobCancelled's occurredAt), or null. From then on no outcome
   * counts; the job settles as failed as soon as its images are known.
   */
  cancelledAt: string | null;
  /** Position of the job's first event folded. */
  openedAt: number;
  /** Position of the last event folded into this progress: refolding never counts an event twice. */
  lastPosition: number;
  /**
   * The images with an outcome folded, each with its visit's index: an image's first outcome
   * (lowest position) counts, a later one (processed again after a redelivery, under another
   * event id) changes nothing.
   */
  settledImages: ReadonlyMap<string, number>;
}

/** The reason a cancelled job gives for each visit that still had images to process. */
export const CANCELLED_REASON = 'cancelled';

function jobIdOf(event: RecordedEvent): number {
  return event.data.jobId;
}

/**
 * The map with one more image. Copying the map per image would make a job of n images cost n²:
 * the map grows in place, which is safe because a progress is only ever folded forward from the
 * newest one (the projection forks a progress before folding a batch into it, `forkProgress`).
 */
function withImage(
  images: ReadonlyMap<string, number>,
  { imageId, visitIndex }: { imageId: string; visitIndex: number },
): ReadonlyMap<string, number> {
  (images as Map<string, number>).set(imageId, visitIndex);
  return images;
}

/** A copy whose later folds leave this progress as it is: for a batch that may fail and be folded again. */
export function forkProgress(progress: JobProgress): JobProgress {
  return { ...progress, settledImages: new Map(progress.settledImages) };
}

/** Whether every image of the job has an outcome (known only once its JobSubmitted is folded). */
function allSettled(progress: JobProgress): boolean {
  return progress.totalImages !== null && progress.succeeded + progress.failed >= progress.totalImages;
}

/** Whether the job has its final answer (`outcomeOf` gives it): every image settled, or cancelled. */
function isSettled(progress: JobProgress): boolean {
  return allSettled(progress) || (progress.totalImages !== null && progress.cancelledAt !== null);
}

function withFailure(failures: JobFailure[], entry: JobFailure): JobFailure[] {
  const known = failures.some((existing) => existing.storeId === entry.storeId && existing.reason === entry.reason);
  return known ? failures : [...failures, entry];
}

/**
 * Folds one event into a job's progress. Pure: the same events in the same order give the same
 * progress. Events at or below `lastPosition` are already folded and change nothing.
 */
export function evolveJob(state: JobProgress | undefined, event: RecordedEvent): JobProgress {
  const current: JobProgress = state ?? {
    jobId: jobIdOf(event),
    totalImages: null,
    succeeded: 0,
    failed: 0,
    failures: [],
    submittedAt: null,
    visits: null,
    cancelledAt: null,
    openedAt: event.position,
    lastPosition: 0,
    settledImages: new Map(),
  };
  if (state && event.position <= state.lastPosition) return state;
  // A settled job's answer is final, its position too: whatever comes after it changes nothing,
  // however the log is cut into batches.
  if (state && isSettled(state)) return state;
  const lastPosition = event.position;
  const isOutcome = event.type === 'ImageProcessed' || event.type === 'ImageFailed';
  // A second outcome of an image, or any outcome after the job was cancelled: nothing to count.
  if (isOutcome && (current.cancelledAt !== null || current.settledImages.has(event.data.imageId))) {
    return { ...current, lastPosition };
  }
  switch (event.type) {
    case 'JobSubmitted':
      return {
        ...current,
        totalImages: current.totalImages ?? event.data.imageCount,
        submittedAt: current.submittedAt ?? event.metadata.occurredAt,
        visits:
          current.visits ??
          event.data.visits.map((visit) => ({ storeId: visit.storeId, images: visit.imageUrls.length })),
        lastPosition,
      };
    case 'ImageProcessed':
      return {
        ...current,
        succeeded: current.succeeded + 1,
        settledImages: withImage(current.settledImages, event.data),
        lastPosition,
      };
    case 'ImageFailed':
      return {
        ...current,
        failed: current.failed + 1,
        settledImages: withImage(current.settledImages, event.data),
        failures: withFailure(current.failures, { storeId: event.data.storeId, reason: event.data.reason }),
        lastPosition,
      };
    case 'JobCancelled':
      // Too late for a job whose every image has settled: its answer stands.
      if (allSettled(current) || current.cancelledAt !== null) return { ...current, lastPosition };
      return { ...current, cancelledAt: event.metadata.occurredAt, lastPosition };
    default: {
      const unhandled: never = event;
      throw new Error(`evolveJob: unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

/**
 * A job is settled once every image has an outcome: completed if none failed, failed otherwise.
 * A cancelled job is settled (failed) as soon as its images are known: each visit that still had
 * images without an outcome adds an entry `cancelled`, after the failures recorded before, and
 * those images count as failed.
 */
export function outcomeOf(progress: JobProgress): JobOutcomeDocument | undefined {
  const { totalImages } = progress;
  if (totalImages === null) return undefined;
  if (!isSettled(progress)) return undefined;
  const settled = allSettled(progress);
  const failures = settled ? progress.failures : [...progress.failures, ...cancelledVisits(progress)];
  const failedImages = settled ? progress.failed : totalImages - progress.succeeded;
  return {
    _id: jobKey(progress.jobId),
    jobId: progress.jobId,
    status: failedImages === 0 ? 'completed' : 'failed',
    failures,
    totalImages,
    failedImages,
    position: progress.lastPosition,
  };
}

/** One entry per visit with images left without an outcome, in visit order. */
function cancelledVisits(progress: JobProgress): JobFailure[] {
  const settledPerVisit = new Map<number, number>();
  for (const visitIndex of progress.settledImages.values()) {
    settledPerVisit.set(visitIndex, (settledPerVisit.get(visitIndex) ?? 0) + 1);
  }
  return (progress.visits ?? [])
    .filter((visit, index) => visit.images > (settledPerVisit.get(index) ?? 0))
    .map((visit) => ({ storeId: visit.storeId, reason: CANCELLED_REASON }));
}

export function toOngoingDocument(progress: JobProgress): JobOngoingDocument {
  return { _id: jobKey(progress.jobId), jobId: progress.jobId, status: 'ongoing' };
}
