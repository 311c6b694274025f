import type { Db } from 'mongodb';
import { collectionNames } from '../../mongo/database';
import type { ReadModelCollections } from '../generations';
import {
  jobKey,
  type JobFailure,
  type JobOutcomeDocument,
  type JobProgressDocument,
  type JobReceiptDocument,
} from './documents';

/** A job's status in domain terms; the status API shapes its answer from this. */
export type JobStatus = { state: 'ongoing' } | { state: 'completed' } | { state: 'failed'; failures: JobFailure[] };

export function jobStatusOf(outcome: Pick<JobOutcomeDocument, 'status' | 'failures'> | null): JobStatus {
  if (!outcome) return { state: 'ongoing' };
  return outcome.status === 'completed' ? { state: 'completed' } : { state: 'failed', failures: outcome.failures };
}

/** The job-status model's reads, each one document by `_id`. */
export class JobStatusReader {
  constructor(private readonly db: Db) {}

  /** The settled job's outcome, or null while it is ongoing (or unknown). */
  outcome(names: ReadModelCollections, jobId: number): Promise<JobOutcomeDocument | null> {
    return this.db.collection<JobOutcomeDocument>(names.jobOutcomes).findOne({ _id: jobKey(jobId) });
  }

  /**
   * Whether the job exists but has not settled: the projection has opened it, or — for the
   * served view, which speaks of now — the ingest has recorded its receipt and the projection
   * has not folded it yet.
   */
  async isOpen(names: ReadModelCollections, jobId: number, options: { withReceipts: boolean }): Promise<boolean> {
    const key = jobKey(jobId);
    const [progress, receipt] = await Promise.all([
      this.db.collection<JobProgressDocument>(names.jobProgress).findOne({ _id: key }, { projection: { _id: 1 } }),
      options.withReceipts
        ? this.db
            .collection<JobReceiptDocument>(collectionNames.jobReceipts)
            .findOne({ _id: key }, { projection: { _id: 1 } })
        : null,
    ]);
    return progress !== null || receipt !== null;
  }
}
