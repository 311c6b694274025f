/** The shapes of the read-model documents: written by the projection, read by the status API. */

/** One entry of a failed job's `error` list, exactly as the API returns it. */
export interface StoreError {
  store_id: string;
  error: string;
}

/** A job still in progress. `totalImages` is unknown only if a result was folded before its JobSubmitted. */
export interface JobProgressDocument {
  _id: number;
  totalImages: number | null;
  succeeded: number;
  failed: number;
  errors: StoreError[];
  /** Position of the last event folded into this document: refolding never counts an event twice. */
  lastPosition: number;
}

export type JobOutcomeStatus = 'completed' | 'failed';

/** The final answer for a settled job. Inserted once; terminal states never change. */
export interface JobOutcomeDocument {
  _id: number;
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
  reason: string | null;
  position: number;
}

export interface ProjectionStateDocument {
  _id: string;
  generation: number;
  /** Every event at or below this position is folded into this generation's read models. */
  checkpoint: number;
  /** Highest position handed out to the log; the next append starts above it. */
  reservedThrough: number;
  updatedAt: Date;
}

export interface ActiveGenerationDocument {
  _id: 'active';
  generation: number;
}
