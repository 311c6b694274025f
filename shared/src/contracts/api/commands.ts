import { z } from 'zod';
import { idempotencyKeyHeader } from './submit';
import { errorBody, errorExample, gatewayResponses, type ApiResponse, type ApiRoute } from './route';

/**
 * Commands on a job that exists: cancel it while it runs, retry its failed images once it failed.
 * They are events like every other (the ingest records them; a replay reproduces their effect),
 * answered by the ingest.
 */

const jobIdPath = z.object({
  job_id: z.string().meta({ description: 'The `job_id` a submit answered.', example: '7' }),
});

export const cancelResponse = z
  .object({ job_id: z.number().int().positive().meta({ description: 'The job being cancelled.' }) })
  .meta({ id: 'CancelResponse', example: { job_id: 7 } });
export type CancelResponse = z.infer<typeof cancelResponse>;

export const retryResponse = z
  .object({
    job_id: z.number().int().positive().meta({ description: 'The new job: the failed images, submitted again.' }),
    retry_of: z.number().int().positive().meta({ description: 'The failed job it retries.' }),
  })
  .meta({ id: 'RetryResponse', example: { job_id: 8, retry_of: 7 } });
export type RetryResponse = z.infer<typeof retryResponse>;

const malformedId: ApiResponse = {
  description: 'A malformed `job_id`.',
  schema: errorBody,
  examples: { malformed: errorExample('job_id must be a positive integer') },
};
const unknownJob: ApiResponse = {
  description: 'No job has this id.',
  schema: errorBody,
  examples: { unknown: errorExample('no job 99') },
};
const brokerDown: ApiResponse = {
  ...gatewayResponses[503]!,
  description: 'The broker cannot take the command, or the database is unreachable; nothing was recorded.',
  examples: {
    broker: errorExample('the message broker is unavailable; retry shortly'),
    serviceDown: errorExample('service temporarily unavailable; retry shortly', 'the ingest or the database'),
  },
};

const cancelJob: ApiRoute = {
  method: 'post',
  path: '/api/jobs/{job_id}/cancel',
  operationId: 'cancelJob',
  summary: 'Cancel a job',
  description:
    'Records the cancellation of an ongoing job. Image requests not yet processed are dropped without a ' +
    'download; images already processed keep their results. The job then settles as `failed`, its status ' +
    'listing `{"store_id", "error": "cancelled"}` for each visit that still had images pending (after any ' +
    'earlier failures), normally within a fraction of a second. A cancellation that arrives as the last ' +
    'images settle changes nothing: a settled answer is final. No body. `/api/jobs/{job_id}/cancel/` is the ' +
    'same route.',
  tags: ['jobs'],
  pathParams: jobIdPath,
  responses: {
    202: {
      description: 'The cancellation is recorded (sent again, it is recorded once).',
      schema: cancelResponse,
      examples: { accepted: { value: { job_id: 7 } } },
    },
    400: malformedId,
    404: unknownJob,
    409: {
      description: 'The job has settled (completed or failed): its answer is final.',
      schema: errorBody,
      examples: {
        settled: errorExample('job 7 has already settled (completed); only an ongoing job can be cancelled'),
      },
    },
    ...gatewayResponses,
    503: brokerDown,
  },
};

const retryJob: ApiRoute = {
  method: 'post',
  path: '/api/jobs/{job_id}/retry',
  operationId: 'retryJob',
  summary: "Retry a failed job's failed images",
  description:
    'Submits a new job of exactly the failed images of a failed job (cancelled ones included): the same ' +
    'visits, store ids and times, each visit with its failed image URLs only. The new job is an ordinary ' +
    'job, its detail naming the job it retries (`retry_of`); the original keeps its answer. No body. ' +
    '`/api/jobs/{job_id}/retry/` is the same route.',
  tags: ['jobs'],
  pathParams: jobIdPath,
  headers: idempotencyKeyHeader(
    'Makes a retried request safe, as for submit: the same key for the same job within 24 h answers the ' +
      'same new job and creates nothing (`Idempotent-Replayed: true`); for another job (or a submit) it is a 409.',
    'retry-7-once',
  ),
  responses: {
    201: {
      description: 'The new job is accepted (or, with an `Idempotency-Key` seen before, was accepted earlier).',
      schema: retryResponse,
      examples: { accepted: { value: { job_id: 8, retry_of: 7 } } },
    },
    400: {
      description: 'A malformed `job_id` or `Idempotency-Key`.',
      schema: errorBody,
      examples: {
        malformed: errorExample('job_id must be a positive integer'),
        key: errorExample('Idempotency-Key must be 1 to 255 visible ASCII characters'),
      },
    },
    404: unknownJob,
    409: {
      description:
        'The job is not failed (ongoing, or completed), or the `Idempotency-Key` was used within 24 h for another ' +
        'request.',
      schema: errorBody,
      examples: {
        ongoing: errorExample('job 7 is ongoing; only a failed job can be retried'),
        completed: errorExample('job 7 has completed; only a failed job can be retried'),
        otherBody: errorExample('this Idempotency-Key was used within 24 h for another body (job 8)'),
      },
    },
    ...gatewayResponses,
    503: {
      ...brokerDown,
      description:
        'The broker cannot take the new job, the database is unreachable, or the job settled a moment ago and ' +
        'its images are not in the read models yet; nothing was accepted.',
      examples: {
        ...brokerDown.examples,
        notFolded: errorExample('job 7 is not in the read models yet; retry shortly'),
      },
    },
  },
};

export const commandRoutes: ApiRoute[] = [cancelJob, retryJob];
