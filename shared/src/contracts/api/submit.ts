import { z } from 'zod';
import { IDENTIFIER_RULE } from '../identifiers';
import { hasUnsafeCharacters } from '../text';
import { errorBody, errorExample, gatewayResponses, type ApiRoute } from './route';

/** What one job may hold (the ingest's MAX_VISITS_PER_JOB, MAX_IMAGES_PER_JOB, MAX_URL_LENGTH). */
export interface SubmitLimits {
  maxVisitsPerJob: number;
  maxImagesPerJob: number;
  maxUrlLength: number;
}

/** The limits an installation has unless configured otherwise; the document states these. */
export const DEFAULT_SUBMIT_LIMITS: Readonly<SubmitLimits> = {
  maxVisitsPerJob: 10_000,
  maxImagesPerJob: 20_000,
  maxUrlLength: 2_048,
};

/** A store id as a submit carries it (the same rule as isIdentifier, spelt so the document shows it). */
const IDENTIFIER_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** An absolute http or https URL with a host. */
function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/** The optional `Idempotency-Key` header of a route that creates a job: 1 to 255 visible ASCII characters. */
export function idempotencyKeyHeader(description: string, example: string) {
  return z.object({
    'Idempotency-Key': z
      .string()
      .regex(/^[\x21-\x7e]{1,255}$/)
      .optional()
      .meta({ description, example }),
  });
}

function imageUrlSchema(maxLength: number) {
  return (
    z
      .string({ error: 'must be a string' })
      .max(maxLength, `must be at most ${maxLength} characters`)
      .refine(isHttpUrl, 'must be an http or https URL')
      // Spaces too: a URL holds them percent-encoded, and a raw one would split it in every text that names it.
      .refine(
        (value) => !/\s/.test(value) && !hasUnsafeCharacters(value),
        'must not contain spaces or control characters (percent-encode them)',
      )
      .meta({
        description: 'An http or https URL, without raw spaces or control characters (percent-encode them).',
        example: 'https://images.example/shelf.jpg',
      })
  );
}

/**
 * Where the job's detail is POSTed once it settles (README, "Webhooks"). An absolute http or https
 * URL like an image URL, and without credentials: each delivery is signed instead, and a URL
 * travels through the event log, log lines and dead letters, where no password belongs.
 */
function callbackUrlSchema(maxLength: number) {
  return z
    .string({ error: 'must be a string' })
    .max(maxLength, `must be at most ${maxLength} characters`)
    .refine(isHttpUrl, 'must be an absolute http or https URL')
    .refine(
      (value) => !/\s/.test(value) && !hasUnsafeCharacters(value),
      'must not contain spaces or control characters (percent-encode them)',
    )
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.username === '' && url.password === '';
      } catch {
        return true; // not a URL at all: said above
      }
    }, 'must not hold a user name or password (each delivery is signed with X-RP-Signature instead)')
    .meta({
      description:
        'Optional. Once the job settles, its detail (as `GET /api/jobs/{job_id}` answers it) is POSTed here, ' +
        'signed with `X-RP-Signature` (see `webhooks.jobSettled`). An absolute http or https URL without ' +
        'credentials; the installation must have `WEBHOOK_SECRET`.',
      example: 'https://receiver.example/retail-pulse/jobs',
    });
}

/** The submit body. The job limits past the schema (visits and images per job) are 413s, checked after it. */
export function submitRequestSchema(limits: SubmitLimits) {
  const visit = z.object(
    {
      store_id: z
        .string({ error: 'must be a string' })
        .regex(IDENTIFIER_PATTERN, IDENTIFIER_RULE)
        .meta({ description: 'A StoreID of the store master, taken exactly as sent.', example: 'S00339218' }),
      image_url: z
        .array(imageUrlSchema(limits.maxUrlLength), { error: 'must be an array of image URLs' })
        .min(1, 'must hold at least one URL'),
      visit_time: z.iso
        .datetime({ offset: true, error: 'must be an RFC 3339 date-time, e.g. 2024-01-21T16:23:40.898Z' })
        .meta({ description: 'When the visit took place (RFC 3339).', example: '2024-01-21T16:23:40.898Z' }),
    },
    { error: 'must be an object with store_id, image_url and visit_time' },
  );
  return z
    .object(
      {
        count: z
          .number({ error: 'must be an integer' })
          .int('must be an integer')
          .positive('must be at least 1')
          .meta({ description: 'The number of visits; must equal the length of `visits`.' }),
        visits: z
          .array(visit, { error: 'must be an array of visits' })
          .min(1, 'must hold at least one visit')
          .meta({
            description: `At most ${limits.maxVisitsPerJob} visits and ${limits.maxImagesPerJob} images a job.`,
          }),
        callback_url: callbackUrlSchema(limits.maxUrlLength).optional(),
      },
      { error: 'request body must be a JSON object with count and visits' },
    )
    .meta({ id: 'SubmitRequest' });
}

