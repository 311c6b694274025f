import type { Logger } from '@retail-pulse/shared/config';
import { jobSubmittedEventId, metadataFor, type JobSubmitted } from '@retail-pulse/shared/contracts';
import { HttpError, serviceUnavailable } from '@retail-pulse/shared/http';
import { publishEvent } from '../publishEvent';
import type { IdempotencyKeys, KeyedSubmit } from './idempotency';
import type { JobIdAllocator } from './jobIds';
import type { SubmitMetrics } from './metrics';
import type { JobReceipts } from './receipts';
import type { SubmissionPublisher } from './submissions';

export interface AcceptDependencies {
  submissions: Pick<SubmissionPublisher, 'publish'>;
  jobIds: JobIdAllocator;
  receipts: JobReceipts;
  idempotency: IdempotencyKeys;
  metrics: SubmitMetrics;
  logger: Logger;
}

/** A new job's content: what its JobSubmitted carries besides its id. */
export type NewJob = Omit<JobSubmitted['data'], 'jobId'>;

/** The request's `Idempotency-Key` and a digest of what it asks for. */
export interface Keyed {
  key: string;
  bodyHash: string;
}

/**
 * Accepts a new job, as a submit and a retry both do: assigns its id (or, with a key seen before,
 * finds it), publishes its JobSubmitted and resolves only once the broker has confirmed it, then
 * records its receipt. `replayed` when the key had made the job already. While the broker or the
 * database cannot take the job: a 503.
 */
export async function acceptJob(
  deps: AcceptDependencies,
  job: NewJob,
  keyed: Keyed | undefined,
): Promise<{ jobId: number; replayed: boolean }> {
  const allocate = () => deps.jobIds.allocate();
  let claim: KeyedSubmit;
  try {
    claim = keyed
      ? await deps.idempotency.claim(keyed.key, keyed.bodyHash, allocate)
      : { kind: 'new', jobId: await allocate() };
  } catch (error) {
    if (error instanceof HttpError) throw error;
    deps.logger.warn({ err: String(error) }, 'cannot allocate a job id');
    throw serviceUnavailable('the job store is unavailable; retry shortly', 2);
  }
  const { jobId } = claim;
  const replayed = claim.kind === 'repeat';
  if (claim.kind === 'repeat' && !claim.republish) return { jobId, replayed };
  const event: JobSubmitted = {
    eventId: jobSubmittedEventId(jobId),
    type: 'JobSubmitted',
    version: 1,
    data: { jobId, ...job },
    metadata: metadataFor(jobId),
  };
  await publishEvent(
    () => deps.submissions.publish(event),
    async (error) => {
      deps.logger.warn({ err: error.message, jobId }, 'broker did not take the job');
      // A retry with the key sends this same job again at once (the log keeps one copy).
      if (keyed) await deps.idempotency.settle(keyed.key, 'unconfirmed').catch(() => undefined);
    },
  );
  if (keyed) {
    await deps.idempotency.settle(keyed.key, 'published').catch((error: unknown) =>
      // Left claimed: a repeat waits a few seconds, then publishes the same job again.
      deps.logger.warn({ err: String(error), jobId }, 'could not mark the idempotency key published'),
    );
  }
  try {
    await deps.receipts.record(jobId);
  } catch (error) {
    // The job is durably accepted; without the receipt, status finds it once the projection folds it.
    deps.logger.warn({ err: String(error), jobId }, 'could not record the job receipt');
  }
  deps.metrics.accepted(job.imageCount);
  return { jobId, replayed };
}
