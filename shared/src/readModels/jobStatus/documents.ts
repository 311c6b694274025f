/** The job-status read model's documents: written by the projection, read by the status API. */

/** Why images of a store failed: one entry of a failed job's answer, in domain terms. */
export interface JobFailure {
  storeId: string;
  reason: string;
}

/**
 * The `_id` of every document keyed by job: the job id in decimal. A string, not the number: the
 * local MongoDB server (FerretDB 1.24, SQLite) filters a find by `_id` inside the database only for
 * string and ObjectId values; a numeric `_id` makes it decode every document of the collection
 * (figures in docs/DATABASE.md). MongoDB serves both from its `_id` index.
 */
export function jobKey(jobId: number): string {
  return String(jobId);
}

/** Written by ingest once the broker has confirmed a job, so status answers before the projection folds it. */
export interface JobReceiptDocument {
  _id: string;
  jobId: number;
  acceptedAt: Date;
}

/**
 * A job still in progress: written once when the job is first seen, removed when it settles.
 * Its counts live in the projection's memory; after a restart it refolds the log from the
 * oldest `openedAt` to rebuild them.
 */
export interface JobProgressDocument {
  _id: string;
  jobId: number;
  /** Position of the job's first event in the log. */
  openedAt: number;
}

export type JobOutcomeStatus = 'completed' | 'failed';

/** The final answer for a settled job. Inserted once; terminal states never change. */
export interface JobOutcomeDocument {
  _id: string;
  jobId: number;
  status: JobOutcomeStatus;
  /** One entry per distinct (store, reason), in the order the failures were folded. */
  failures: JobFailure[];
  totalImages: number;
  failedImages: number;
  position: number;
}