export const submitResponse = z
  .object({
    job_id: z.number().int().positive().meta({ description: 'Unique and increasing; visible to status at once.' }),
  })
  .meta({ id: 'SubmitResponse', example: { job_id: 1 } });

export type SubmitResponse = z.infer<typeof submitResponse>;

const exampleJob = {
  count: 2,
  visits: [
    {
      store_id: 'S00339218',
      image_url: ['http://127.0.0.1:9000/shelf.jpg', 'http://127.0.0.1:9000/counter.png'],
      visit_time: '2024-01-21T16:23:40.898Z',
    },
    { store_id: 'S01408764', image_url: ['http://127.0.0.1:9000/shelf.jpg'], visit_time: '2024-01-22T09:10:00Z' },
  ],
};

const submitJob: ApiRoute = {
  method: 'post',
  path: '/api/submit/',
  operationId: 'submitJob',
  summary: 'Submit a job',
  description:
    'A batch of store visits, each with image URLs. Every image is downloaded and measured asynchronously; ' +
    'the answer comes once the job is durably accepted. `/api/submit/` and `/api/submit` are the same route.',
  tags: ['jobs'],
  headers: idempotencyKeyHeader(
    'Makes a retried submit safe: the same key with the same body within 24 h answers the same `job_id` and ' +
      'creates nothing (the answer then carries `Idempotent-Replayed: true`); with another body it is a 409. ' +
      '1 to 255 visible ASCII characters, e.g. a UUID.',
    'order-4711',
  ),
  requestBody: {
    schema: submitRequestSchema(DEFAULT_SUBMIT_LIMITS),
    examples: {
      twoVisits: { summary: 'two visits, three images', value: exampleJob },
      withCallback: {
        summary: 'the same, with its detail POSTed to a callback URL once it settles',
        value: { ...exampleJob, callback_url: 'https://receiver.example/retail-pulse/jobs' },
      },
    },
  },
  responses: {
    201: {
      description:
        'Accepted (or, with an `Idempotency-Key` seen before, accepted earlier: the same `job_id`, and the header ' +
        '`Idempotent-Replayed: true`).',
      schema: submitResponse,
      examples: { accepted: { value: { job_id: 1 } } },
    },
    400: {
      description:
        'A field is missing or malformed, `count` differs from the number of visits, or the body is not JSON.',
      schema: errorBody,
      examples: {
        noVisits: errorExample('visits: must hold at least one visit'),
        badUrl: errorExample('visits[0].image_url[0]: must be an http or https URL'),
        countMismatch: errorExample('count (3) does not match the number of visits (2)'),
        badCallback: errorExample('callback_url: must be an absolute http or https URL'),
        noWebhooks: errorExample('callback_url: webhooks are not configured on this installation (WEBHOOK_SECRET)'),
        notJson: errorExample('request body is not valid JSON'),
      },
    },
    409: {
      description:
        'The `Idempotency-Key` was used within 24 h for another body, or is being used by a submit right now.',
      schema: errorBody,
      examples: {
        otherBody: errorExample('this Idempotency-Key was used within 24 h for another body (job 7)'),
      },
    },
    413: {
      description: 'Past a limit: the body (`MAX_BODY_BYTES`), visits or images per job.',
      schema: errorBody,
      examples: {
        body: errorExample('request body is too large (at most 5242880 bytes)'),
        images: errorExample(`a job may hold at most ${DEFAULT_SUBMIT_LIMITS.maxImagesPerJob} images (got 20001)`),
      },
    },
    415: {
      description: 'The body is not JSON, or arrives in a Content-Encoding other than gzip, deflate or br.',
      schema: errorBody,
      examples: {
        notJson: errorExample('request body must be JSON (Content-Type: application/json)'),
        encoding: errorExample('unsupported Content-Encoding: send gzip, deflate, br or none, one at most'),
      },
    },
    ...gatewayResponses,
    503: {
      ...gatewayResponses[503]!,
      description:
        'The broker cannot take the job, or job ids ran out while the database is down; nothing was accepted.',
      examples: {
        broker: errorExample('the message broker is unavailable; retry shortly'),
        jobIds: errorExample('the job store is unavailable; retry shortly'),
        serviceDown: errorExample('service temporarily unavailable; retry shortly', 'the ingest itself'),
      },
    },
  },
};

export const submitRoutes: ApiRoute[] = [submitJob];
