import { z } from 'zod';
import { jobDetailSchema } from './jobs';
import type { ApiResponse } from './route';

/**
 * The job-settled webhook as a receiver meets it: the headers each delivery carries and the body,
 * the job detail of `GET /api/jobs/{job_id}` led by `webhook_id`. Declared once here: the
 * deliverer sends these headers, and the OpenAPI document's `webhooks` section is built from it.
 */
export const webhookHeaders = {
  /** `sha256=` and the hex HMAC-SHA256 of the exact body bytes, keyed with `WEBHOOK_SECRET`. */
  signature: 'X-RP-Signature',
  /** The body's `webhook_id`, to deduplicate on without parsing the body. */
  id: 'X-RP-Webhook-Id',
  /** What happened: `job.settled`, the only event so far. */
  event: 'X-RP-Event',
  /** 1 for the first attempt, then 2, 3, …; a redelivery of the same attempt repeats its number. */
  attempt: 'X-RP-Delivery-Attempt',
} as const;

export const JOB_SETTLED_EVENT = 'job.settled';

export const jobSettledWebhookSchema = jobDetailSchema
  .extend({
    webhook_id: z.string().meta({
      description:
        'The same for every attempt and redelivery of this notice: delivery is at least once, so a receiver ' +
        'that sees an id twice drops the second.',
    }),
  })
  .meta({ id: 'JobSettledWebhook' });
export type JobSettledWebhookBody = z.infer<typeof jobSettledWebhookSchema>;

/** One webhook of the public API: the request Retail Pulse sends, and what it makes of the answers. */
export interface ApiWebhook {
  name: string;
  summary: string;
  description: string;
  headers: z.ZodObject;
  body: z.ZodType;
  examples: Record<string, { summary?: string; value: unknown }>;
  responses: Record<string, ApiResponse>;
}

/** What a real run's receiver got (README, "Webhooks"). */
const example = {
  webhook_id: '521861a8-d43d-52e6-a964-793a81a13e91',
  job_id: 2,
  status: 'completed',
  images: { total: 2, succeeded: 2, failed: 0, pending: 0 },
  submitted_at: '2026-12-02T01:35:28.930Z',
  settled_at: '2026-12-02T01:35:29.306Z',
  visits: [
    {
      store_id: 'S00339218',
      visit_time: '2024-01-21T16:23:40.898Z',
      images: { total: 2, succeeded: 2, failed: 0, pending: 0 },
    },
  ],
};

export const apiWebhooks: ApiWebhook[] = [
  {
    name: 'jobSettled',
    summary: 'A job settled',
    description:
      'POSTed to the `callback_url` of a submit once the job is completed or failed, with the job detail as ' +
      '`GET /api/jobs/{job_id}` answers it then. Verify `X-RP-Signature` (HMAC-SHA256 of the exact body with the ' +
      "installation's `WEBHOOK_SECRET`) before trusting it. Delivery is at least once: deduplicate on " +
      '`webhook_id`. An answer other than 2xx is retried with backoff when it is 408, 429 or 5xx (as are timeouts ' +
      'and connection failures), up to `WEBHOOK_MAX_ATTEMPTS`; any other answer, a redirect included, is final.',
    headers: z.object({
      [webhookHeaders.signature]: z
        .string()
        .regex(/^sha256=[0-9a-f]{64}$/)
        .meta({
          description: 'sha256= and the hex HMAC-SHA256 of the exact body, keyed with WEBHOOK_SECRET.',
          example: 'sha256=bfe0aa0853f754a49520812e7a729aa919a0a872b3f7f8e310380276d1904c0f',
        }),
      [webhookHeaders.id]: z
        .string()
        .meta({ description: "The body's webhook_id.", example: '521861a8-d43d-52e6-a964-793a81a13e91' }),
      [webhookHeaders.event]: z.literal(JOB_SETTLED_EVENT).meta({ description: 'What happened.' }),
      [webhookHeaders.attempt]: z
        .string()
        .regex(/^[1-9][0-9]*$/)
        .meta({ description: 'Which attempt this is, from 1.', example: '1' }),
    }),
    body: jobSettledWebhookSchema,
    examples: { completed: { summary: 'a job whose two images were measured', value: example } },
    responses: {
      '2XX': { description: 'Delivered. The body of the answer is read up to 64 KiB and ignored.' },
      '4XX': {
        description:
          'Final, the delivery is dead-lettered — except 408 and 429, which are tried again later like a 5XX.',
      },
      '5XX': { description: 'Tried again later, with backoff (as is no answer within `WEBHOOK_TIMEOUT_MS`).' },
      default: { description: 'Any other answer, a redirect included (redirects are not followed): final.' },
    },
  },
];
