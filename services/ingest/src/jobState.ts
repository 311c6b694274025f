import type { Db } from 'mongodb';
import { jobIdParamSchema, describeZodError } from '@retail-pulse/shared/contracts';
import { badRequest, HttpError } from '@retail-pulse/shared/http';
import {
  JobStatusReader,
  ServedReadModels,
  type JobOutcomeDocument,
  type ReadModelCollections,
} from '@retail-pulse/shared/readModels';

/** Where a job stands for a command on it, as the served job-status read model says now. */
export type JobState =
  { state: 'ongoing' } | { state: 'settled'; outcome: JobOutcomeDocument; names: ReadModelCollections };

/** `{job_id}` of a command's path: a positive integer in decimal, or a 400. */
export function parseJobIdParam(raw: string | undefined): number {
  const parsed = jobIdParamSchema.safeParse(raw);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  return parsed.data;
}

/**
 * The command side's view of a job before it acts on it: a few reads by `_id` of the job-status
 * read model (and of the ingest's own receipts, so a job accepted a moment ago is known before the
 * projection has folded it). A settled answer never changes; an ongoing one may have settled by
 * the time the command's event is folded, and the folds make such a late command change nothing.
 */
export class JobStates {
  private readonly reader: JobStatusReader;
  private readonly served: ServedReadModels;

  constructor(db: Db) {
    this.reader = new JobStatusReader(db);
    this.served = new ServedReadModels(db);
  }

  /** The job's state; a 404 `{"error"}` when no job has this id. */
  async of(jobId: number): Promise<JobState> {
    const names = await this.served.current();
    const outcome = await this.reader.outcome(names, jobId);
    if (outcome) return { state: 'settled', outcome, names };
    if (await this.reader.isOpen(names, jobId, { withReceipts: true })) return { state: 'ongoing' };
    // The projection writes an outcome before it drops the job's progress: settled in between?
    const settled = await this.reader.outcome(names, jobId);
    if (settled) return { state: 'settled', outcome: settled, names };
    throw new HttpError(404, { error: `no job ${jobId}` });
  }
}
