import { z } from 'zod';
import { eventMetadataSchema } from './events';
import { uuidFromName } from './ids';

/**
 * A job-settled webhook to deliver: where to, and the exact text to POST. A command on the work
 * queue, not an event of the log: the log says the job settled; whether a receiver heard of it is
 * the deliverer's business. The body is text, not an object, so that every attempt sends — and
 * signs — the same bytes.
 */
export const webhookRequestedSchema = z.object({
  type: z.literal('WebhookRequested'),
  version: z.literal(1),
  data: z.object({
    /** Stable across every attempt and redelivery of one settlement: the receiver deduplicates on it. */
    webhookId: z.string().min(1),
    jobId: z.number().int().positive(),
    /** The body, as sent: the job detail with `webhook_id`, as JSON text. */
    body: z.string().min(2),
    /** The callback URL the submit named. */
    url: z.string().min(1),
    attempt: z.number().int().positive(),
  }),
  metadata: eventMetadataSchema,
});
export type WebhookRequested = z.infer<typeof webhookRequestedSchema>;

/**
 * The id of the webhook announcing that a job settled. Derived from what it announces — the job,
 * when it was submitted and when it settled — so a settlement noticed twice (a refold after a
 * crash) is announced under the same id, and two installations' job 7 are not confused.
 */
export function jobSettledWebhookId(jobId: number, submittedAt: string, settledAt: string): string {
  return uuidFromName(`JobSettledWebhook/${jobId}/${submittedAt}/${settledAt}`);
}
