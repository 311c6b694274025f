import { jobSettledWebhookSchema } from '@retail-pulse/shared/contracts/api';
import { aJobSubmitted, anImageFailed, anImageProcessed, recorded } from '../../../../test/support/builders';
import { evolveJobView, jobDetailOf, jobDocumentOf, type JobDocument } from '@retail-pulse/shared/readModels';
import { webhookBodyOf } from './body';

/** Job 7's document once its two images settled: one measured, one failed (the second at 10:00:09). */
function settledJob(overrides: Partial<JobDocument> = {}): JobDocument {
  const events = recorded([
    aJobSubmitted({ jobId: 7, images: 2, callbackUrl: 'https://receiver.example/hooks' }),
    anImageProcessed({ jobId: 7, imageIndex: 0 }),
    {
      ...anImageFailed({ jobId: 7, imageIndex: 1 }),
      metadata: { correlationId: '7', occurredAt: '2024-01-21T10:00:09.000Z' },
    },
  ]);
  const view = events.reduce<ReturnType<typeof evolveJobView> | undefined>(evolveJobView, undefined)!;
  return { ...jobDocumentOf(view)!, ...overrides };
}

describe('the job-settled webhook body', () => {
  it('is the job detail the jobs route answers, led by its webhook id, and what the API document says', () => {
    const document = settledJob();
    const { webhookId, body } = webhookBodyOf(document);
    const parsed = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(parsed)[0]).toBe('webhook_id');
    const { webhook_id: id, ...detail } = parsed;
    expect(id).toBe(webhookId);
    expect(detail).toEqual(jobDetailOf(document));
    expect(detail).toMatchObject({ job_id: 7, status: 'failed', settled_at: '2024-01-21T10:00:09.000Z' });
    expect(jobSettledWebhookSchema.safeParse(parsed).success).toBe(true);
  });

  it('is the same text, under the same id, however often the settlement is met', () => {
    expect(webhookBodyOf(settledJob())).toEqual(webhookBodyOf(settledJob()));
  });

  it('has an id of its own per job and per settlement', () => {
    const id = (document: JobDocument) => webhookBodyOf(document).webhookId;
    const base = id(settledJob());
    expect(id(settledJob({ jobId: 8 }))).not.toBe(base);
    // Job 7 of another installation was submitted at another time.
    expect(id(settledJob({ submittedAt: '2025-03-01T00:00:00.000Z' }))).not.toBe(base);
    expect(id(settledJob({ settledAt: '2024-01-21T10:00:10.000Z' }))).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
