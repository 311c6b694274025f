import type { JobDetailBody } from '../../contracts/api/jobs';
import type { JobDocument, VisitCountsEntry } from './documents';

const counts = (total: number, succeeded: number, failed: number) => ({
  total,
  succeeded,
  failed,
  pending: total - succeeded - failed,
});

/**
 * A job document as the API shows it: `GET /api/jobs/{id}` answers this, and a job-settled
 * webhook carries it, so the two can never differ. `visits` are the document's, when the caller
 * has parsed them already.
 */
export function jobDetailOf(
  document: JobDocument,
  visits: VisitCountsEntry[] = JSON.parse(document.visits) as VisitCountsEntry[],
): JobDetailBody {
  return {
    job_id: document.jobId,
    status: document.state,
    images: counts(document.total, document.succeeded, document.failed),
    submitted_at: document.submittedAt,
    ...(document.settledAt !== null ? { settled_at: document.settledAt } : {}),
    ...(document.cancelledAt !== undefined ? { cancelled_at: document.cancelledAt } : {}),
    ...(document.retryOf !== undefined ? { retry_of: document.retryOf } : {}),
    visits: visits.map(([storeId, visitTime, total, succeeded, failed]) => ({
      store_id: storeId,
      visit_time: visitTime,
      images: counts(total, succeeded, failed),
    })),
  };
}
