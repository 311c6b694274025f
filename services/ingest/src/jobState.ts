import type { Db } from 'mongodb';
import { jobIdParamSchema, describeZodError } from '@retail-pulse/shared/contracts';
import { badRequest, HttpError } from '@retail-pulse/shared/http';
import {
  isOutcome,
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
 * The command side's view of a job before it acts on it: the job's status document in the
 * job-status read model, by `_id`, and — only when the projection has not folded the job yet — the
 * ingest's own receipt, so a job accepted a moment ago is known. A settled answer never changes; an
 * ongoing one may have settled by the time the command's event is folded, and the folds make such
 * a late command change nothing.
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
    const document = await this.reader.status(names, jobId);
    if (document && isOutcome(document)) return { state: 'settled', outcome: document, names };
    if (document || (await this.reader.hasReceipt(jobId))) return { state: 'ongoing' };
    throw new HttpError(404, { error: `no job ${jobId}` });
  }
}
