import { jobSettledWebhookId } from '@retail-pulse/shared/contracts';
import { jobDetailOf, type JobDocument } from '@retail-pulse/shared/readModels';

/**
 * The body of a job-settled webhook, as the exact text every attempt sends: the job detail as the
 * jobs route shows it (the same function builds both), led by the webhook's id.
 */
export function webhookBodyOf(document: JobDocument): { webhookId: string; body: string } {
  const webhookId = jobSettledWebhookId(document.jobId, document.submittedAt, document.settledAt ?? '');
  return { webhookId, body: JSON.stringify({ webhook_id: webhookId, ...jobDetailOf(document) }) };
}
