import { z } from 'zod';
import { errorBody, errorExample, gatewayResponses, type ApiResponse, type ApiRoute } from './route';

/**
 * Commands on a job that exists: cancel it while it runs. They are events like every other (the
 * ingest records them; a replay reproduces their effect), answered by the ingest.
 */

const jobIdPath = z.object({
  job_id: z.string().meta({ description: 'The `job_id` a submit answered.', example: '7' }),
});

export const cancelResponse = z
  .object({ job_id: z.number().int().positive().meta({ description: 'The job being cancelled.' }) })
  .meta({ id: 'CancelResponse', example: { job_id: 7 } });
export type CancelResponse = z.infer<typeof cancelResponse>;

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

export const commandRoutes: ApiRoute[] = [cancelJob];
