import type { ActiveGenerations, ReadModelName } from '../contracts/readModels';

/** The shapes of the read-model documents: written by the projection, read by the status API. */

/** One entry of a failed job's `error` list, exactly as the API returns it. */
export interface StoreError {
  store_id: string;
  error: string;
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
  errors: StoreError[];
  totalImages: number;
  failedImages: number;
  position: number;
}

/** One settled image with its provenance: the source of the visits query. */
export interface ImageRecordDocument {
  _id: string;
  jobId: number;
  visitIndex: number;
  imageIndex: number;
  storeId: string;
  areaCode: string | null;
  storeName: string | null;
  visitTime: Date;
  /** The visit's calendar date (UTC), as the visits query reports it. */
  date: string;
  url: string;
  status: 'processed' | 'failed';
  width: number | null;
  height: number | null;
  perimeter: number | null;
  /** When the image was measured (processed images only). */
  processedAt: Date | null;
  reason: string | null;
  position: number;
}

export interface ActiveGenerationDocument extends ActiveGenerations {
  _id: 'active';
  switchedAt: Date;
}

/** How far one generation of one read model has folded the log. */
export interface CheckpointDocument {
  _id: string;
  model: ReadModelName;
  generation: number;
  /** Every event at or below this position is folded into this generation of the model. */
  checkpoint: number;
  updatedAt: Date;
}

/**
 * What the single writer has handed out to the log: the highest position (the next append starts
 * above it) and the highest job id of any JobSubmitted in it (the ingest hands out ids above it,
 * so a restored installation never reuses an id its log holds).
 */
export interface LogStateDocument {
  _id: 'log';
  reservedThrough: number;
  highestJobId: number;
}

export function checkpointId(model: ReadModelName, generation: number): string {
  return `checkpoint:${model}:${generation}`;
}
