import { z } from 'zod';
import { errorBody, errorExample, gatewayResponses, type ApiResponse, type ApiRoute } from './route';

/**
 * The jobs routes' parameters and answers as zod schemas: the status API validates with them,
 * and an OpenAPI document can be generated from them. Names are the API's own (snake_case).
 */

export const errorBodySchema = z.object({ error: z.string() });

const decimalId = /^[1-9][0-9]{0,14}$/;

/** `{job_id}` in a path: a positive integer in decimal. */
export const jobIdParamSchema = z
  .string()
  .regex(decimalId, 'job_id must be a positive integer')
  .transform(Number)
  .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER));

const limitSchema = z
  .string()
  .regex(/^[0-9]{1,5}$/, 'limit must be an integer from 1 to 1000')
  .transform(Number)
  .pipe(
    z
      .number()
      .int()
      .min(1, 'limit must be an integer from 1 to 1000')
      .max(1000, 'limit must be an integer from 1 to 1000'),
  )
  .optional()
  .transform((limit) => limit ?? 100);

const cursorSchema = z
  .string()
  .min(1, 'cursor must not be empty')
  .max(200, 'cursor is not one this API gave')
  .optional();
const generationSchema = z.string().optional();

export const jobStateSchema = z.enum(['ongoing', 'completed', 'failed']);

export const imagesQuerySchema = z.object({ limit: limitSchema, cursor: cursorSchema, generation: generationSchema });
export type ImagesQuery = z.output<typeof imagesQuerySchema>;

export const jobsQuerySchema = z.object({
  status: z
    .enum(['ongoing', 'completed', 'failed'], { error: 'status must be ongoing, completed or failed' })
    .optional(),
  limit: limitSchema,
  cursor: cursorSchema,
  generation: generationSchema,
});
export type JobsQuery = z.output<typeof jobsQuerySchema>;

export const imageCountsSchema = z.object({
  total: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
});

export const jobDetailSchema = z.object({
  job_id: z.number().int().positive(),
  status: jobStateSchema,
  images: imageCountsSchema,
  submitted_at: z.iso.datetime({ offset: true }),
  /** When the image that settled the job was reported; absent while the job is ongoing. */
  settled_at: z.iso.datetime({ offset: true }).optional(),
  /** When the job was cancelled (then also its `settled_at`); only on a job its cancellation settled. */
  cancelled_at: z.iso.datetime({ offset: true }).optional(),
  /** The failed job whose failed images this job retries (POST /api/jobs/{job_id}/retry); only on a retry. */
  retry_of: z.number().int().positive().optional(),
  visits: z.array(
    z.object({ store_id: z.string(), visit_time: z.iso.datetime({ offset: true }), images: imageCountsSchema }),
  ),
});
export type JobDetailBody = z.infer<typeof jobDetailSchema>;

export const jobImageSchema = z.object({
  url: z.string(),
  store_id: z.string(),
  visit_time: z.iso.datetime({ offset: true }),
  /** `cancelled`: the job was cancelled before the image had an outcome (counted among the job's failed). */
  status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
  perimeter: z.number().int().positive().nullable(),
  /** Why the image failed (`cancelled` for a cancelled one); only on failed and cancelled images. */
  error: z.string().optional(),
  /** Attempts the image-processor made (0 while none has been reported). */
  attempts: z.number().int().nonnegative(),
});
export type JobImageBody = z.infer<typeof jobImageSchema>;

export const jobImagesPageSchema = z.object({ images: z.array(jobImageSchema), next_cursor: z.string().nullable() });
export type JobImagesPageBody = z.infer<typeof jobImagesPageSchema>;

export const jobSummarySchema = z.object({
  job_id: z.number().int().positive(),
  status: jobStateSchema,
  images: imageCountsSchema,
  submitted_at: z.iso.datetime({ offset: true }),
});
export const jobsPageSchema = z.object({ jobs: z.array(jobSummarySchema), next_cursor: z.string().nullable() });
export type JobsPageBody = z.infer<typeof jobsPageSchema>;

// The routes, for the OpenAPI document (./index.ts lists them).

const jobIdPath = z.object({
  job_id: z.string().meta({ description: 'The `job_id` a submit answered.', example: '1' }),
});

const documented = {
  limit: z.string().optional().meta({ description: 'Items per page, 1 to 1000 (default 100).', example: '100' }),
  cursor: z
    .string()
    .optional()
    .meta({ description: 'The `next_cursor` of the page before; absent for the first page.', example: 'eyJqIjoxfQ' }),
  generation: z
    .string()
    .optional()
    .meta({ description: 'A read-model generation to read instead of the served one (see replay).', example: '7' }),
};

const counts = { total: 3, succeeded: 2, failed: 0, pending: 1 };
const detailExample = {
  job_id: 1,
  status: 'ongoing',
  images: counts,
  submitted_at: '2024-01-21T16:23:41.102Z',
  visits: [{ store_id: 'S00339218', visit_time: '2024-01-21T16:23:40.898Z', images: counts }],
};

