import type { RecordedEvent } from '../../contracts/events';
import { jobKey, type JobFailure, type JobOutcomeDocument, type JobProgressDocument } from './documents';

/** A job's counts as the fold keeps them. `totalImages` is unknown only until its JobSubmitted is folded. */
export interface JobProgress {
  jobId: number;
  totalImages: number | null;
  succeeded: number;
  failed: number;
  failures: JobFailure[];
  /** When the job was accepted (its JobSubmitted's occurredAt); unknown, like `totalImages`, until that is folded. */
  submittedAt: string | null;
  /** Position of the job's first event folded. */
  openedAt: number;
  /** Position of the last event folded into this progress: refolding never counts an event twice. */
  lastPosition: number;
  /**
   * The images with an outcome folded: an image's first outcome (lowest position) counts, a later
   * one (processed again after a redelivery, under another event id) changes nothing.
   */
  settledImages: ReadonlySet<string>;
}

function jobIdOf(event: RecordedEvent): number {
  return event.data.jobId;
}

/**
 * The set with one more image. Copying the set per image would make a job of n images cost n²:
 * the set grows in place, which is safe because a progress is only ever folded forward from the
 * newest one (the projection forks a progress before folding a batch into it, `forkProgress`).
 */
function withImage(images: ReadonlySet<string>, imageId: string): ReadonlySet<string> {
  (images as Set<string>).add(imageId);
  return images;
}

/** A copy whose later folds leave this progress as it is: for a batch that may fail and be folded again. */
export function forkProgress(progress: JobProgress): JobProgress {
  return { ...progress, settledImages: new Set(progress.settledImages) };
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
    openedAt: event.position,
    lastPosition: 0,
    settledImages: new Set(),
  };
  if (state && event.position <= state.lastPosition) return state;
  if (event.type !== 'JobSubmitted' && current.settledImages.has(event.data.imageId)) {
    return { ...current, lastPosition: event.position };
  }
  const lastPosition = event.position;
  switch (event.type) {
    case 'JobSubmitted':
      return {
        ...current,
        totalImages: current.totalImages ?? event.data.imageCount,
        submittedAt: current.submittedAt ?? event.metadata.occurredAt,
        lastPosition,
      };
    case 'ImageProcessed':
      return {
        ...current,
        succeeded: current.succeeded + 1,
        settledImages: withImage(current.settledImages, event.data.imageId),
        lastPosition,
      };
    case 'ImageFailed':
      return {
        ...current,
        failed: current.failed + 1,
        settledImages: withImage(current.settledImages, event.data.imageId),
        failures: withFailure(current.failures, { storeId: event.data.storeId, reason: event.data.reason }),
        lastPosition,
      };
    default: {
      const unhandled: never = event;
      throw new Error(`evolveJob: unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** A job is settled once every image has an outcome: completed if none failed, failed otherwise. */
export function outcomeOf(progress: JobProgress): JobOutcomeDocument | undefined {
  const { totalImages } = progress;
  if (totalImages === null || progress.succeeded + progress.failed < totalImages) return undefined;
  return {
    _id: jobKey(progress.jobId),
    jobId: progress.jobId,
    status: progress.failed === 0 ? 'completed' : 'failed',
    failures: progress.failures,
    totalImages,
    failedImages: progress.failed,
    position: progress.lastPosition,
  };
}

export function toProgressDocument(progress: JobProgress): JobProgressDocument {
  return { _id: jobKey(progress.jobId), jobId: progress.jobId, openedAt: progress.openedAt };
}
