import type { Db } from 'mongodb';
import { collectionNames } from '../../mongo/database';
import type { ReadModelCollections } from '../generations';
import {
  fromStoredStatus,
  isOutcome,
  jobKey,
  type JobFailure,
  type JobOutcomeDocument,
  type JobReceiptDocument,
  type JobStatusDocument,
  type StoredJobStatus,
} from './documents';

/** A job's status in domain terms; the status API shapes its answer from this. */
export type JobStatus = { state: 'ongoing' } | { state: 'completed' } | { state: 'failed'; failures: JobFailure[] };

export function jobStatusOf(document: JobStatusDocument): JobStatus {
  switch (document.status) {
    case 'ongoing':
      return { state: 'ongoing' };
    case 'completed':
      return { state: 'completed' };
    case 'failed':
      return { state: 'failed', failures: document.failures };
    default: {
      const unhandled: never = document;
      throw new Error(`jobStatusOf: unknown status ${JSON.stringify(unhandled)}`);
    }
  }
}

/** The job-status model's reads, each one document by `_id`. */
export class JobStatusReader {
  constructor(private readonly db: Db) {}

  /** The job's status document, or null while the projection has not folded the job (or no such job). */
  async status(names: ReadModelCollections, jobId: number): Promise<JobStatusDocument | null> {
    const stored = await this.db.collection<StoredJobStatus>(names.jobOutcomes).findOne({ _id: jobKey(jobId) });
    return stored && fromStoredStatus(stored);
  }

  /** The settled job's outcome, or null while it is ongoing (or unknown). */
  async outcome(names: ReadModelCollections, jobId: number): Promise<JobOutcomeDocument | null> {
    const document = await this.status(names, jobId);
    return document && isOutcome(document) ? document : null;
  }

  /**
   * Whether the ingest has accepted the job: its receipt is written before the submit's 201, so a
   * job without a status document and without a receipt was never accepted. Receipts speak of now:
   * a historical generation answers from its own documents alone.
   */
  async hasReceipt(jobId: number): Promise<boolean> {
    const receipt = await this.db
      .collection<JobReceiptDocument>(collectionNames.jobReceipts)
      .findOne({ _id: jobKey(jobId) }, { projection: { _id: 1 } });
    return receipt !== null;
  }
}
