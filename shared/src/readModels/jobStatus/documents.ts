import type { Binary } from 'mongodb';
import { pack, unpack } from '../../mongo/packed';
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
 * The projection's own list of the jobs it has seen and not settled, one document per block of
 * `OPEN_JOBS_PER_BLOCK` job ids (a block with no open job has none). Each batch rewrites only the
 * blocks whose jobs opened or settled in it: one statement for all of them, where a marker per job
 * cost an insert when it opened and a delete when it settled (docs/BENCHMARKS.md, 2026-12-03).
 * Read only by the projection, at start (`load`), so a restart finds its open jobs without reading
 * every job's status; their counts live in its memory, and it refolds the log from the oldest
 * `openedAt` to rebuild them.
 */
export interface OpenJobsBlockDocument {
  _id: string;
  /** JSON text of `[jobId, openedAt]` pairs, by job id; `openedAt` is the position of the job's first event. */
  jobs: string;
}

/** Job ids per open-jobs block: a block is ~16 KB at most, and jobs submitted together share one. */
export const OPEN_JOBS_PER_BLOCK = 1_000;

export const openJobsBlockOf = (jobId: number): number => Math.floor(jobId / OPEN_JOBS_PER_BLOCK);

export const openJobsBlockKey = (block: number): string => `open|${block}`;

/** An open-jobs block's document: its jobs by id, so equal blocks are equal documents however they were built. */
export function openJobsBlockDocument(block: number, jobs: ReadonlyMap<number, number>): OpenJobsBlockDocument {
  const pairs = [...jobs].sort((a, b) => a[0] - b[0]);
  return { _id: openJobsBlockKey(block), jobs: JSON.stringify(pairs) };
}

/** A marker of one open job, as the projection kept them before open-jobs blocks (2026-12-03); still read, then replaced. */
export interface LegacyJobProgressDocument {
  _id: string;
  jobId: number;
  openedAt: number;
}

export type JobOutcomeStatus = 'completed' | 'failed';

/** A job the projection has seen and not settled: inserted where the job has no document yet. */
export interface JobOngoingDocument {
  _id: string;
  jobId: number;
  status: 'ongoing';
}

/** The final answer for a settled job, in place of its ongoing document; terminal states never change. */
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

/**
 * A job's status document, one per job the projection has folded, read by `_id`: absent until the
 * job is first folded, then ongoing, then its outcome — never back.
 */
export type JobStatusDocument = JobOngoingDocument | JobOutcomeDocument;

/**
 * An outcome as the collection holds it: its failures packed (shared/src/mongo/packed.ts), not
 * one subdocument each — the embedded database decodes every subdocument of every read, and a
 * failed job of a thousand images can list dozens. Outcomes written before hold the list itself.
 */
export type StoredJobOutcome = Omit<JobOutcomeDocument, 'failures'> & { failures: Binary | JobFailure[] };

export type StoredJobStatus = JobOngoingDocument | StoredJobOutcome;

export function toStoredOutcome(outcome: JobOutcomeDocument): StoredJobOutcome {
  return { ...outcome, failures: pack(outcome.failures) };
}

export function fromStoredStatus(stored: StoredJobStatus): JobStatusDocument {
  if (stored.status === 'ongoing' || Array.isArray(stored.failures)) return stored as JobStatusDocument;
  return { ...stored, failures: unpack<JobFailure[]>(stored.failures) };
}

/** Whether the status document is the job's outcome, its final answer ('ongoing' is not settled). */
export function isOutcome(document: JobStatusDocument): document is JobOutcomeDocument {
  return document.status !== 'ongoing';
}
