import type { Db } from 'mongodb';
import { redactSecrets } from '@retail-pulse/shared/config';
import { collectionNames } from '@retail-pulse/shared/mongo';
import {
  describeZodError,
  imagesQuerySchema,
  jobIdParamSchema,
  jobsQuerySchema,
  type JobDetailBody,
  type JobImageBody,
  type JobImagesPageBody,
  type JobsPageBody,
} from '@retail-pulse/shared/contracts';
import { badRequest, HttpError, serviceUnavailable } from '@retail-pulse/shared/http';
import {
  imagesCursor,
  jobDetailOf,
  jobKey,
  JobsReader,
  jobsCursor,
  JobStatusReader,
  type ImageEntry,
  type JobReceiptDocument,
  type JobSummaryEntry,
  type ReadModelCollections,
} from '@retail-pulse/shared/readModels';
import type { z } from 'zod';
import type { ActiveReadModels } from '../readModels';

const counts = (total: number, succeeded: number, failed: number) => ({
  total,
  succeeded,
  failed,
  pending: total - succeeded - failed,
});

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  return parsed.data as z.output<S>;
}

/** A query parameter given once; a repeated one is refused. */
function singleValues(query: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) throw badRequest(`${name} must be given once`);
    values[name] = value;
  }
  return values;
}

/** Reasons are redacted at the edge, as in the status answer: older logs may hold credentials. */
function imageBodyOf([
  url,
  storeId,
  visitTime,
  state,
  width,
  height,
  perimeter,
  reason,
  attempts,
]: ImageEntry): JobImageBody {
  return {
    url: redactSecrets(url),
    store_id: storeId,
    visit_time: visitTime,
    status: state,
    width,
    height,
    perimeter,
    ...(reason !== null ? { error: redactSecrets(reason) } : {}),
    attempts,
  };
}

const summaryBodyOf = ([jobId, state, total, succeeded, failed, submittedAt]: JobSummaryEntry) => ({
  job_id: jobId,
  status: state,
  images: counts(total, succeeded, failed),
  submitted_at: submittedAt,
});

/** A job accepted and not in the read models yet: 503, to be retried in a moment. */
const notFoldedYet = (jobId: number) =>
  serviceUnavailable(`job ${jobId} is accepted and not yet folded; retry shortly`, 1);

/** The jobs routes' answers, from the jobs read model: each a few lookups by `_id`. */
export class JobsQuery {
  private readonly reader: JobsReader;
  private readonly statuses: JobStatusReader;

  constructor(
    private readonly db: Db,
    private readonly readModels: ActiveReadModels,
  ) {
    this.reader = new JobsReader(db);
    this.statuses = new JobStatusReader(db);
  }

  async detail(rawJobId: string, query: Record<string, string | string[] | undefined>): Promise<JobDetailBody> {
    const jobId = parse(jobIdParamSchema, rawJobId);
    const { generation } = singleValues(query);
    const detail = await this.read(await this.readModels.resolve(generation), jobId, generation === undefined);
    if (detail === 'pending') throw notFoldedYet(jobId);
    return detail;
  }

  /**
   * The served detail, for a stream of it: `'pending'` while the job is accepted and not folded
   * yet, or settled in its detail and not yet in its status; a malformed id is a 400 and an
   * unknown job a 404, as for the detail.
   */
  async watch(rawJobId: string): Promise<JobDetailBody | 'pending'> {
    const jobId = parse(jobIdParamSchema, rawJobId);
    const names = await this.readModels.current();
    const detail = await this.read(names, jobId, true);
    if (detail === 'pending' || detail.status === 'ongoing') return detail;
    // The projection folds a batch into the jobs model before job status: a stream's last event
    // waits until `GET /api/status` tells the same (a client told "completed" may ask it next).
    const outcome = await this.statuses.outcome(names, jobId);
    return outcome ? detail : 'pending';
  }

  /** The job's detail in `names` (`served`: the generations served now, where receipts count). */
  private async read(names: ReadModelCollections, jobId: number, served: boolean): Promise<JobDetailBody | 'pending'> {
    const job = await this.reader.job(names.jobs, jobId);
    if (!job) return this.absent(jobId, served);
    return jobDetailOf(job.document, job.visits);
  }

  async images(rawJobId: string, query: Record<string, string | string[] | undefined>): Promise<JobImagesPageBody> {
    const jobId = parse(jobIdParamSchema, rawJobId);
    const params = parse(imagesQuerySchema, singleValues(query));
    let offset = 0;
    if (params.cursor !== undefined) {
      const cursor = imagesCursor.decode(params.cursor);
      if (!cursor || cursor.jobId !== jobId) throw badRequest('cursor is not one this API gave for this job');
      offset = cursor.offset;
    }
    const names = await this.readModels.resolve(params.generation);
    const slice = await this.reader.images(names.jobs, jobId, offset, params.limit);
    if (!slice) {
      await this.absent(jobId, params.generation === undefined);
      throw notFoldedYet(jobId);
    }
    const next = offset + slice.images.length;
    return {
      images: slice.images.map(imageBodyOf),
      next_cursor: next < slice.total ? imagesCursor.encode({ jobId, offset: next }) : null,
    };
  }

  async list(query: Record<string, string | string[] | undefined>): Promise<JobsPageBody> {
    const params = parse(jobsQuerySchema, singleValues(query));
    const state = params.status ?? null;
    let from: { block: number; before: number } | undefined;
    if (params.cursor !== undefined) {
      const cursor = jobsCursor.decode(params.cursor);
      if (!cursor) throw badRequest('cursor is not one this API gave');
      if (cursor.state !== state) throw badRequest('cursor belongs to a listing with another status filter');
      from = { block: cursor.block, before: cursor.before };
    }
    const names = await this.readModels.resolve(params.generation);
    const page = await this.reader.listing(names.jobs, { from, state: state ?? undefined, limit: params.limit });
    return {
      jobs: page.jobs.map(summaryBodyOf),
      next_cursor: page.next ? jobsCursor.encode({ ...page.next, state }) : null,
    };
  }

  /**
   * A job not in the jobs model: unknown (404), or accepted by the ingest and not folded yet (its
   * receipt exists), which lasts one projection batch unless the projection is behind: `'pending'`.
   */
  private async absent(jobId: number, served: boolean): Promise<'pending'> {
    const receipt = served
      ? await this.db
          .collection<JobReceiptDocument>(collectionNames.jobReceipts)
          .findOne({ _id: jobKey(jobId) }, { projection: { _id: 1 } })
      : null;
    if (receipt) return 'pending';
    throw new HttpError(404, { error: `no job ${jobId}` });
  }
}