const badParameter = (error: string): ApiResponse => ({
  description: 'A malformed parameter or a cursor this API did not give.',
  schema: errorBody,
  examples: { bad: errorExample(error) },
});
const unknownJob: ApiResponse = {
  description: 'No job has this id.',
  schema: errorBody,
  examples: { unknown: errorExample('no job 99') },
};
const notFoldedYet: ApiResponse = {
  ...gatewayResponses[503]!,
  description:
    'Accepted a moment ago and not in the read models yet (or a dependency is unreachable): retry after `Retry-After`.',
};

export const jobsRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/api/jobs',
    operationId: 'listJobs',
    summary: 'Jobs, newest first',
    description:
      'A page of jobs with their counts, highest `job_id` first, optionally of one status. A page may hold fewer ' +
      'than `limit` jobs while `next_cursor` is not null: follow it. `/api/jobs/` is the same route.',
    tags: ['jobs'],
    query: z.object({
      status: z
        .enum(['ongoing', 'completed', 'failed'])
        .optional()
        .meta({ description: 'Only jobs in this state.', example: 'failed' }),
      ...documented,
    }),
    responses: {
      200: {
        description: 'A page of jobs.',
        schema: jobsPageSchema,
        examples: {
          page: {
            value: {
              jobs: [{ job_id: 2, status: 'completed', images: counts, submitted_at: detailExample.submitted_at }],
              next_cursor: null,
            },
          },
        },
      },
      400: badParameter('status must be ongoing, completed or failed'),
      ...gatewayResponses,
      503: notFoldedYet,
    },
  },
  {
    method: 'get',
    path: '/api/jobs/{job_id}',
    operationId: 'getJob',
    summary: 'Job detail',
    description:
      'A job with its image counts, exact at every moment, per visit too; `settled_at` once it settled. ' +
      '`/api/jobs/{job_id}/` is the same route.',
    tags: ['jobs'],
    pathParams: jobIdPath,
    query: z.object({ generation: documented.generation }),
    responses: {
      200: { description: 'The job.', schema: jobDetailSchema, examples: { ongoing: { value: detailExample } } },
      400: badParameter('job_id must be a positive integer'),
      404: unknownJob,
      ...gatewayResponses,
      503: notFoldedYet,
    },
  },
  {
    method: 'get',
    path: '/api/jobs/{job_id}/events',
    operationId: 'followJob',
    summary: "A job's live progress (Server-Sent Events)",
    description:
      'A `text/event-stream`: one event whenever the job changes, its `data` the job detail (as `GET ' +
      "/api/jobs/{job_id}`), the last one when the job settles, then the stream ends. An event's `id` is the " +
      'count of images settled when it was sent: reconnecting with the `Last-Event-ID` header resumes after it ' +
      '(an EventSource does this itself). A job already settled is sent at once. Comment lines keep a quiet ' +
      'stream open every 15 s.',
    tags: ['jobs'],
    pathParams: jobIdPath,
    responses: {
      200: {
        description: 'The stream of events.',
        contentType: 'text/event-stream',
        schema: z.string(),
        examples: {
          settling: {
            value:
              `retry: 1000\n\nid: 2\ndata: ${JSON.stringify(detailExample)}\n\n` +
              `id: 3\ndata: ${JSON.stringify({ ...detailExample, status: 'completed', images: { total: 3, succeeded: 3, failed: 0, pending: 0 } })}\n\n`,
          },
        },
      },
      204: { description: '`Last-Event-ID` names the settled state: nothing more will come (an EventSource stops).' },
      400: badParameter('job_id must be a positive integer'),
      404: unknownJob,
      ...gatewayResponses,
    },
  },
  {
    method: 'get',
    path: '/api/jobs/{job_id}/images',
    operationId: 'listJobImages',
    summary: "A job's images",
    description:
      'The images of a job in the order they were submitted (visit by visit, each in its `image_url` order), ' +
      'with their results; a page never skips or repeats an image while the job runs. ' +
      '`/api/jobs/{job_id}/images/` is the same route.',
    tags: ['jobs'],
    pathParams: jobIdPath,
    query: z.object(documented),
    responses: {
      200: {
        description: 'A page of images.',
        schema: jobImagesPageSchema,
        examples: {
          page: {
            value: {
              images: [
                {
                  url: 'https://images.example/shelf.jpg',
                  store_id: 'S00339218',
                  visit_time: '2024-01-21T16:23:40.898Z',
                  status: 'succeeded',
                  width: 640,
                  height: 480,
                  perimeter: 2240,
                  attempts: 1,
                },
              ],
              next_cursor: 'eyJqIjoxfQ',
            },
          },
        },
      },
      400: badParameter('limit must be an integer from 1 to 1000'),
      404: unknownJob,
      ...gatewayResponses,
      503: notFoldedYet,
    },
  },
];
