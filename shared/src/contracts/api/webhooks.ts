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

const example = {
  webhook_id: '5b0e6c3e-8c1f-5d0a-9b6e-2f4a7d1c9e30',
  job_id: 1,
  status: 'completed',
  images: { total: 3, succeeded: 3, failed: 0, pending: 0 },
  submitted_at: '2026-12-01T22:18:33.862Z',
  settled_at: '2026-12-01T22:18:34.460Z',
  visits: [
    {
      store_id: 'S00339218',
      visit_time: '2024-01-21T16:23:40.898Z',
      images: { total: 3, succeeded: 3, failed: 0, pending: 0 },
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
          example: 'sha256=9c3f0e8b1b6d4c2a7e5f1a0b3c8d9e2f4a6b7c1d0e9f8a7b6c5d4e3f2a1b0c9d',
        }),
      [webhookHeaders.id]: z
        .string()
        .meta({ description: 'The body’s webhook_id.', example: '5b0e6c3e-8c1f-5d0a-9b6e-2f4a7d1c9e30' }),
      [webhookHeaders.event]: z.literal(JOB_SETTLED_EVENT).meta({ description: 'What happened.' }),
      [webhookHeaders.attempt]: z
        .string()
        .regex(/^[1-9][0-9]*$/)
        .meta({ description: 'Which attempt this is, from 1.', example: '1' }),
    }),
    body: jobSettledWebhookSchema,
    examples: { completed: { summary: 'a job whose three images were measured', value: example } },
    responses: {
      200: { description: 'Any 2xx: delivered. Its body is read up to 64 KiB and ignored.' },
      410: { description: 'Any other 4xx but 408 and 429 (or a 3xx): not retried; the delivery is dead-lettered.' },
      503: { description: '408, 429 or any 5xx (or no answer in time): tried again later, with backoff.' },
    },
  },
];
