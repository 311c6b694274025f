import { z } from 'zod';
import { errorBody, errorExample, gatewayResponses, type ApiRoute } from './route';

/** `jobid`: a positive integer in decimal. Anything else is answered like an unknown job. */
export const jobIdParam = z
  .string()
  .regex(/^[0-9]{1,15}$/)
  .refine((raw) => Number(raw) > 0 && Number.isSafeInteger(Number(raw)))
  .meta({ description: 'The `job_id` a submit answered.', example: '1' });

/** Which read-model generation answers: a rebuilt one (`npm run replay -- --as-of …`) instead of the served one. */
export const generationParam = z
  .string()
  .optional()
  .meta({ description: 'A read-model generation to read instead of the served one (see replay).', example: '7' });

export const statusQuery = z.object({ jobid: jobIdParam, generation: generationParam });

const failure = z
  .object({
    store_id: z.string(),
    error: z.string().meta({ description: 'Why images of this store failed; credentials in URLs are masked.' }),
  })
  .meta({ id: 'JobFailure' });

/** The SPEC's status answer. Terminal states (completed, failed) never change. */
export const jobStatusResponse = z
  .discriminatedUnion('status', [
    z.object({ status: z.enum(['ongoing', 'completed']), job_id: z.number().int().positive() }),
    z.object({
      status: z.literal('failed'),
      job_id: z.number().int().positive(),
      error: z.array(failure).meta({
        description:
          'One entry per distinct (store, reason), in the order recorded; a cancelled job adds ' +
          '`{"store_id", "error": "cancelled"}` for each visit that still had images pending.',
      }),
    }),
  ])
  .meta({ id: 'JobStatus' });

export type JobStatusBody = z.infer<typeof jobStatusResponse>;

/** The SPEC's answer for an unknown or malformed job id: 400 with an empty object. */
export const unknownJobBody = z.strictObject({}).meta({ id: 'UnknownJob', example: {} });

const getJobStatus: ApiRoute = {
  method: 'get',
  path: '/api/status',
  operationId: 'getJobStatus',
  summary: 'Job status',
  description:
    'ongoing until every image settled; then completed, or failed with the reasons. A `job_id` a submit ' +
    'answered is visible at once. `/api/status/` is the same route.',
  tags: ['jobs'],
  query: statusQuery,
  responses: {
    200: {
      description: 'The job exists.',
      schema: jobStatusResponse,
      examples: {
        ongoing: { value: { status: 'ongoing', job_id: 1 } },
        completed: { value: { status: 'completed', job_id: 1 } },
        failed: {
          value: {
            status: 'failed',
            job_id: 2,
            error: [
              { store_id: 'S99999999', error: 'unknown store_id S99999999' },
              { store_id: 'S00000201', error: 'HTTP 404 fetching http://127.0.0.1:9000/missing.jpg' },
            ],
          },
        },
        cancelled: {
          summary: 'a job cancelled while two of its visits had images pending',
          value: {
            status: 'failed',
            job_id: 3,
            error: [
              { store_id: 'S00339218', error: 'cancelled' },
              { store_id: 'S01408764', error: 'cancelled' },
            ],
          },
        },
      },
    },
    400: {
      description:
        'No such job, or a malformed `jobid`: an empty object, as the API has always answered. An unknown `generation` is ' +
        'named in an `error`.',
      schema: z.union([unknownJobBody, errorBody]),
      examples: { unknownJob: { value: {} }, unknownGeneration: errorExample('unknown generation: 99') },
    },
    ...gatewayResponses,
  },
};

export const statusRoutes: ApiRoute[] = [getJobStatus];
