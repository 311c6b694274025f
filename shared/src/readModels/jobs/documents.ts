import type { Binary } from 'mongodb';
/**
 * The jobs read model's documents: written by the projection, read by the status API, each one
 * by its string `_id` (the only read the embedded database serves from an index, docs/DATABASE.md).
 * Lists are one JSON string per document (a page of images packed: deflated), so a read decodes one field, not many
 * subdocuments. Every key lives in one collection per generation (`rm<N>_jobs`):
 *
 * - `j|<jobId>`: a job's counts, per-visit counts and times (the job detail), and the images of a
 *   job of one page (see `imagesInDetail`);
 * - `p|<jobId>|<page>`: `IMAGES_PER_PAGE` images of a longer job in submission order (the images route);
 * - `L|<block>`: the summaries of the jobs with ids in one block of `JOBS_PER_BLOCK`, newest
 *   first, linked to the next lower block that holds a job (the listing); `L|head` names the top block;
 *
 * The projection's own list of the jobs it holds in memory is in `rm<N>_jobs_open`, in blocks of
 * job ids (OpenJobsBlockDocument); until 2026-12-03 it was one document here, `o|open`.
 */

export const IMAGES_PER_PAGE = 200;
export const JOBS_PER_BLOCK = 100;

export const jobsKeys = {
  job: (jobId: number) => `j|${jobId}`,
  page: (jobId: number, page: number) => `p|${jobId}|${page}`,
  block: (block: number) => `L|${block}`,
  head: () => 'L|head',
  /** The list of open jobs as one document, as generations written before 2026-12-03 hold it: read once, then moved. */
  legacyOpen: () => 'o|open',
};

export const blockOf = (jobId: number): number => Math.floor(jobId / JOBS_PER_BLOCK);

/**
 * Whether a job of `total` images keeps them in its detail document rather than in a page of its
 * own: a job of one page does, so each batch that changes it writes one document, not two (the
 * embedded database runs every replace as a transaction of its own; docs/BENCHMARKS.md,
 * 2026-12-03). A job's page written before then stays where it is, unread.
 */
export const imagesInDetail = (total: number): boolean => total <= IMAGES_PER_PAGE;

export type JobState = 'ongoing' | 'completed' | 'failed';
/** `cancelled`: the job was cancelled before the image had an outcome (a failure of the job, counted as failed). */
export type ImageState = 'pending' | 'succeeded' | 'failed' | 'cancelled';

/** `failed` counts the cancelled images too: every image of a settled job is succeeded or failed. */
export interface ImageCounts {
  total: number;
  succeeded: number;
  failed: number;
}

/**
 * One image as a page holds it:
 * [url, storeId, visitTime, state, width, height, perimeter, reason, attempts].
 */
export type ImageEntry = [
  url: string,
  storeId: string,
  visitTime: string,
  state: ImageState,
  width: number | null,
  height: number | null,
  perimeter: number | null,
  reason: string | null,
  attempts: number,
];

/** One visit's counts in a job document: [storeId, visitTime, total, succeeded, failed]. */
export type VisitCountsEntry = [storeId: string, visitTime: string, total: number, succeeded: number, failed: number];

/** One job of a listing block: [jobId, state, total, succeeded, failed, submittedAt]. */
export type JobSummaryEntry = [
  jobId: number,
  state: JobState,
  total: number,
  succeeded: number,
  failed: number,
  submittedAt: string,
];

export interface JobDocument extends ImageCounts {
  _id: string;
  jobId: number;
  state: JobState;
  submittedAt: string;
  settledAt: string | null;
  /** When the job was cancelled; only on a job settled by its cancellation. */
  cancelledAt?: string;
  /** The failed job this one retries; only on a retry. */
  retryOf?: number;
  /** JSON of VisitCountsEntry[], in submission order. */
  visits: string;
  /** A job of one page (`imagesInDetail`): its images, as its page would hold them (ImageEntry[], packed). */
  entries?: Binary | string;
}

export interface ImagePageDocument {
  _id: string;
  jobId: number;
  page: number;
  /** Images of the whole job: a reader knows from any page where the job ends. */
  total: number;
  /** ImageEntry[], packed (shared/src/mongo/packed.ts): a page is the largest document of a job. */
  entries: Binary | string;
}

export interface JobBlockDocument {
  _id: string;
  block: number;
  /** The next lower block holding a job, or null. */
  below: number | null;
  /** JSON of JobSummaryEntry[], highest job id first. */
  jobs: string;
}

export interface JobsHeadDocument {
  _id: string;
  top: number;
}

export interface LegacyOpenJobsDocument {
  _id: string;
  /** JSON of [jobId, openedAt][]. */
  jobs: string;
}

export type JobsDocument =
  JobDocument | ImagePageDocument | JobBlockDocument | JobsHeadDocument | LegacyOpenJobsDocument;
